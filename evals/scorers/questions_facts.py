"""The facts a question set's expectations look up, taken at score time from the product's own analyses.

Every look-up reads the results of the public functions behind the CLI (``map``, ``whatif``, ``patterns``,
``independence``, and the scan history ``scan`` compares with), so the expected facts follow the analytics
when they improve. The vocabulary is documented at the top of ``evals/datasets/questions.v2.yaml``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from evals.scorers.questions_match import Entity, Known, fold, person_entity, scope_entity

NEXT_IN_LINE = 3
"""How many non-hero people, by share, count as 'who could learn it next' (the map shows the top five)."""

CAPABLE_SHARE = 0.05
"""A share of a scope's work that makes someone 'also able to do it': the what-if's own cut-off (5%)."""


class LookupError_(KeyError):
    """A look-up the data cannot resolve (an unknown person or scope): a broken question, reported as such."""


def _plain(scope: str) -> bool:
    return not scope.startswith("class:")


class Facts:
    """One workspace's analyses, computed once and looked up by the expectations of many questions."""

    def __init__(self, ws: Any) -> None:
        from agent.analytics import compute_map, find_rescues, patterns
        from agent.analytics.metrics import aggregate
        from agent.ledger import independence
        from agent.scan.service import last_scans
        from agent.scan.signals import data_end

        self.ws = ws
        self.map = compute_map(ws)
        self.patterns = patterns(ws)
        self.independence = independence(ws)
        self.scans = last_scans(ws)
        end = data_end(ws)
        self.end = (end if end.tzinfo else end.replace(tzinfo=UTC)) if end else datetime.now(UTC)
        with ws.session() as s:
            self.rescues = find_rescues(s)
            self.bands = aggregate(s, ws.settings.org_timezone)
        self.people = {p.id: p for p in self.map.people}
        firsts = [p.name.split()[0].lower() for p in self.map.people if p.name.split()]
        self.entities = {
            p.id: person_entity(
                p.id, p.name, p.aliases, unique_first=firsts.count(p.name.split()[0].lower()) == 1
            )
            for p in self.map.people
            if p.name.split()
        }
        self._maps: dict[tuple[Any, Any], Any] = {(None, None): self.map}
        self._whatifs: dict[tuple[str, ...], Any] = {}

    # ------------------------------------------------------------------ slots

    def person(self, alias: str) -> str:
        """The person id of any alias (as ``whatif`` resolves it; a name's case does not matter)."""
        from ingest.identity import resolve_person

        with self.ws.session() as s:
            pid = resolve_person(s, alias)
        if pid is None:
            wanted = fold(alias).lstrip("@")
            hits = {
                p.id
                for p in self.map.people
                if wanted in {fold(a).lstrip("@") for a in (p.name, p.id, *p.aliases)}
            }
            pid = hits.pop() if len(hits) == 1 else None
        if pid is None:
            raise LookupError_(f"no person matches {alias!r}")
        return pid

    def scope(self, name: str, result: Any | None = None) -> str:
        """The scope id for a scope id or a bare name ('payments-api' is service:payments-api first)."""
        scopes = [s.scope for s in (result or self.map).scopes]
        if name in scopes:
            return name
        for prefix in ("service:", "repo:", "class:", "task:deploy:"):
            if prefix + name in scopes:
                return prefix + name
        tail = [s for s in scopes if s.split(":")[-1] == name]
        if tail:
            return tail[0]
        raise LookupError_(f"no scope matches {name!r}")

    def window(self, spec: dict[str, Any] | None) -> tuple[datetime | None, datetime | None]:
        """A time phrase as a window, anchored at the end of the data (the newest incident)."""
        if not spec:
            return None, None
        end = self.end
        if "days" in spec:
            return end - timedelta(days=int(spec["days"])), None
        if "since_month" in spec:
            month = int(spec["since_month"])
            year = end.year if month <= end.month else end.year - 1
            return datetime(year, month, 1, tzinfo=UTC), None
        if spec.get("last_quarter"):
            q_start = datetime(end.year, 3 * ((end.month - 1) // 3) + 1, 1, tzinfo=UTC)
            prev_month = q_start.month - 3
            prev = datetime(
                q_start.year if prev_month > 0 else q_start.year - 1, (prev_month - 1) % 12 + 1, 1, tzinfo=UTC
            )
            return prev, q_start
        raise LookupError_(f"unknown window {spec!r}")

    def map_for(self, spec: dict[str, Any] | None) -> Any:
        """The hero map over a question's window."""
        from agent.analytics import compute_map

        key = self.window(spec)
        if key not in self._maps:
            self._maps[key] = compute_map(self.ws, since=key[0], until=key[1])
        return self._maps[key]

    def whatif(self, people: list[str]) -> Any:
        """The what-if of these people being away."""
        from agent.analytics import whatif

        key = tuple(sorted(people))
        if key not in self._whatifs:
            self._whatifs[key] = whatif(self.ws, list(key))
        return self._whatifs[key]

    def scope_row(self, name: str, spec: dict[str, Any] | None = None) -> Any:
        result = self.map_for(spec)
        sid = self.scope(name, result)
        return next(s for s in result.scopes if s.scope == sid)

    # ------------------------------------------------------------------ per-person figures

    def band_totals(self, pid: str) -> dict[str, int]:
        """A person's events outside business hours and in sleep hours, over every plain scope."""
        off = sleep = 0
        for (scope, _), st in self.bands.items():
            p = st.people.get(pid) if _plain(scope) else None
            if p is not None:
                off += p.off_events + p.sleep_events
                sleep += p.sleep_events
        return {"off_hours": off, "sleep": sleep}

    def ranked_by_band(self, band: str) -> list[str]:
        totals = {pid: self.band_totals(pid)[band] for pid in self.people}
        return sorted((p for p in totals if totals[p] > 0), key=lambda p: (-totals[p], p))

    def rescues_of(self, pid: str, scope: str | None = None) -> int:
        """Incidents the person rescued (optionally in one scope)."""
        return len(
            {r.incident for r in self.rescues if r.person == pid and (scope is None or r.scope == scope)}
        )

    def escalations_into(self, pid: str) -> int:
        return sum(e.count for e in self.patterns.escalations if e.target == pid)

    # ------------------------------------------------------------------ look-ups

    def persons(self, pids: list[str]) -> list[Entity]:
        return [self.entities[p] for p in dict.fromkeys(pids) if p in self.entities]

    def resolve(self, lookup: dict[str, Any]) -> list[Entity]:
        """The entities a look-up names (people, scopes or numbers), in the data's order of importance."""
        spec = lookup.get("window")
        keys = [k for k in lookup if k not in ("window", "first")]
        if len(keys) != 1:
            raise LookupError_(f"a look-up has exactly one key besides window and first: {lookup!r}")
        key, arg = keys[0], lookup[keys[0]]
        fn = getattr(self, f"_l_{key}", None)
        if fn is None:
            raise LookupError_(f"unknown look-up {key!r}")
        out = fn(arg, spec)
        out = out if isinstance(out, list) else [out]
        return out[: int(lookup["first"])] if "first" in lookup else out

    def _l_person(self, arg: str, spec: Any) -> list[Entity]:
        return self.persons([self.person(arg)])

    def _l_hero_of(self, arg: str, spec: Any) -> list[Entity]:
        row = self.scope_row(arg, spec)
        return self.persons([row.hero] if row.hero else [])

    def _l_heroes(self, arg: Any, spec: Any) -> list[Entity]:
        return self.persons([h.person for h in self.map_for(spec).heroes])

    def _l_hero_scopes(self, arg: Any, spec: Any) -> list[Entity]:
        kind = f"{arg}:" if isinstance(arg, str) else ""
        return [scope_entity(s) for h in self.map_for(spec).heroes for s in h.scopes if s.startswith(kind)]

    def _l_scopes_of_person(self, arg: str, spec: Any) -> list[Entity]:
        pid = self.person(arg)
        result = self.map_for(spec)
        mine = [s for h in result.heroes if h.person == pid for s in h.scopes]
        if not mine:
            ranked = sorted(
                (s for s in result.scopes if pid in s.shares), key=lambda s: (-s.shares[pid], s.scope)
            )
            mine = [s.scope for s in ranked[:NEXT_IN_LINE]]
        return [scope_entity(s) for s in mine]

    def _l_classes_only_rescued_by(self, arg: str, spec: Any) -> list[Entity]:
        return [scope_entity(c) for c in self.whatif([self.person(arg)]).classes_only_they_rescued]

    def _l_top_off_hours_person(self, arg: Any, spec: Any) -> list[Entity]:
        return self.persons(self.ranked_by_band("off_hours")[: int(arg) if arg is not True else 1])

    def _l_top_sleep_person(self, arg: Any, spec: Any) -> list[Entity]:
        return self.persons(self.ranked_by_band("sleep")[: int(arg) if arg is not True else 1])

    def _l_escalation_targets_of(self, arg: str, spec: Any) -> list[Entity]:
        pid = self.person(arg)
        edges = sorted((e for e in self.patterns.escalations if e.source == pid), key=lambda e: -e.count)
        return self.persons([e.target for e in edges])

    def _l_escalation_sources_of(self, arg: str, spec: Any) -> list[Entity]:
        pid = self.person(arg)
        edges = sorted((e for e in self.patterns.escalations if e.target == pid), key=lambda e: -e.count)
        return self.persons([e.source for e in edges])

    def _l_top_escalation_target(self, arg: Any, spec: Any) -> list[Entity]:
        totals = {p: self.escalations_into(p) for p in self.people}
        ranked = sorted((p for p in totals if totals[p]), key=lambda p: (-totals[p], p))
        return self.persons(ranked[: int(arg) if arg is not True else 1])

    def _l_capable_without_hero(self, arg: str, spec: Any) -> list[Entity]:
        row = self.scope_row(arg, spec)
        if row.hero:
            for s in self.whatif([row.hero]).scopes:
                if s.scope == row.scope:
                    return self.persons(s.remaining)
        return self.persons([p for p, v in row.shares.items() if p != row.hero and v >= CAPABLE_SHARE])

    def _l_next_in_line(self, arg: str, spec: Any) -> list[Entity]:
        row = self.scope_row(arg, spec)
        return self.persons([p for p in row.shares if p not in (row.hero, row.top_person)][:NEXT_IN_LINE])

    def _l_top_risk_scopes(self, arg: Any, spec: Any) -> list[Entity]:
        hero_scopes = [s for s in self.map_for(spec).scopes if s.hero and _plain(s.scope)]
        ranked = sorted(hero_scopes, key=lambda s: (-s.risk, s.scope))
        return [scope_entity(s.scope) for s in ranked[: int(arg) if arg is not True else 1]]

    def _l_top_rescue_scopes(self, arg: Any, spec: Any) -> list[Entity]:
        ranked = sorted(
            (s for s in self.map_for(spec).scopes if s.rescues and _plain(s.scope)),
            key=lambda s: (-s.rescues, s.scope),
        )
        return [scope_entity(s.scope) for s in ranked[: int(arg) if arg is not True else 1]]

    def _l_top_rescue_classes(self, arg: Any, spec: Any) -> list[Entity]:
        ranked = sorted(
            (c for c in self.patterns.classes if sum(c.rescuers.values())),
            key=lambda c: (-sum(c.rescuers.values()), c.scope),
        )
        return [scope_entity(c.scope) for c in ranked[: int(arg) if arg is not True else 1]]

    def _l_runbook_gaps(self, arg: Any, spec: Any) -> list[Entity]:
        return [scope_entity(g) for g in self.patterns.runbook_gaps]

    def _l_undocumented_hero_scopes(self, arg: Any, spec: Any) -> list[Entity]:
        out = []
        for h in self.map_for(spec).heroes:
            for d in h.details:
                if any("no runbook" in r for r in d.label_reasons):
                    out.append(scope_entity(d.scope))
        return out

    def _l_affected_if_away(self, arg: str | list[str], spec: Any) -> list[Entity]:
        names = [arg] if isinstance(arg, str) else arg
        result = self.whatif([self.person(a) for a in names])
        return [scope_entity(s.scope) for s in result.scopes if _plain(s.scope)]

    def _l_understaffed_scopes(self, arg: Any, spec: Any) -> list[Entity]:
        return [scope_entity(u.scope) for u in self.map_for(spec).understaffed]

    def _l_understaffed_team(self, arg: str, spec: Any) -> list[Entity]:
        sid = self.scope(arg)
        return self.persons([p for u in self.map_for(spec).understaffed if u.scope == sid for p in u.team])

    def rivals(self, expected: Entity) -> list[Entity]:
        """What else a ranking could put first: every person, or every scope of the same kind (class or not)."""
        if expected.kind == "person":
            return list(self.entities.values())
        classes = not _plain(expected.key)
        return [scope_entity(s.scope) for s in self.map.scopes if _plain(s.scope) != classes]

    # ------------------------------------------------------------------ numbers

    def number(self, lookup: dict[str, Any]) -> float:
        """The number a numeric look-up names."""
        spec = lookup.get("window")
        keys = [k for k in lookup if k != "window"]
        if len(keys) != 1:
            raise LookupError_(f"a number look-up has exactly one key besides window: {lookup!r}")
        key, arg = keys[0], lookup[keys[0]]
        fn = getattr(self, f"_n_{key}", None)
        if fn is None:
            raise LookupError_(f"unknown number look-up {key!r}")
        return float(fn(arg, spec))

    def _n_count_people_with_share_over(self, arg: dict[str, Any], spec: Any) -> int:
        row = self.scope_row(arg["scope"], spec)
        return sum(1 for v in row.shares.values() if v > float(arg["share"]))

    def _n_people_on(self, arg: str, spec: Any) -> int:
        return self.scope_row(arg, spec).people

    def _n_bus_factor(self, arg: str, spec: Any) -> int:
        return self.scope_row(arg, spec).bus_factor

    def _n_effective_responders(self, arg: str, spec: Any) -> float:
        return self.scope_row(arg, spec).effective_responders

    def _n_top_share(self, arg: str, spec: Any) -> float:
        return self.scope_row(arg, spec).top_share

    def _n_incidents_of(self, arg: str, spec: Any) -> int:
        return self.scope_row(arg, spec).incidents

    def _n_rescues_in(self, arg: str, spec: Any) -> int:
        return self.scope_row(arg, spec).rescues

    def _n_rescues_of(self, arg: str | dict[str, str], spec: Any) -> int:
        if isinstance(arg, dict):
            return self.rescues_of(self.person(arg["person"]), self.scope(arg["scope"]))
        return self.rescues_of(self.person(arg))

    def _n_escalations_into(self, arg: str, spec: Any) -> int:
        return self.escalations_into(self.person(arg))

    def _n_escalations_between(self, arg: dict[str, str], spec: Any) -> int:
        src, dst = self.person(arg["from"]), self.person(arg["to"])
        return sum(e.count for e in self.patterns.escalations if e.source == src and e.target == dst)

    def _n_off_hours_events_of(self, arg: str, spec: Any) -> int:
        return self.band_totals(self.person(arg))["off_hours"]

    def _n_sleep_events_of(self, arg: str, spec: Any) -> int:
        return self.band_totals(self.person(arg))["sleep"]

    def _n_hero_count(self, arg: Any, spec: Any) -> int:
        return len(self.map_for(spec).heroes)

    def _n_runbook_gap_count(self, arg: Any, spec: Any) -> int:
        return len(self.patterns.runbook_gaps)

    def _n_rescue_total(self, arg: Any, spec: Any) -> int:
        return self.patterns.rescues

    def _n_affected_count_if_away(self, arg: str | list[str], spec: Any) -> int:
        return len(self._l_affected_if_away(arg, spec))

    # ------------------------------------------------------------------ verdicts, heroes, scans

    def verdict(self, name: str) -> str:
        """The independence verdict of a scope (a scope the check does not list is dependent on nobody yet)."""
        sid = self.scope(name)
        for s in self.independence.scopes:
            if s.scope == sid:
                return s.verdict
        from agent.ledger.independence import check_scope

        return check_scope(self.ws, sid).verdict

    def is_hero(self, alias: str) -> bool:
        pid = self.person(alias)
        return any(h.person == pid for h in self.map.heroes)

    def scan_changes(self) -> list[Entity] | None:
        """What the last scan found new (people and scopes), or None when no scan has run."""
        if not self.scans:
            return None
        out: list[Entity] = []
        for f in self.scans[0]["findings"]:
            if f.get("person") in self.entities:
                out.append(self.entities[f["person"]])
            if f.get("scope"):
                out.append(scope_entity(f["scope"]))
        return out

    # ------------------------------------------------------------------ what an answer may say

    def known(self) -> Known:
        """Every name and number the analyses hold (any window a question asks about included)."""
        from sqlalchemy import select

        from ingest.db import Alias, Chunk, Person

        known = Known()
        with self.ws.session() as s:
            for (name,) in s.execute(select(Person.name)):
                known.add_person(name or "", [])
            for value, display in s.execute(select(Alias.value, Alias.display)):
                known.names.add(fold(value or "").lstrip("@"))
                known.names.add(fold(display or "").lstrip("@"))
            known.code = fold(" ".join(t for (t,) in s.execute(select(Chunk.text))))
        for p in self.map.people:
            known.add_person(p.name, p.aliases)
        results = [
            r.model_dump(mode="json") for r in (*self._maps.values(), self.patterns, self.independence)
        ]
        results += [w.model_dump(mode="json") for w in self._whatifs.values()]
        results += [self.scans]
        for r in results:
            _numbers(r, known)
        for pid in self.people:
            for v in self.band_totals(pid).values():
                known.add_number(v)
            known.add_number(self.rescues_of(pid))
            known.add_number(self.escalations_into(pid))
        for year in {self.end.year, self.end.year - 1}:
            known.add_number(year)
        return known


def _numbers(obj: Any, known: Known) -> None:
    """Every number in a JSON value, and every list's and mapping's length."""
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, int | float):
        known.add_number(float(obj))
    elif isinstance(obj, str):
        import re

        for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])", obj):
            known.add_number(float(m.group()))
    elif isinstance(obj, dict):
        known.add_number(float(len(obj)))
        for v in obj.values():
            _numbers(v, known)
    elif isinstance(obj, list):
        known.add_number(float(len(obj)))
        for v in obj:
            _numbers(v, known)
