"""The eval suite: build the datasets' organisations, run every scorer, report, and gate on thresholds.

``understudy eval`` calls :func:`main`; ``python -m evals.runner --home DIR`` does the same.
Progress goes to stderr; stdout carries the table and, last, ``eval: N passed, M failed`` (or, with
``--json``, one JSON object). The exit code is 1 when any gated metric misses its threshold.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import CLAUDE_REPLAY, Metric

EVALS_DIR = Path(__file__).resolve().parent
DATASETS = EVALS_DIR / "datasets"
THRESHOLDS = EVALS_DIR / "thresholds.yaml"
REPO = EVALS_DIR.parent
CASSETTES = REPO / "tests" / "cassettes" / "evals"
"""Hand-written drafting cassettes recorded against the eval suite's own seed, replayed with record_mode
none and matched on method, path and request-body hash (``evals.cassettes``); ``--record`` with a key
re-records them from the real model; ``python -m tests.cassettes.rebind`` re-binds the hand-written ones."""

HERO_MATRIX = "hero_matrix.v2"
TEST_SET = "test"
"""The set the gate reads; the tuning set's figures are reported beside it as ``tune.<metric>`` (info)."""
TUNE_SET = "tune"
RULES = "review_rules.v1"
QUESTIONS_V2_ORG = "default-s7"
"""The organisation questions.v2 was written about (its questions name that org's people); its tune/test
split is by question, so the org may be a tuning org of the hero matrix."""


def log(message: str) -> None:
    """A progress line on stderr (stdout is the report's)."""
    sys.stderr.write(f"eval: {message}\n")
    sys.stderr.flush()


def load_thresholds(path: Path = THRESHOLDS) -> tuple[dict[str, float], dict[str, str]]:
    """(metric -> threshold, metric -> direction) from the one thresholds file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values: dict[str, float] = {}
    directions: dict[str, str] = {}
    for direction in ("min", "max"):
        for name, value in (data.get(direction) or {}).items():
            values[name] = float(value)
            directions[name] = direction
    return values, directions


def load_dataset(name: str) -> dict[str, Any]:
    return yaml.safe_load((DATASETS / f"{name}.yaml").read_text(encoding="utf-8"))


def guarded(
    name: str,
    fn: Callable[[], list[Metric]],
    fallback: list[str],
    thresholds: dict[str, float],
    timings: dict[str, float],
) -> list[Metric]:
    """Run one scorer; a crash becomes missing metrics naming the error, never a crashed suite."""
    started = time.perf_counter()
    log(f"scoring {name}")
    try:
        out = fn()
    except Exception as exc:
        trace = traceback.format_exc(limit=6)
        log(f"{name} crashed: {type(exc).__name__}: {exc}")
        sys.stderr.write(trace)
        out = [
            Metric(
                m,
                None,
                f"{name} (the scorer crashed)",
                thresholds.get(m),
                failing_cases=[f"{type(exc).__name__}: {exc}"[:400]],
            )
            for m in fallback
        ]
    timings[name] = round(time.perf_counter() - started, 1)
    return out


def as_tuning(metrics: list[Metric]) -> list[Metric]:
    """The same figures measured on the tuning set: renamed ``tune.<name>``, informational (never gated)."""
    for m in metrics:
        m.name = f"tune.{m.name}"
        m.threshold = None
        m.description = f"(tuning set, not gated) {m.description}"
    return metrics


def dataset_integrity(orgs: list[Any], thresholds: dict[str, float]) -> Metric:
    """Whether each regenerated org still plants the figures its dataset version stored."""
    ok = 0
    failing: list[str] = []
    for org in orgs:
        exp = org.case.expected
        truth = org.truth
        now = {
            "hero_pairs": sorted(f"{h.person} {s}" for h in truth.heroes for s in h.scopes),
            "rescues": len(truth.rescues),
            "chat_fixes": len(truth.chat_fixes),
            "incidents": truth.counts.get("incidents"),
        }
        diffs = [f"{k}: stored {exp.get(k)!r}, generated {v!r}" for k, v in now.items() if exp.get(k) != v]
        if diffs:
            failing.append(f"{org.case.name}: " + "; ".join(d[:200] for d in diffs))
        else:
            ok += 1
    return Metric(
        "datasets.match_generator",
        ok / len(orgs) if orgs else None,
        "Share of generated orgs whose planted figures match the stored dataset version",
        thresholds.get("datasets.match_generator"),
        dataset=HERO_MATRIX,
        failing_cases=failing,
    )


def run(
    home: str | None = None,
    record: bool = False,
    work_dir: Path | None = None,
    cases: list[str] | None = None,
) -> tuple[list[Metric], dict[str, Any]]:
    """Run every eval; returns the judged metrics and the run's metadata."""
    from evals.orgs import OrgCase, build_org, real_embedder
    from evals.scorers import classes, drafting, heroes, questions, rescues, review_stats, rules, secrets
    from ingest.workspace import Workspace

    started = time.perf_counter()
    thresholds, directions = load_thresholds()
    home_ws = Workspace.open(home)
    settings = home_ws.settings
    root = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="understudy-eval-"))
    timings: dict[str, float] = {}
    metrics: list[Metric] = []
    try:
        matrix = load_dataset(HERO_MATRIX)
        org_cases = [OrgCase.from_dict(c) for c in matrix["cases"] if not cases or c["name"] in cases]
        orgs = []
        for case in org_cases:
            log(
                f"generating and ingesting {case.name} ({case.variant}, seed {case.seed}, {case.embed} embeddings)"
            )
            try:
                org = build_org(case, root)
            except Exception as exc:
                log(f"{case.name} could not be built: {type(exc).__name__}: {exc}")
                sys.stderr.write(traceback.format_exc(limit=6))
                metrics.append(
                    Metric(
                        f"org.{case.name}",
                        None,
                        f"Org {case.name} generated and ingested",
                        1.0,
                        failing_cases=[f"{type(exc).__name__}: {exc}"[:400]],
                    )
                )
                continue
            timings[f"org {case.name}"] = round(org.seconds, 1)
            orgs.append(org)
        test_orgs = [o for o in orgs if o.case.set == TEST_SET]
        tune_orgs = [o for o in orgs if o.case.set == TUNE_SET]
        real = next((o for o in test_orgs if o.case.embed == "real"), None)
        tune_real = next((o for o in tune_orgs if o.case.embed == "real"), None)
        questions_org = next((o for o in orgs if o.case.name == QUESTIONS_V2_ORG), None)
        test_label = f"{HERO_MATRIX} test set ({len(test_orgs)} orgs)"
        tune_label = f"{HERO_MATRIX} tuning set ({len(tune_orgs)} orgs)"

        metrics.append(dataset_integrity(orgs, thresholds))
        metrics += guarded(
            "hero detection",
            lambda: heroes.score(test_orgs, thresholds, dataset=test_label),
            ["hero.f1", "hero.precision", "hero.recall"],
            thresholds,
            timings,
        )
        metrics += guarded(
            "rescue detection",
            lambda: rescues.score(test_orgs, thresholds, dataset=test_label),
            ["rescue.recall", "rescue.precision"],
            thresholds,
            timings,
        )
        if tune_orgs:
            metrics += as_tuning(
                guarded(
                    "hero detection (tuning)",
                    lambda: heroes.score(tune_orgs, {}, dataset=tune_label),
                    [],
                    {},
                    timings,
                )
                + guarded(
                    "rescue detection (tuning)",
                    lambda: rescues.score(tune_orgs, {}, dataset=tune_label),
                    [],
                    {},
                    timings,
                )
            )
        metrics += guarded(
            "incident classes", lambda: classes.score(real, thresholds), ["classes.ari"], thresholds, timings
        )
        if tune_real is not None:
            metrics += as_tuning(
                guarded("incident classes (tuning)", lambda: classes.score(tune_real, {}), [], {}, timings)
            )
        embedder = real_embedder()
        metrics += guarded(
            "drafting",
            lambda: drafting.score(
                real, root, DATASETS, CASSETTES, embedder, thresholds, record=record, settings=settings
            ),
            ["drafting.step_recall", "drafting.citation_validity", "drafting.unsupported_detection"],
            thresholds,
            timings,
        )
        rules_spec = load_dataset(RULES)
        cassette_data = drafting.load_dataset(DATASETS)
        metrics += guarded(
            "review rules",
            lambda: rules.score(
                root / "rules",
                cassette_data,
                embedder,
                rules_spec["sequences"],
                rules_spec["length"],
                rules_spec["seed"],
                thresholds,
            ),
            ["rules.violations"],
            thresholds,
            timings,
        )
        metrics += guarded(
            "questions",
            lambda: questions.score(real, DATASETS, thresholds, v2_org=questions_org),
            ["questions.correct", "questions.invented"],
            thresholds,
            timings,
        )

        def stats() -> list[Metric]:
            from agent.ledger import review_stats as ledger_stats

            own = ledger_stats(home_ws)
            if sum(own.values()):
                out = review_stats.score([home_ws])
                source = f"this workspace's ledger ({home_ws.home})"
            else:
                rule_ws = [Workspace.open(p) for p in sorted((root / "rules").glob("rules-*"))]
                out = review_stats.score(rule_ws)
                source = "the review-rule sequences' ledgers (this workspace has no decisions yet)"
            for m in out:
                m.dataset = source
            return out

        metrics += guarded("review statistics", stats, [], thresholds, timings)
        from evals.scorers import real as real_corpus

        metrics += guarded(
            "real corpus",
            lambda: real_corpus.score(root / "real", thresholds),
            ["real.regressions"],
            thresholds,
            timings,
        )
        metrics += guarded(
            "secrets",
            lambda: secrets.score(REPO, DATASETS, thresholds),
            ["secrets.recall", "secrets.false_positive_rate"],
            thresholds,
            timings,
        )
    finally:
        if work_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    for m in metrics:
        if m.name in directions:
            m.direction = directions[m.name]
        m.judge()
    claude_mode = "recorded with a key" if record and settings.anthropic_api_key else CLAUDE_REPLAY
    meta = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "claude_mode": claude_mode,
        "record": record,
        "timings": timings,
        "workspace": str(home_ws.home),
    }
    return metrics, meta


def main(home: str | None = None, as_json: bool = False, record: bool = False) -> int:
    """Run the suite, write the reports into the workspace, print; returns the exit code."""
    from evals import report
    from ingest.workspace import Workspace

    metrics, meta = run(home=home, record=record)
    folder = Workspace.open(home).settings.reports_path
    js, md = report.write(folder, metrics, meta)
    meta["reports"] = {"json": str(js), "markdown": str(md)}
    passed, failed = report.summary(metrics)
    if as_json:
        import json

        sys.stdout.write(json.dumps(report.to_json(metrics, meta), indent=2, default=str) + "\n")
    else:
        from rich.console import Console

        console = Console()
        report.print_table(console, metrics, meta)
        console.print(f"reports: {md} and {js}", highlight=False)
        sys.stdout.flush()
        sys.stdout.write(report.summary_line(metrics) + "\n")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the Understudy eval suite.")
    parser.add_argument("--home", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    raise SystemExit(main(home=args.home, as_json=args.json, record=args.record))
