"""``python -m evals.bench --only``: selected benches are merged into the stored figures; every target is listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import bench


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    results, md = tmp_path / "bench_results.json", tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(bench, "RESULTS_JSON", results)
    monkeypatch.setattr(bench, "BENCHMARKS_MD", md)
    monkeypatch.setattr(bench, "BENCHES", dict(bench.BENCHES))
    return results, md


def _toy(name: str, value: float) -> bench.Bench:
    return bench.Bench(
        name,
        f"Toy {name}",
        lambda ctx: {"value": value},
        lambda res: [(f"{name} value", "≤ 2", str(res["value"]), "", res["value"] <= 2)],
        lambda res: f"{name} measured {res['value']}",
        targets=((f"{name} value", "≤ 2"),),
    )


def test_only_runs_the_named_bench_and_keeps_the_others(files, tmp_path):
    results, md = files
    bench.register(_toy("toy_a", 1.0))
    bench.register(_toy("toy_b", 3.0))
    bench.main(["--only", "toy_a", "--workdir", str(tmp_path / "w")])
    bench.main(["--only", "toy_b", "--workdir", str(tmp_path / "w")])
    stored = json.loads(results.read_text())["benches"]
    assert stored["toy_a"]["value"] == 1.0 and stored["toy_b"]["value"] == 3.0
    assert "machine" in stored["toy_a"] and "started" in stored["toy_b"]
    text = md.read_text()
    assert "| toy_a value | ≤ 2 | 1.0 | **met** | toy_a |" in text
    assert "| toy_b value | ≤ 2 | 3.0 | **missed** | toy_b |" in text
    # benches never run are still listed, as not measured, not dropped
    for target, goal in bench.BENCHES["facts"].targets:
        assert f"| {target} | {goal} | not measured | **missed**" in text


def test_a_results_file_from_before_benches_is_the_core_bench(files):
    results, _ = files
    results.write_text(json.dumps({"ingest": {"seconds": 1}, "machine": {}}))
    assert set(bench._load_figures()) == {"core"}


def test_unknown_bench_is_a_usage_error(files):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--only", "nope"])
    assert exc.value.code == 2


def test_the_run_line_states_how_fast_one_core_ran_and_what_a_second_process_adds():
    res = {
        "started": "2026-12-03T10:00:00.000000+00:00",
        "total_s": 90.0,
        "machine": {"cores": 2, "load_average_start": [0.2, 0.1, 0.1], "load_average_end": [1.0, 0.5, 0.2]},
    }
    older = bench.run_line(res)  # figures stored before the probe existed
    assert "on 2 cores." in older and "together" not in older
    probe = bench.cpu_probe(loops=300_000)
    res["machine"].update(probe)
    measured = probe["parallel_throughput"]
    assert probe["loop_seconds"] is not None and probe["loop_seconds"] > 0
    # two processes together: more than a third of one core's work, less than three cores' worth
    assert measured is not None and 0.3 < measured < 3.0, measured
    line = bench.run_line(res)
    assert f"two CPU-bound processes together did {measured:.2f}× the work of one." in line
    res["machine"]["loop_seconds_end"] = 2 * probe["loop_seconds"]  # the host slowed down during the bench
    assert f" at the start, {2 * probe['loop_seconds']:.2f} s at the end;" in bench.run_line(res)
    assert (
        f"a reference loop of {bench.PROBE_LOOPS / 1e6:g}M Python additions took {probe['loop_seconds']:.2f} s"
        in line
    )
