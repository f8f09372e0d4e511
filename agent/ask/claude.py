"""The Claude engine: a LangGraph loop of model turns and tool turns over the same tools as offline.

call_model → (tool_use?) run_tools → call_model … → END. The answer cites evidence as ``[chunk:ID]``
or ``[map:SCOPE]``-style references; only references that a tool actually returned become citations.
The ``anthropic`` SDK stays inside :mod:`agent.llm`: this module uses its ``ClaudeClient``.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from agent.ask.models import Answer, Citation
from agent.ask.tools import TOOL_SCHEMAS, Toolbox

MAX_TOOL_TURNS = 8
"""Model turns allowed to call tools before the loop stops (a question needs two to four)."""

MAX_ANSWER_TOKENS = 1500
"""Output budget of one model turn."""

PROMPT_ID = "ask"
"""The versioned system prompt in ``prompts/ask/`` (the latest version is used)."""


def system_prompt() -> str:
    """The ask system prompt from its versioned file."""
    from agent.prompting import load

    return load(PROMPT_ID).render()


REF_RE = re.compile(r"\[((?:chunk|map|whatif|independence|practice|draft|scan|patterns):[^\]\s]+)\]")
"""An inline citation in the model's answer."""


class AskState(TypedDict, total=False):
    """Graph state: the Messages API conversation and the number of model turns taken."""

    messages: list[dict[str, Any]]
    turns: int
    stop_reason: str | None


def _create(client: Any, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One Messages API call through the ClaudeClient's configured SDK client, as plain JSON."""
    response = client._client.messages.create(  # noqa: SLF001 - see the report: agent.llm needs a public helper
        model=client.model,
        max_tokens=MAX_ANSWER_TOKENS,
        system=system_prompt(),
        messages=messages,
        tools=TOOL_SCHEMAS,
    )
    return response.model_dump(mode="json")


def build_graph(tb: Toolbox, client: Any) -> Any:
    """The ask loop, closed over the toolbox and the client (wired at the bottom)."""

    def call_model(state: AskState) -> dict[str, Any]:
        reply = _create(client, state["messages"])
        content = [b for b in reply["content"] if b.get("type") in ("text", "tool_use")]
        content = [
            {k: v for k, v in b.items() if k in ("type", "text", "id", "name", "input")} for b in content
        ]
        return {
            "messages": [*state["messages"], {"role": "assistant", "content": content}],
            "turns": state.get("turns", 0) + 1,
            "stop_reason": reply.get("stop_reason"),
        }

    def run_tools(state: AskState) -> dict[str, Any]:
        results = []
        for block in state["messages"][-1]["content"]:
            if block.get("type") != "tool_use":
                continue
            out = tb.run(block["name"], **(block.get("input") or {}))
            results.append(
                {"type": "tool_result", "tool_use_id": block["id"], "content": json.dumps(out, default=str)}
            )
        return {"messages": [*state["messages"], {"role": "user", "content": results}]}

    def route(state: AskState) -> str:
        if state.get("stop_reason") == "tool_use" and state.get("turns", 0) < MAX_TOOL_TURNS:
            return "run_tools"
        return END

    graph = StateGraph(AskState)
    graph.add_node("call_model", call_model)
    graph.add_node("run_tools", run_tools)
    graph.add_edge(START, "call_model")
    graph.add_conditional_edges("call_model", route, {"run_tools": "run_tools", END: END})
    graph.add_edge("run_tools", "call_model")
    return graph.compile()


def _citations(text: str, tb: Toolbox) -> list[Citation]:
    returned = json.dumps([c["result"] for c in tb.calls], default=str)
    chunk_ids = [r.split(":", 1)[1] for r in REF_RE.findall(text) if r.startswith("chunk:")]
    out = [Citation(**c) for c in tb.chunks([c for c in chunk_ids if c in returned])]
    for ref in REF_RE.findall(text):
        if not ref.startswith("chunk:") and ref in returned:
            out.append(Citation(ref=ref))
    return out


def answer_with_claude(ws: Any, question: str, client: Any | None = None) -> Answer:
    """Answer with Claude calling the tools; the final text block is the answer."""
    if client is None:
        from agent.llm import ClaudeClient

        client = ClaudeClient.from_settings(ws.settings)
    tb = Toolbox(ws)
    state = build_graph(tb, client).invoke(
        {"messages": [{"role": "user", "content": question}], "turns": 0},
        {"recursion_limit": 4 * MAX_TOOL_TURNS},
    )
    last = state["messages"][-1]
    text = "\n".join(b["text"] for b in last.get("content", []) if b.get("type") == "text").strip()
    if state.get("stop_reason") == "tool_use":
        text = (text + "\n" if text else "") + "(stopped: too many tool calls without a final answer)"
    return Answer(
        answer=text,
        citations=_citations(text, tb),
        tools_used=tb.used,
        engine="claude",
        tool_results=tb.calls,
    )
