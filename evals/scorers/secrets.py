"""Secrets: recall over planted secrets and false-positive rate over ordinary lines (ingest.redact.measure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evals.metrics import Metric

DATASET = "secrets.v1"


def score(repo: Path, datasets: Path, thresholds: dict[str, float]) -> list[Metric]:
    """Measure the redactor on the dataset's corpus folder."""
    spec: dict[str, Any] = yaml.safe_load((datasets / f"{DATASET}.yaml").read_text(encoding="utf-8"))
    corpus = repo / spec["corpus"]
    ensure_corpus(corpus)
    if not (corpus / "planted.jsonl").exists():
        missing = [f"corpus {corpus} not found"]
        return [
            Metric(
                "secrets.recall",
                None,
                "Share of planted secrets redacted",
                thresholds.get("secrets.recall"),
                dataset=DATASET,
                failing_cases=missing,
            ),
            Metric(
                "secrets.false_positive_rate",
                None,
                "Share of ordinary lines changed by redaction",
                thresholds.get("secrets.false_positive_rate"),
                direction="max",
                dataset=DATASET,
                failing_cases=missing,
            ),
        ]
    from ingest.redact import measure

    m = measure(corpus)
    notes = []
    if m["secrets"] != spec["expected"]["planted"] or m["ordinary_lines"] != spec["expected"]["ordinary"]:
        notes.append(
            f"corpus changed since {DATASET}: {m['secrets']} planted / {m['ordinary_lines']} ordinary "
            f"(v1 had {spec['expected']['planted']} / {spec['expected']['ordinary']}); make a new version"
        )
    return [
        Metric(
            "secrets.recall",
            m["recall"],
            "Share of planted secrets redacted",
            thresholds.get("secrets.recall"),
            dataset=DATASET,
            failing_cases=notes + [f"missed {x['kind']}: {x['text']}" for x in m["missed"]],
            details={"secrets": m["secrets"], "kinds": len(m["kinds"])},
        ),
        Metric(
            "secrets.false_positive_rate",
            m["false_positive_rate"],
            "Share of ordinary lines changed by redaction",
            thresholds.get("secrets.false_positive_rate"),
            direction="max",
            dataset=DATASET,
            failing_cases=[f"changed: {t}" for t in m["false_positives"]],
            details={"ordinary_lines": m["ordinary_lines"]},
        ),
    ]


def ensure_corpus(corpus: Path) -> None:
    """Write the seeded corpus from its generator when it is not on disk (it is generated, not committed:
    committed format-valid fake tokens look like leaked credentials to scanners)."""
    generator = corpus / "generate.py"
    if (corpus / "planted.jsonl").exists() or not generator.exists():
        return
    import runpy

    runpy.run_path(str(generator))["write"](corpus)
