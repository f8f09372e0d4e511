"""The body of ``understudy ask``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_ERROR = 0, 1


def run_ask_command(
    workspace: Callable[[], Any],
    question: str,
    as_json: bool,
    emit_json: Callable[[Any], None],
    console: Callable[[], Any],
    fail: Callable[..., Any],
) -> int:
    """Answer the question and print it (``--json``: answer, citations, tools_used)."""
    from agent.ask import answer

    if not question.strip():
        fail("ask needs a question", 2)
    result = answer(workspace(), question)
    if as_json:
        emit_json(result.to_json())
        return EXIT_OK
    con = console()
    con.print(result.answer, markup=False, highlight=False)
    if result.citations:
        con.print("\nEvidence:", markup=False)
        for i, c in enumerate(result.citations, 1):
            if c.chunk_id:
                excerpt = (c.excerpt or "").replace("\n", " ")[:100]
                con.print(
                    f"  [{i}] {c.source} {c.path} ({c.chunk_id}): {excerpt}", markup=False, highlight=False
                )
            else:
                con.print(f"  [{i}] {c.ref}", markup=False, highlight=False)
    con.print(
        f"\n({result.engine} engine; tools: {', '.join(result.tools_used)})", markup=False, highlight=False
    )
    if result.unverified:
        con.print(f"Unverified (no tool returned these): {', '.join(result.unverified)}", markup=False)
    return EXIT_OK
