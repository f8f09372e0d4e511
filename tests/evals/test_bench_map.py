"""``python -m evals.bench --only map``: the hero map's own bench judges map vs GROUP BY and says how it ran."""

from __future__ import annotations

from evals import bench


def _figures(map_runs: list[float], sql: float) -> dict:
    return {
        "reused": False,
        "map": {"runs": map_runs, "seconds": min(map_runs), "scopes": 10, "heroes": 2},
        "sql": {"runs": [sql], "seconds": sql, "activities": 1_000_000, "groups": 5},
        "machine": {"cores": 2, "load_average_start": (1.0, 1.0, 1.0), "load_average_end": (2.0, 1.0, 1.0)},
        "started": "2026-12-02T06:00:00",
        "total_s": 60.0,
    }


def test_the_map_bench_is_selectable_and_judges_the_ratio_of_the_faster_run() -> None:
    assert "map" in bench.BENCHES
    ((target, goal, measured, why, ok),) = bench.map_verdicts(_figures([9.0, 1.2], 0.5))
    assert goal == "≤ 3.0×" and ok and measured.startswith("2.40×") and "first map 9.0 s" in measured
    ((_, _, _, why, ok),) = bench.map_verdicts(_figures([9.0, 4.0], 0.5))
    assert not ok and why.startswith("8.0×")
    text = bench.map_section(_figures([9.0, 1.2], 0.5))
    assert "1,000,000 activities" in text and "load average at start 1.0" in text
