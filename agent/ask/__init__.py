"""The manager's questions, answered from the analytics and the ledger with citations.

``answer(ws, question) -> Answer`` uses Claude (a LangGraph tool loop) when a key is set, else the
deterministic offline engine; both call the same tools, and ``verify(answer, tool_results)`` lists any
name or number in the answer that no tool returned.
"""

from __future__ import annotations

from typing import Any

from agent.ask.models import Answer, Citation
from agent.ask.verify import verify


def answer(ws: Any, question: str, client: Any | None = None) -> Answer:
    """Answer a question about dependence; ``client`` is an injected ClaudeClient (tests)."""
    if client is not None or ws.settings.use_llm:
        from agent.ask.claude import answer_with_claude

        result = answer_with_claude(ws, question, client=client)
    else:
        from agent.ask.offline import answer_offline

        result = answer_offline(ws, question)
    result.unverified = verify(result, result.tool_results)
    return result


__all__ = ["Answer", "Citation", "answer", "verify"]
