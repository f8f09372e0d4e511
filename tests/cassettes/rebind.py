"""Re-bind every hand-written cassette to the current prompts: ``python -m tests.cassettes.rebind``.

Run it after a prompt (or the evidence a test seeds) legitimately changes. Hand-written responses stay
as written; only the requests they answer are re-recorded (drafting cassettes, from the responses in
``tests/llm_server.py``) or re-hashed (the ask cassette, whose responses live in its YAML): each
request's body hash goes into its ``x-understudy-request-sha256`` header (see ``evals.cassettes``).
A real model's cassettes are re-recorded with ``understudy eval --record`` and a key instead.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

import agent  # noqa: F401 - the real packages first: tests/ingest and tests/evals must not shadow them
import evals  # noqa: F401
import ingest  # noqa: F401

TESTS = Path(__file__).resolve().parent.parent
ASK = TESTS / "cassettes" / "ask"
ASK_CASES = {
    "test_claude_answer_cites_tool_results.handwritten.yaml": "Who do we depend on for payments-api?"
}
"""Hand-written ask cassettes -> the question their test asks (over tests/ask/claude_org.py's workspace)."""


def _responses(path: Path) -> list[tuple[int, dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data["interactions"]:
        resp = item["response"]
        body = resp["body"]["string"]
        out.append(
            (int(resp["status"]["code"]), json.loads(body if isinstance(body, str) else body.decode()))
        )
    return out


def rebind_ask(name: str, question: str) -> Path:
    """Replay an ask cassette's responses from a local server, hash the requests made, stamp them."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    from ask.claude_org import build
    from llm_server import ScriptedServer

    from agent.ask import answer
    from agent.llm import ClaudeClient
    from evals.cassettes import request_digest, stamp
    from ingest.db import dispose_engines
    from ingest.workspace import Workspace

    path = ASK / name
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(_responses(path)) as server:
        ws = Workspace.open(Path(tmp) / "ws")
        build(ws)
        client = ClaudeClient(
            api_key="hand-written-not-a-key",
            model="claude-sonnet-4-5",
            base_url=server.base_url,
            max_retries=0,
        )
        answer(ws, question, client=client)
        dispose_engines()
    return stamp(path, [request_digest(json.dumps(r)) or "" for r in server.requests])


def main() -> int:
    """Re-record the drafting cassettes (tests' and evals' seeds) and re-hash the ask cassettes."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    from llm_server import EVALS_SCENARIOS, SCENARIOS, record

    from ingest.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    for name in SCENARIOS:
        print(record(name, embedder=embedder))
    for name in EVALS_SCENARIOS:
        print(record(name, flow="evals", embedder=embedder))
    for name, question in ASK_CASES.items():
        print(rebind_ask(name, question))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
