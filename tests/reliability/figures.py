"""The suite's figures: tests add counts here; ``test-artifacts/reliability.json`` collects them."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.json"
"""Where the figures of a test run are written (gitignored); RELIABILITY.md is made from it."""

DEFAULT_FUZZ_EXAMPLES = 40
"""Hypothesis examples per fuzz test by default: keeps ``make test`` fast (a few hundred inputs per adapter)."""


def fuzz_examples() -> int:
    """Examples per fuzz test: ``UNDERSTUDY_FUZZ_EXAMPLES`` (``make fuzz``) or the default."""
    raw = os.environ.get("UNDERSTUDY_FUZZ_EXAMPLES", "")
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else DEFAULT_FUZZ_EXAMPLES


def _update(fn: Any) -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
        fn(data)
        ARTIFACT.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def add(section: str, key: str, amount: int = 1) -> None:
    """Add ``amount`` to the counter ``section.key``."""

    def go(data: dict[str, Any]) -> None:
        sec = data.setdefault(section, {})
        sec[key] = sec.get(key, 0) + amount

    _update(go)


def put(section: str, key: str, value: Any) -> None:
    """Set ``section.key`` to ``value``."""

    def go(data: dict[str, Any]) -> None:
        data.setdefault(section, {})[key] = value

    _update(go)
