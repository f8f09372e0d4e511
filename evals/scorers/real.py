"""The real corpus: public data nobody here wrote, each claim settled by a command that runs without Understudy.

Every case under ``evals/real/<case>/`` has a fixture (a git bundle or exported files), a ``SOURCE`` note and a
``case.yaml`` listing its checks. A check is a claim, the truth command that settles it (run with ``bash`` in
a clone of the fixture) and what Understudy must then say. Each case is ingested into a fresh workspace,
facts only (the stand-in hash embedder: no check reads a vector), and mapped over all its history.

``evals/real/expected.yaml`` states each check's outcome today. The gate, ``real.regressions``, counts the
checks expected to pass that fail; a check known to fail is reported as failing with its reason, never
hidden, and one that starts to pass is reported so the file is flipped.

Check kinds (the truth's output is a table of ``COUNT KEY`` lines or a list of ``KEY`` lines; a key is a
person's name, email, handle or chat id, matched against the people Understudy made, merges included):

- ``hero_is``: the truth's top key has more than :data:`MAJORITY_SHARE`; the scope's hero must be that person
  (one person: a key split over several people fails, as it does for ``top_person``).
- ``no_hero`` / ``no_hero_anywhere``: the truth's top key has under :data:`FLAT_SHARE`; the scope (or every
  scope) has no hero.
- ``top_person``: the scope's top person is the truth's top key.
- ``one_person``: every listed identity belongs to one and the same person.
- ``not_people``: no listed identity is (an alias of) a person.
- ``no_scopes_like``: no scope matches the check's ``pattern``.
- ``not_current_hero``: each listed key names a scope (``scope_prefix`` + its slug) the source says is gone (a
  deleted folder); a hero there must be marked historical (the scope's ``historical`` flag, a hero of kind
  ``historical``, or a label reason saying so), never a current hero.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import Metric

REAL_DIR = Path(__file__).resolve().parent.parent / "real"
EXPECTED = REAL_DIR / "expected.yaml"
DATASET = "evals/real (public data, see each case's SOURCE)"

MAJORITY_SHARE = 0.5
"""A claim that one person is a scope's hero needs them to carry more than half of its work: DESIGN.md's bus
factor 1 (the fewest people covering more than half). A definition, not a fitted number."""

FLAT_SHARE = 1 / 3
"""A claim that a scope has no hero needs its top person under a third of the work, so at least three
people carry it; naming a hero there is wrong under any rule. A definition, not a fitted number."""

TRUTH_TIMEOUT_SECONDS = 60
"""Longest a truth command may run (they read a few megabytes; seconds on any machine)."""

_COUNT_LINE = re.compile(r"^\s*(\d+)\s+(.+?)\s*$")


@dataclass
class CheckResult:
    """One check of one case: what the truth says, what Understudy said, and whether they agree."""

    case: str
    id: str
    check: str
    claim: str
    truth_command: str
    truth_says: str = ""
    understudy_says: str = ""
    passed: bool = False
    expected: str = "pass"
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.case}/{self.id}"

    @property
    def outcome(self) -> str:
        return "pass" if self.passed else "fail"


@dataclass
class People:
    """Understudy's people after merging: name and every alias, lower-cased, to the canonical person."""

    names: dict[str, str] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, ws: Any) -> People:
        from sqlalchemy import select

        from ingest.db import Alias, Person

        out = cls()
        with ws.session() as s:
            into = dict(s.execute(select(Person.id, Person.merged_into)).all())
            merged = {pid: _canonical(pid, into) for pid in into}
            for pid, name in s.execute(select(Person.id, Person.name)):
                canon = merged.get(pid, pid)
                if pid == canon:
                    out.names[canon] = name
                out._own(name, canon)
            for pid, value, display in s.execute(select(Alias.person_id, Alias.value, Alias.display)):
                canon = merged.get(pid, pid)
                out._own(value, canon)
                out._own(display, canon)
        return out

    def _own(self, text: str | None, person: str) -> None:
        if text:
            self.owners.setdefault(str(text).strip().lower(), set()).add(person)

    def who(self, key: str) -> set[str]:
        """The canonical people that carry ``key`` as name or alias (also as ``@key``)."""
        k = key.strip().lower()
        return self.owners.get(k, set()) | self.owners.get(f"@{k}", set())

    def name(self, person: str | None) -> str:
        return "nobody" if person is None else self.names.get(person, person)


def _canonical(pid: str, into: dict[str, str | None]) -> str:
    """Follow ``merged_into`` to the person that absorbed ``pid`` (chains included, cycles stopped)."""
    seen = {pid}
    while (nxt := into.get(pid)) and nxt not in seen:
        pid = nxt
        seen.add(pid)
    return pid


def load_expected(path: Path = EXPECTED) -> dict[str, dict[str, Any]]:
    """``case/check`` -> {"expect": "pass"|"fail", "reason": ...} from the committed expectations."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, Any]] = {}
    for case, checks in (data.get("cases") or {}).items():
        for check, spec in (checks or {}).items():
            spec = spec if isinstance(spec, dict) else {"expect": spec}
            out[f"{case}/{check}"] = spec
    return out


def case_dirs(root: Path = REAL_DIR, only: list[str] | None = None) -> list[Path]:
    """The case folders (those with a ``case.yaml``), sorted; ``only`` narrows them by name."""
    return [p.parent for p in sorted(root.glob("*/case.yaml")) if not only or p.parent.name in only]


def run_truth(command: str, cwd: Path) -> tuple[list[str], str | None]:
    """The truth command's output lines, or an error naming why it gave none."""
    try:
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TRUTH_TIMEOUT_SECONDS,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(cwd)},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"truth command could not run: {exc}"
    if proc.returncode != 0:
        return [], f"truth command exited {proc.returncode}: {proc.stderr.strip()[:200]}"
    return [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()], None


def counts(lines: list[str]) -> list[tuple[int, str]]:
    """``COUNT KEY`` lines as (count, key), largest first (ties by key)."""
    rows = [(int(m.group(1)), m.group(2)) for m in map(_COUNT_LINE.match, lines) if m]
    return sorted(rows, key=lambda r: (-r[0], r[1]))


def _top(lines: list[str]) -> tuple[str, int, int] | None:
    rows = counts(lines)
    return (rows[0][1], rows[0][0], sum(c for c, _ in rows)) if rows else None


def _scope(result: Any, names: str | list[str]) -> Any | None:
    wanted = [names] if isinstance(names, str) else list(names)
    by_name = {s.scope: s for s in result.scopes}
    return next((by_name[n] for n in wanted if n in by_name), None)


def _scope_text(sc: Any, people: People) -> str:
    flags = ", understaffed" if getattr(sc, "understaffed", False) else ""
    return (
        f"{sc.scope}: hero {people.name(sc.hero)}; top {people.name(sc.top_person)} "
        f"{sc.top_share:.2f} of {sc.events} events, bus factor {sc.bus_factor}{flags}"
    )


def judge(spec: dict[str, Any], lines: list[str], result: Any, people: People) -> tuple[bool, str, str]:
    """(passed, what the truth says, what Understudy says) for one check."""
    kind = spec["check"]
    if kind in ("hero_is", "no_hero", "no_hero_anywhere", "top_person"):
        top = _top(lines)
        if top is None:
            return False, "no counts in the truth's output", ""
        key, n, total = top
        share = n / total
        truth = f"top {key}: {n} of {total} ({share:.2f})"
        if kind == "no_hero_anywhere":
            heroes = [f"{people.name(h.person)} on {', '.join(h.scopes[:3])}" for h in result.heroes]
            if share >= FLAT_SHARE:
                return False, truth + f": not flat (needs < {FLAT_SHARE:.2f})", ""
            return not heroes, truth, "heroes: " + ("; ".join(heroes) if heroes else "none")
        sc = _scope(result, spec["scope"])
        if sc is None:
            return (
                False,
                truth,
                f"no scope {spec['scope']} (scopes: {', '.join(s.scope for s in result.scopes[:8])})",
            )
        said = _scope_text(sc, people)
        owners = people.who(key)
        if len(owners) > 1:
            names = ", ".join(sorted(people.name(p) for p in owners))
            return False, truth, f"{said}; {key} is split over {len(owners)} people ({names})"
        if kind == "hero_is":
            if share <= MAJORITY_SHARE:
                return False, truth + f": no majority (needs > {MAJORITY_SHARE:.2f})", said
            return sc.hero in owners, truth, said
        if kind == "no_hero":
            if share >= FLAT_SHARE:
                return False, truth + f": not flat (needs < {FLAT_SHARE:.2f})", said
            return sc.hero is None, truth, said
        return sc.top_person in owners, truth, said
    if kind == "one_person":
        if not lines:
            return False, "no identities in the truth's output", ""
        found = {key: people.who(key) for key in lines}
        persons = set().union(*found.values())
        missing = [k for k, v in found.items() if not v]
        said = f"{len(persons)} people: " + ", ".join(sorted(people.name(p) for p in persons))
        if missing:
            said += "; not found: " + ", ".join(missing)
        return len(persons) == 1 and not missing, f"{len(lines)} identities: {', '.join(lines)}", said
    if kind == "not_people":
        if not lines:
            return False, "nothing listed by the truth", ""
        hits = {key: people.who(key) for key in lines}
        made = [f"{k} ({', '.join(sorted(people.name(p) for p in v))})" for k, v in hits.items() if v]
        return (
            not made,
            f"{len(lines)} not people: {', '.join(lines)}",
            ("made people of: " + "; ".join(made) if made else "none of them is a person"),
        )
    if kind == "no_scopes_like":
        pattern = re.compile(spec["pattern"])
        bad = [s.scope for s in result.scopes if pattern.search(s.scope)]
        truth = f"{len(lines)} listed: {', '.join(lines[:12])}"
        return (
            not bad,
            truth,
            (f"{len(bad)} scopes match {spec['pattern']}: " + ", ".join(bad[:8]))
            if bad
            else (f"no scope matches {spec['pattern']}"),
        )
    if kind == "not_current_hero":
        from ingest.records import slug

        if not lines:
            return False, "nothing listed by the truth", ""
        by_scope = {s.scope: s for s in result.scopes}
        current = []
        for key in lines:
            sc = by_scope.get(spec["scope_prefix"] + slug(key))
            if sc is not None and sc.hero is not None and not _historical(sc, result):
                current.append(f"{people.name(sc.hero)} on {sc.scope}")
        said = "current heroes: " + "; ".join(current) if current else "no current hero on any of them"
        return not current, f"{len(lines)} gone: {', '.join(lines)}", said
    raise ValueError(f"unknown check kind {kind!r}")


def _historical(sc: Any, result: Any) -> bool:
    """Whether the map marks a scope's concentration as historical rather than current."""
    if getattr(sc, "historical", False) or getattr(sc, "current", True) is False:
        return True
    for h in result.heroes:
        for d in getattr(h, "details", []):
            if d.scope == sc.scope and (
                d.kind == "historical" or any("historical" in r for r in d.label_reasons)
            ):
                return True
    return False


def materialize(case_dir: Path, spec: dict[str, Any], work: Path) -> Path:
    """The folder to ingest and run the truth commands in: a bare clone of a bundle, or the fixture itself."""
    fixture = case_dir / spec["fixture"]
    if spec["kind"] != "git":
        return fixture
    clone = work / f"{spec.get('name') or case_dir.name}.git"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(fixture), str(clone)], check=True, capture_output=True
    )
    return clone


def score_case(
    case_dir: Path, work: Path, expected: dict[str, dict[str, Any]]
) -> tuple[list[CheckResult], float]:
    """Ingest one case into a fresh workspace, run its truth commands, and judge every check."""
    from agent.analytics import compute_map
    from evals.orgs import HashEmbedder
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace

    started = time.perf_counter()
    spec = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    source = materialize(case_dir, spec, work)
    ws = Workspace.open(work / "ws", embedder=HashEmbedder())
    ingest_paths(ws, [source], source=spec["kind"], name=spec.get("name"))
    result = compute_map(ws)
    people = People.of(ws)
    out: list[CheckResult] = []
    for check in spec["checks"]:
        want = expected.get(f"{case_dir.name}/{check['id']}", {})
        r = CheckResult(
            case=case_dir.name,
            id=check["id"],
            check=check["check"],
            claim=check.get("claim", ""),
            truth_command=check["truth"],
            expected=str(want.get("expect", "pass")),
            reason=str(want.get("reason", "")),
        )
        lines, error = run_truth(check["truth"], source)
        if error:
            r.truth_says = error
        else:
            r.passed, r.truth_says, r.understudy_says = judge(check, lines, result, people)
        out.append(r)
    return out, time.perf_counter() - started


def table(results: list[CheckResult]) -> dict[str, Any]:
    """The per-check table the markdown report prints."""
    rows = [
        [
            r.key,
            f"`{r.truth_command}`",
            r.truth_says,
            r.understudy_says,
            "pass" if r.passed else "**FAIL**",
            r.expected + (f" ({r.reason})" if r.reason else ""),
        ]
        for r in results
    ]
    return {
        "title": "Real corpus: per case and check",
        "columns": ["case/check", "truth command", "the truth says", "Understudy says", "result", "expected"],
        "rows": rows,
    }


def metrics_of(results: list[CheckResult], thresholds: dict[str, float]) -> list[Metric]:
    """The corpus's metrics: checks passed (info), regressions (gated), known failures and unexpected passes."""
    regressions = [r for r in results if r.expected == "pass" and not r.passed]
    known = [r for r in results if r.expected != "pass" and not r.passed]
    fixed = [r for r in results if r.expected != "pass" and r.passed]
    passed = sum(r.passed for r in results)
    cases = sorted({r.case for r in results})
    details = {
        "checks": len(results),
        "passed": passed,
        "cases": cases,
        "table": table(results),
        "results": [r.__dict__ | {"outcome": r.outcome} for r in results],
    }
    return [
        Metric(
            "real.cases_passed",
            float(passed),
            f"Checks of the real corpus that pass ({passed} of {len(results)}, over {len(cases)} cases)",
            dataset=DATASET,
            failing_cases=[
                f"{r.key}: truth {r.truth_says}; Understudy {r.understudy_says}"
                for r in results
                if not r.passed
            ],
            details=details,
        ),
        Metric(
            "real.regressions",
            float(len(regressions)),
            "Real-corpus checks expected to pass (evals/real/expected.yaml) that fail",
            thresholds.get("real.regressions", 0.0),
            direction="max",
            dataset=DATASET,
            failing_cases=[
                f"{r.key}: truth {r.truth_says}; Understudy {r.understudy_says}" for r in regressions
            ],
        ),
        Metric(
            "real.known_failures",
            float(len(known)),
            "Real-corpus checks known to fail today, each with its reason in evals/real/expected.yaml",
            dataset=DATASET,
            failing_cases=[f"{r.key}: {r.reason}; Understudy {r.understudy_says}" for r in known],
        ),
        Metric(
            "real.unexpected_passes",
            float(len(fixed)),
            "Real-corpus checks listed as failing that now pass: flip them to pass in evals/real/expected.yaml",
            dataset=DATASET,
            failing_cases=[f"{r.key}: now passes ({r.understudy_says})" for r in fixed],
        ),
    ]


def score(
    work: Path, thresholds: dict[str, float], cases: list[str] | None = None, root: Path = REAL_DIR
) -> list[Metric]:
    """Score every case of the real corpus (or the named ones) under ``work``."""
    expected = load_expected(root / "expected.yaml")
    results: list[CheckResult] = []
    seconds: dict[str, float] = {}
    for case_dir in case_dirs(root, cases):
        try:
            got, took = score_case(case_dir, work / case_dir.name, expected)
        except Exception as exc:
            spec = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))
            got = [
                CheckResult(
                    case=case_dir.name,
                    id=c["id"],
                    check=c["check"],
                    claim=c.get("claim", ""),
                    truth_command=c["truth"],
                    understudy_says=f"the case could not be ingested: {type(exc).__name__}: {exc}"[:300],
                    expected=str(expected.get(f"{case_dir.name}/{c['id']}", {}).get("expect", "pass")),
                )
                for c in spec.get("checks", [])
            ]
            took = 0.0
        results += got
        seconds[case_dir.name] = round(took, 1)
    out = metrics_of(results, thresholds)
    out[0].details["seconds"] = seconds
    return out
