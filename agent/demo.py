"""``understudy demo``: the sample organisation, end to end, with no key and no network."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_KIND = "knowledge-pack"
"""What the demo drafts for each top-risk hero scope."""

DEMO_SCOPES = 3
"""How many top-risk hero scopes the demo drafts for."""


@dataclass
class DemoResult:
    """What the demo did."""

    org: Path
    ingest: dict[str, Any]
    heroes: list[dict[str, Any]]
    drafts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"org": str(self.org), "ingest": self.ingest, "heroes": self.heroes, "drafts": self.drafts}


def top_hero_scopes(map_result: Any, limit: int = DEMO_SCOPES) -> list[str]:
    """The riskiest scopes that have a hero, most risky first."""
    scopes = [s for s in map_result.scopes if s.hero]
    scopes.sort(key=lambda s: s.risk, reverse=True)
    return [s.scope for s in scopes[:limit]]


def run_demo(
    ws: Any, seed: int = 7, scale: float = 1.0, progress: bool = True, console: Any = None
) -> DemoResult:
    """Generate the sample organisation into the workspace, ingest it, map it, draft knowledge packs."""
    from agent.analytics import compute_map
    from agent.drafting import start_drafts
    from ingest.pipeline import ingest_paths
    from ingest.sample import generate

    org = ws.home / "sample-org"
    say = console.print if console is not None else (lambda *a, **k: None)
    say(f"[bold]1/4[/] generating the sample organisation (seed {seed}, scale {scale}) into {org}")
    generate(org, seed=seed, scale=scale)
    aliases = org / "aliases.yaml"
    say("[bold]2/4[/] ingesting it (facts into SQLite, text into Chroma)")
    summary = ingest_paths(ws, [org], aliases=aliases if aliases.exists() else None, progress=progress)
    say("[bold]3/4[/] mapping dependence")
    result = compute_map(ws)
    scopes = top_hero_scopes(result)
    say(f"[bold]4/4[/] drafting {DEMO_KIND}s offline for the top-risk scopes: {', '.join(scopes) or 'none'}")
    drafts: list[str] = []
    for scope in scopes:
        drafts.extend(start_drafts(ws, scope=scope, kind=DEMO_KIND))
    heroes = [h.model_dump(mode="json") for h in result.heroes]
    return DemoResult(org=org, ingest=summary.to_json(), heroes=heroes, drafts=drafts)
