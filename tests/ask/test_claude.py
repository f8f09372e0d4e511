"""The Claude path: a LangGraph tool loop replayed from a hand-written cassette (no network, no key)."""

from __future__ import annotations

from pathlib import Path

from agent.ask import answer, verify
from agent.llm import ClaudeClient
from evals.cassettes import replayer
from ingest.workspace import Workspace

from .claude_org import CHUNK, SCOPE, build

CASSETTES = Path(__file__).parent.parent / "cassettes" / "ask"


def client() -> ClaudeClient:
    return ClaudeClient(
        api_key="not-a-real-key", model="claude-sonnet-4-5", base_url="http://127.0.0.1:8765", max_retries=0
    )


def test_claude_answer_cites_tool_results(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    build(ws)
    name = "test_claude_answer_cites_tool_results.handwritten.yaml"
    meta = __import__("yaml").safe_load((CASSETTES / name).read_text())["meta"]
    assert meta["written_by_hand"] is True
    with replayer().use_cassette(str(CASSETTES / name)) as cassette:
        res = answer(ws, "Who do we depend on for payments-api?", client=client())
        assert cassette.all_played
    assert res.engine == "claude"
    assert res.tools_used == ["hero_map", "scope_evidence"]
    assert "Grant Slater" in res.answer
    assert [c.chunk_id for c in res.citations if c.chunk_id] == [CHUNK]
    assert any(c.ref == f"map:{SCOPE}" for c in res.citations)
    assert next(c for c in res.citations if c.chunk_id).path == "/org/postmortems/pm-1.md"
    assert res.unverified == [] and verify(res, res.tool_results) == []
    # the tool turns really ran against the workspace: the hero map gave these numbers
    hero_map = res.tool_results[0]["result"]["scopes"][0]
    assert hero_map["top_share_pct"] == 83 and hero_map["hero"]["id"] == "grant-slater"


def test_a_claude_answer_naming_someone_no_tool_returned_is_flagged(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    build(ws)
    with replayer().use_cassette(str(CASSETTES / "test_claude_answer_cites_tool_results.handwritten.yaml")):
        res = answer(ws, "Who do we depend on for payments-api?", client=client())
    forged = res.answer.replace("Ana Lee (ana-lee)", "Maria Gomez (maria-gomez)").replace("83%", "91%")
    assert set(verify(forged, res.tool_results)) == {"Maria Gomez", "91%"}
