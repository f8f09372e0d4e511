"""Ask latency: p50/p95 seconds per question of the v2 set, offline, once the model and analyses are warm.

``python -m evals.bench_ask --home WS [--json]``. The first question (model load, first analyses) is timed
apart as ``cold_s``; every question is then asked once more in order and timed (wall clock).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

DATASET = Path(__file__).resolve().parent / "datasets" / "questions.v2.yaml"
"""The questions timed (their texts only; expectations are not read)."""


def bench(home: str) -> dict[str, float]:
    """Cold time of the first question, then p50/p95/max over every question asked warm."""
    from agent.ask import answer
    from ingest.workspace import Workspace

    questions = [q["question"] for q in yaml.safe_load(DATASET.read_text(encoding="utf-8"))["questions"]]
    ws = Workspace.open(home)
    t = time.perf_counter()
    for q in questions:  # warm: model, exemplars and each analysis once
        answer(ws, q)
    cold = time.perf_counter() - t
    times = []
    for q in questions:
        t = time.perf_counter()
        answer(ws, q)
        times.append(time.perf_counter() - t)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "questions": len(times),
        "warmup_total_s": round(cold, 2),
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(p95, 3),
        "max_s": round(times[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the offline ask engine per question.")
    parser.add_argument("--home", required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    res = bench(args.home)
    sys.stdout.write(
        (json.dumps(res) if args.json else "\n".join(f"{k}: {v}" for k, v in res.items())) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
