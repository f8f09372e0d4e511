"""The sources a scan reads: the PATHs given, else ``sources.yaml`` in the workspace.

```yaml
sources:
  - path: /data/exports/slack        # file or folder; relative paths are relative to the workspace
    kind: auto                       # auto (default) or a source kind: slack, pagerduty, git ...
    glob: "*.json"                   # optional: only the files under path matching this pattern
    aliases: /data/aliases.yaml      # optional: the aliases file that settles who is who
```

A folder holding an ``aliases.yaml`` uses it unless the entry names another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SOURCES_FILE = "sources.yaml"
"""Name of the sources configuration inside the workspace."""

ALIASES_BESIDE = ("aliases.yaml", "aliases.yml")
"""Aliases files picked up automatically from a source folder."""


class SourcesError(ValueError):
    """The sources configuration is missing or wrong (message says which)."""


@dataclass
class Source:
    """One configured source: where it is, what kind it is, which files."""

    path: Path
    kind: str = "auto"
    glob: str | None = None
    aliases: Path | None = None

    def files(self) -> list[Path]:
        """The paths to hand to ingest: the folder/file itself, or the glob's matches under it."""
        if self.glob:
            return sorted(p for p in self.path.glob(self.glob) if p.is_file() or p.is_dir())
        return [self.path]

    def aliases_file(self) -> Path | None:
        """The aliases file named, else one lying in the source folder."""
        if self.aliases is not None:
            return self.aliases
        if self.path.is_dir():
            for name in ALIASES_BESIDE:
                if (self.path / name).is_file():
                    return self.path / name
        return None


def load_sources(home: Path) -> list[Source]:
    """The sources configured in ``home/sources.yaml`` (SourcesError if absent or malformed)."""
    from ingest.pipeline import SOURCE_CHOICES

    file = Path(home) / SOURCES_FILE
    if not file.is_file():
        raise SourcesError(f"no PATH given and no {file} configures sources; see docs/scheduling.md")
    try:
        data: Any = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SourcesError(f"{file}: not valid YAML ({exc})") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{file}: expected a non-empty list under 'sources:'")
    out: list[Source] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict) or not entry.get("path"):
            raise SourcesError(f"{file}: sources[{i}] needs a 'path'")
        kind = str(entry.get("kind") or "auto")
        if kind not in SOURCE_CHOICES:
            raise SourcesError(
                f"{file}: sources[{i}].kind {kind!r} is not one of {', '.join(SOURCE_CHOICES)}"
            )
        path = _under(home, entry["path"])
        aliases = _under(home, entry["aliases"]) if entry.get("aliases") else None
        out.append(Source(path=path, kind=kind, glob=entry.get("glob"), aliases=aliases))
    return out


def sources_from_paths(paths: list[Path]) -> list[Source]:
    """Sources for PATHs given on the command line (kind detected from content)."""
    return [Source(path=Path(p).expanduser().resolve()) for p in paths]


def _under(home: Path, value: str) -> Path:
    p = Path(str(value)).expanduser()
    return (p if p.is_absolute() else Path(home) / p).resolve()
