"""Ask: the manager's questions about dependence, answered with citations that open as evidence."""

from __future__ import annotations

import streamlit as st

from review_ui import services, ui

ws = ui.workspace()
ui.require_identity()
st.title("Ask")

if not services.ask_available():
    st.info("Asking questions is not built yet in this installation (agent.ask.answer is missing).")
    st.stop()

question = st.text_input(
    "Question", placeholder="Which situations still need a specific person?", key="ask_question"
)
if st.button("Ask", key="ask_submit") and question.strip():
    st.session_state["ask_answer"] = services.ask(ws, question.strip())
answer = st.session_state.get("ask_answer")
if answer:
    st.markdown(answer.get("answer") or answer.get("text") or "")
    st.caption(
        f"{answer.get('engine', 'offline')} engine; tools: {', '.join(answer.get('tools_used') or [])}"
    )
    if answer.get("unverified"):
        st.warning("Not found in any tool result: " + ", ".join(answer["unverified"]))
    citations = [c for c in answer.get("citations") or [] if isinstance(c, dict)]
    chunks = [c for c in citations if c.get("chunk_id")]
    refs = [c.get("ref") for c in citations if c.get("ref") and not c.get("chunk_id")]
    if chunks:
        st.subheader("Evidence")
    for cite in chunks:
        title = " ".join(str(x) for x in (cite.get("source"), cite.get("path")) if x)
        with st.expander(f"{cite['chunk_id']} {title}".strip(), expanded=False):
            st.text(cite.get("excerpt") or "")
    if refs:
        st.caption("Also cites: " + ", ".join(f"`{r}`" for r in refs))
