"""Cassettes bound to their request: replay matches method, path and a hash of the request body.

The hash covers what decides the answer: the model, the system prompt, the messages and the tools
(:func:`request_digest`). A recorded request carries its hash in the ``x-understudy-request-sha256``
header (hand-written cassettes have no real body, only that hash); a recorded body without the header
is hashed as stored. A changed prompt then no longer replays an old answer: the test or eval fails
until the cassette is re-recorded (``understudy eval --record`` with a key) or, for hand-written
cassettes, re-bound to the current prompts (``python -m tests.cassettes.rebind``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

DIGEST_HEADER = "x-understudy-request-sha256"
"""Header of a recorded request holding the hash of the request it answers."""

FILTER_HEADERS = ["authorization", "x-api-key", "cookie", "set-cookie"]
"""Secrets never written to a cassette (the anthropic SDK sends the key as ``Authorization: Bearer``)."""

BOUND_FIELDS = ("model", "system", "messages", "tools", "tool_choice")
"""The request fields the hash covers (sampling settings and headers do not change what is asked)."""

VOLATILE = ((re.compile(r"Today: \d{4}-\d{2}-\d{2}"), "Today: <today>"),)
"""Parts of a prompt that change every day by design (the drafter states today's date), hashed as a
placeholder so a cassette stays bound to the prompt, not to the day it was recorded."""

REBIND = "python -m tests.cassettes.rebind"
"""The command that re-binds hand-written cassettes to the current prompts."""


def _text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    if isinstance(body, dict):  # vcrpy may store a parsed body
        return json.dumps(body)
    return str(body)


def request_digest(body: Any) -> str | None:
    """The SHA-256 of a Messages API request's model, system prompt, messages and tools (None if no body)."""
    text = _text(body)
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = {"raw": text}
    bound = {k: data.get(k) for k in BOUND_FIELDS} if isinstance(data, dict) else {"raw": data}
    canon = json.dumps(bound, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for pattern, placeholder in VOLATILE:
        canon = pattern.sub(placeholder, canon)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _header(request: Any, name: str) -> str | None:
    for key, value in (getattr(request, "headers", None) or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def recorded_digest(request: Any) -> str | None:
    """The hash a recorded request is bound to: its header, else the hash of its stored body."""
    return _header(request, DIGEST_HEADER) or request_digest(getattr(request, "body", None))


def body_digest_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the live request's body hash equals the recorded one's (AssertionError otherwise)."""
    live = _header(r1, DIGEST_HEADER) or request_digest(r1.body)
    recorded = _header(r2, DIGEST_HEADER) or request_digest(r2.body)
    if recorded is None:
        raise AssertionError(f"the recorded request carries no body hash; re-bind with `{REBIND}`")
    if live != recorded:
        raise AssertionError(
            f"request body changed (hash {str(live)[:12]} != recorded {recorded[:12]}): a prompt or the "
            f"evidence differs from what the cassette answered; re-record with a key or `{REBIND}`"
        )


def replayer(record_mode: str = "none") -> Any:
    """A vcrpy VCR that matches on method, path and the request body's hash, secrets filtered."""
    import vcr

    recorder = vcr.VCR(record_mode=record_mode, filter_headers=FILTER_HEADERS)
    recorder.register_matcher("body_digest", body_digest_matcher)
    recorder.match_on = ("method", "path", "body_digest")
    return recorder


def stamp(path: Path, digests: list[str] | None = None) -> Path:
    """Write each interaction's body hash into its recorded request headers (from ``digests`` in order,
    else from the stored body); the file's leading comment lines are kept."""
    raw = path.read_text(encoding="utf-8")
    head = "".join(line for line in raw.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(raw) or {}
    interactions = data.get("interactions") or []
    if digests is not None and len(digests) != len(interactions):
        raise ValueError(f"{path}: {len(digests)} requests for {len(interactions)} recorded interactions")
    for i, item in enumerate(interactions):
        request = item.setdefault("request", {})
        digest = digests[i] if digests is not None else request_digest(request.get("body"))
        if digest is None:
            raise ValueError(f"{path}: interaction {i} has no body to hash")
        headers = request.get("headers") or {}
        headers = {k: v for k, v in headers.items() if k.lower() != DIGEST_HEADER}
        headers[DIGEST_HEADER] = [digest]
        request["headers"] = headers
    path.write_text(
        head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8"
    )
    return path
