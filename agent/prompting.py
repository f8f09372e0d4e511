"""Versioned prompt files: ``prompts/<kind>/v<N>.md`` with YAML front matter, rendered in a sandbox.

A merged prompt version never changes; a change is a new version file. Rendering uses
``jinja2.sandbox.SandboxedEnvironment`` with ``StrictUndefined``: a missing variable is an error,
never an empty string. Evidence is passed in as data between delimiters and escaped so that it
cannot close them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

import prompts as _prompts_pkg

PROMPTS_DIR = Path(_prompts_pkg.__file__).parent
"""Where the prompt files live (shipped as package data of ``prompts``)."""

EVIDENCE_PROMPT = "evidence"
"""The shared evidence block (same for every kind of a scope, so it is cached across drafts)."""

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)


class PromptError(ValueError):
    """A prompt file is missing, malformed, or rendered without a variable it needs."""


@dataclass(frozen=True)
class Prompt:
    """One prompt version: its metadata, template text and content hash."""

    id: str
    version: int
    output_model: str
    variables: tuple[str, ...]
    template: str
    sha256: str

    @property
    def ref(self) -> str:
        return f"{self.id}/v{self.version}"

    def render(self, **values: Any) -> str:
        """The prompt text; PromptError when a declared variable is missing or an unknown one is given."""
        missing = [v for v in self.variables if v not in values]
        unknown = [v for v in values if v not in self.variables]
        if missing or unknown:
            raise PromptError(
                f"prompt {self.ref}: missing variables {missing}, undeclared variables {unknown}"
            )
        try:
            return _env().from_string(self.template).render(**values)
        except Exception as exc:  # jinja2 UndefinedError, SecurityError, TemplateSyntaxError
            raise PromptError(f"prompt {self.ref}: {exc}") from exc


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["data"] = escape_data
    return env


def escape_data(text: Any) -> str:
    """Evidence text made safe to sit between ``<evidence>`` delimiters (it cannot close them)."""
    s = str(text)
    return re.sub(r"<(/?)(evidence|item)\b", r"&lt;\1\2", s, flags=re.I)


def parse(text: str, where: str = "prompt") -> Prompt:
    """A prompt from the text of its file."""
    m = _FRONT_MATTER.match(text)
    if not m:
        raise PromptError(f"{where}: no YAML front matter")
    meta = yaml.safe_load(m.group(1)) or {}
    for key in ("id", "version", "output_model", "variables"):
        if key not in meta:
            raise PromptError(f"{where}: front matter lacks {key!r}")
    return Prompt(
        id=str(meta["id"]),
        version=int(meta["version"]),
        output_model=str(meta["output_model"]),
        variables=tuple(meta["variables"]),
        template=m.group(2),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def latest_version(kind: str, root: Path = PROMPTS_DIR) -> int:
    """The highest version number on disk for a kind."""
    versions = [int(p.stem[1:]) for p in (root / kind).glob("v*.md") if p.stem[1:].isdigit()]
    if not versions:
        raise PromptError(f"no prompt files for {kind!r} under {root}")
    return max(versions)


def load(kind: str, version: int | None = None, root: Path = PROMPTS_DIR) -> Prompt:
    """A prompt version (the latest when ``version`` is None)."""
    version = version or latest_version(kind, root)
    path = root / kind / f"v{version}.md"
    if not path.exists():
        raise PromptError(f"no prompt {kind}/v{version} at {path}")
    return parse(path.read_text(encoding="utf-8"), where=str(path))
