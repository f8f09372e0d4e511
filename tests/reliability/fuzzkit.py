"""Seeds and mutators for fuzzing the adapters: real-format files bent out of shape."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
"""The adapters' real-format fixtures (tests/fixtures/*)."""

DEEP_LEVELS = 10_000
"""Nesting depth of the deep-JSON attack (the issue asks for 10,000 levels)."""

OVERSIZED_CHARS = 1_000_000
"""Length of an oversized string field: far beyond any real title or message (1 MB)."""

OVERSIZED_FIELDS = 4
"""How many string fields of a seed are made oversized (enough to hit title, text and names)."""

SEEDS: dict[str, list[Path]] = {
    "slack": [FIXTURES / "slack" / "export"],
    "pagerduty": [
        FIXTURES / "pagerduty" / "incidents_page1.json",
        FIXTURES / "pagerduty" / "log_entries_page1.json",
        FIXTURES / "pagerduty" / "oncalls.json",
    ],
    "opsgenie": [FIXTURES / "opsgenie" / "alerts_page1.json"],
    "jira": [FIXTURES / "jira" / "search_page1.json"],
    "github": [
        FIXTURES / "github" / "issues.json",
        FIXTURES / "github" / "deployments.json",
        FIXTURES / "github" / "issue_comments.json",
    ],
    "git": [],  # made by make_git_repo
    "markdown": [
        FIXTURES / "markdown" / "postmortems" / "2024-03-10-payments-api-outage.md",
        FIXTURES / "markdown" / "runbooks" / "payments-api-failover.md",
    ],
    "oncall": [FIXTURES / "oncall" / "oncalls-page1.json", FIXTURES / "oncall" / "shifts.csv"],
    "deploys": [FIXTURES / "deploys" / "deployments.json", FIXTURES / "deploys" / "deploys.csv"],
}
"""Valid files per source kind that mutations start from."""

KINDS = tuple(SEEDS)


def make_git_repo(root: Path, mailmap: bytes | None = None, message: str = "fix pool") -> Path:
    """A small real git repository with two authors (and an optional .mailmap)."""
    repo = root / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin"}

    def git(*args: str, who: str = "Grant Slater <grant@example.org>") -> None:
        name, email = who[:-1].split(" <")
        subprocess.run(
            ["git", "-C", str(repo), *args],
            check=True,
            capture_output=True,
            env={
                **env,
                "GIT_AUTHOR_NAME": name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_AUTHOR_DATE": "2024-03-01T10:00:00+00:00",
                "GIT_COMMITTER_DATE": "2024-03-01T10:00:00+00:00",
            },
        )

    git("init", "-q", "-b", "main")
    (repo / "payments").mkdir(exist_ok=True)
    (repo / "payments" / "pool.py").write_text("POOL = 10\n")
    git("add", ".")
    git("commit", "-q", "-m", "add pool")
    (repo / "payments" / "pool.py").write_text("POOL = 20\n")
    if mailmap is not None:
        (repo / ".mailmap").write_bytes(mailmap)
    git("add", ".")
    git("commit", "-q", "-m", message or "x", who="Maya Ortiz <maya@example.org>")
    return repo


# ------------------------------------------------------------------------------------ mutations

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", "x" * 5000, "\u202e\u200b\ufeff", "<@U0>", "1e999", "9" * 40, "null", "\x00"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
"""Values swapped into fields: wrong types (null, number for string, list for dict), odd strings."""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = _set(value[path[0]], path[1:], new)
    return value


@st.composite
def mutated_json(draw: st.DrawFn, seed: Any) -> Any:
    """The seed document with one to four fields replaced by hostile values or removed."""
    doc = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and isinstance(_get(doc, path[:-1]), dict):
            del _get(doc, path[:-1])[path[-1]]
        else:
            doc = _set(doc, path, draw(HOSTILE_VALUES))
    return doc


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """Text as bytes, sometimes in the wrong encoding, with invalid bytes, or truncated."""
    how = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "invalid", "truncate", "bom", "utf-8"]))
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "latin-1":
        return text.encode("latin-1", errors="replace")
    data = text.encode("utf-8", errors="surrogatepass")
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "invalid":
        at = draw(st.integers(0, len(data)))
        return (
            data[:at]
            + draw(st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\x80", b"\xed\xa0\x80", b"\x00"]))
            + data[at:]
        )
    if how == "truncate":
        return data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return data


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: Path) -> bytes:
    """A mutation of a seed file: structural for JSON, textual for CSV and markdown, then re-encoded."""
    raw = seed.read_bytes()
    if seed.suffix == ".json" and draw(st.integers(0, 3)) > 0:
        doc = draw(mutated_json(json.loads(raw)))
        text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    else:
        text = raw.decode("utf-8", errors="replace")
        for _ in range(draw(st.integers(1, 3))):
            op = draw(st.sampled_from(["insert", "delete", "dup-line", "swap-delim"]))
            at = draw(st.integers(0, len(text)))
            if op == "insert":
                text = text[:at] + draw(st.text(max_size=30)) + text[at:]
            elif op == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 200)) :]
            elif op == "dup-line":
                lines = text.splitlines(keepends=True) or [""]
                i = draw(st.integers(0, len(lines) - 1))
                text = "".join(lines[: i + 1] + [lines[i]] * draw(st.integers(1, 3)) + lines[i + 1 :])
            else:
                text = text.replace(",", draw(st.sampled_from([";", "\t", '"', ",,"])), 1)
    return draw(encoded(text))


def copy_seed(seed: Path, dest: Path) -> Path:
    """Copy a seed file or folder to ``dest`` and return it."""
    if seed.is_dir():
        shutil.copytree(seed, dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed, dest)
    return dest


def deep_json(levels: int = DEEP_LEVELS, key: str | None = None) -> bytes:
    """JSON nested ``levels`` deep, optionally under a list key the adapter streams (``incidents``)."""
    inner = "[" * levels + "]" * levels
    if key is None:
        return inner.encode()
    return (f'{{"{key}": [' + '{"a":' * levels + "1" + "}" * levels + "]}").encode()


def oversized_json(seed: Path) -> bytes:
    """The seed with every string value replaced by an oversized one."""
    doc = json.loads(seed.read_bytes())

    grown = [0]

    def grow(v: Any) -> Any:
        if isinstance(v, str):
            if len(v) > 3 and grown[0] < OVERSIZED_FIELDS:
                grown[0] += 1
                return v + " " + "A" * OVERSIZED_CHARS
            return v
        if isinstance(v, dict):
            return {k: grow(x) for k, x in v.items()}
        if isinstance(v, list):
            return [grow(x) for x in v]
        return v

    return json.dumps(grow(doc)).encode()
