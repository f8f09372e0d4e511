"""The Ask page answers offline and opens each cited chunk as evidence, as the Draft page does."""

from __future__ import annotations


def test_ask_page_shows_the_answer_with_expandable_citations(ui_ws, cast, app):
    from agent.ask import answer

    question = "Which situations still need a specific person?"
    expected = answer(ui_ws, question)
    chunk_ids = [c.chunk_id for c in expected.citations if c.chunk_id]
    assert chunk_ids, expected.answer
    at = app(cast.reviewer)
    at.switch_page("views/ask.py").run()
    at.text_input(key="ask_question").input(question)
    at.button(key="ask_submit").click().run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    for chunk_id in chunk_ids:
        assert any(label.startswith(chunk_id) for label in labels), (chunk_id, labels)
    assert expected.answer.splitlines()[0][:40] in " ".join(m.value for m in at.markdown)
