"""Rich tables for the map, what-if and patterns commands."""

from __future__ import annotations

from typing import Any

from agent.analytics.models import MapResult, PatternsResult, WhatIfResult

MAX_ROWS = 25
"""Rows per table before the rest is summarised."""


def _table(title: str, *columns: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


def _more(console: Any, total: int) -> None:
    if total > MAX_ROWS:
        console.print(f"... and {total - MAX_ROWS} more (use --json for all)")


def _scope_marks(scope: str, understaffed: bool, historical: bool) -> str:
    """A scope with its labels: 'service:x (understaffed, historical)'."""
    marks = [m for m, on in (("understaffed", understaffed), ("historical", historical)) if on]
    return f"{scope} ({', '.join(marks)})" if marks else scope


def _hero_cell(hero: str | None, understaffed: bool, historical: bool) -> str:
    """The hero column: the hero (or '-') with the scope's labels."""
    marks = [m for m, on in (("understaffed", understaffed), ("historical", historical)) if on]
    if hero is None:
        return " ".join(marks) or "-"
    return f"{hero} ({', '.join(marks)})" if marks else hero


def render_map(console: Any, result: MapResult) -> None:
    """The hero map: heroes first, then understaffed scopes, then scopes by risk."""
    w = result.window
    console.print(
        f"Window: {w.since or '-'} .. {w.until or '-'}   people: {len(result.people)}   scopes: {len(result.scopes)}"
    )
    names = {p.id: p.name for p in result.people}
    if result.heroes:
        t = _table("Heroes", "person", "kind", "scopes", "why", "reasons")
        for h in result.heroes[:MAX_ROWS]:
            t.add_row(
                f"{names.get(h.person, h.person)} ({h.person})",
                h.kind + (" (historical)" if h.historical else ""),
                "\n".join(_scope_marks(d.scope, d.understaffed, d.historical) for d in h.details)
                if h.details
                else "\n".join(h.scopes),
                h.why,
                "\n".join(h.label_reasons[:4]),
            )
        console.print(t)
        _more(console, len(result.heroes))
    else:
        console.print("No heroes: no scope meets the hero rule.")
    if result.understaffed:
        t = _table("Understaffed (too small to rotate, not knowledge concentration)", "scope", "team", "why")
        for u in result.understaffed[:MAX_ROWS]:
            t.add_row(u.scope, ", ".join(u.team), u.why)
        console.print(t)
    t = _table(
        "Scopes by risk",
        "scope",
        "risk",
        "events",
        "top person",
        "top share",
        "eff. resp.",
        "bus",
        "off-hours",
        "rescues",
        "hero",
    )
    for s in result.scopes[:MAX_ROWS]:
        t.add_row(
            s.scope,
            f"{s.risk:.2f}",
            str(s.events),
            s.top_person or "-",
            f"{s.top_share:.0%}",
            f"{s.effective_responders:.1f}",
            str(s.bus_factor),
            f"{s.off_hours_share:.0%}",
            str(s.rescues),
            _hero_cell(s.hero, s.understaffed, s.historical),
        )
    console.print(t)
    _more(console, len(result.scopes))


def render_whatif(console: Any, result: WhatIfResult) -> None:
    """Scopes that lose capability, classes only they rescued, runbooks only they wrote."""
    who = ", ".join(result.people)
    if not result.scopes:
        console.print(
            f"Without {who}: every scope keeps at least one capable person ({result.unaffected_scopes} untouched)."
        )
    else:
        t = _table(
            f"Without {who}",
            "scope",
            "status",
            "their share",
            "eff. resp. before",
            "left",
            "remaining",
            "why",
        )
        for s in result.scopes[:MAX_ROWS]:
            t.add_row(
                s.scope,
                s.status,
                f"{s.removed_share:.0%}",
                f"{s.effective_responders_before:.1f}",
                f"{s.effective_responders_left:.2f}",
                ", ".join(s.remaining) or "nobody",
                s.why,
            )
        console.print(t)
        _more(console, len(result.scopes))
    if result.classes_only_they_rescued:
        console.print("Incident classes only they rescued: " + ", ".join(result.classes_only_they_rescued))
    if result.runbooks_only_they_wrote:
        console.print(
            "Runbooks only they wrote: "
            + ", ".join(str(r["title"] or r["path"]) for r in result.runbooks_only_they_wrote)
        )


def render_patterns(console: Any, result: PatternsResult) -> None:
    """Rescue patterns, escalation sinks, incident classes with their runbook coverage."""
    if result.rescue_patterns:
        t = _table(
            f"Repeated rescues ({result.rescues} rescues in all)",
            "person",
            "scope",
            "rescues",
            "first",
            "last",
            "incidents",
        )
        for p in result.rescue_patterns[:MAX_ROWS]:
            t.add_row(
                p.person,
                p.scope,
                str(p.count),
                p.first.date().isoformat(),
                p.last.date().isoformat(),
                ", ".join(p.incidents[:3]) + (" ..." if len(p.incidents) > 3 else ""),
            )
        console.print(t)
        _more(console, len(result.rescue_patterns))
    else:
        console.print(f"No repeated rescue patterns ({result.rescues} rescues in all).")
    if result.escalation_sinks:
        t = _table("Where escalations end", "person", "received", "handed on")
        for s in result.escalation_sinks[:10]:
            t.add_row(str(s["person"]), str(s["received"]), str(s["handed_on"]))
        console.print(t)
    t = _table("Incident classes", "class", "incidents", "per month", "services", "top responder", "runbook")
    for c in result.classes[:MAX_ROWS]:
        rb = c.runbook
        cover = f"covered: {rb.title}" if rb.covers else f"GAP ({rb.reason})"
        t.add_row(
            c.scope,
            str(c.incidents),
            f"{c.recurrence_per_month:.1f}",
            ", ".join(c.services),
            f"{c.top_responder or '-'} {c.top_share:.0%}",
            cover,
        )
    console.print(t)
    _more(console, len(result.classes))
    console.print(
        f"Runbook coverage: {result.covered} of {len(result.classes)} classes covered; gaps: {len(result.runbook_gaps)}"
    )
    if result.links:
        rules: dict[str, int] = {}
        for lk in result.links:
            rules[lk.rule] = rules.get(lk.rule, 0) + 1
        console.print(
            f"Linked to incidents: {len(result.links)} threads, tickets and deploys ("
            + ", ".join(f"{rule} {n}" for rule, n in sorted(rules.items(), key=lambda kv: -kv[1]))
            + "); see patterns --json links"
        )
