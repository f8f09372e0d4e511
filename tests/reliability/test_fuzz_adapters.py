"""Fuzzing every adapter: mutated real-format files give records or quarantined problems, never exceptions."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ingest.adapters.base import ReadContext, load_all
from ingest.db import Quarantine, RecordRow
from ingest.pipeline import ingest_paths
from ingest.records import Problem, Record
from tests.reliability import figures
from tests.reliability.fuzzkit import (
    KINDS,
    SEEDS,
    copy_seed,
    deep_json,
    make_git_repo,
    mutated_bytes,
    oversized_json,
)

ADAPTERS = load_all()
FUZZ_SETTINGS = settings(
    max_examples=figures.fuzz_examples(),
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
"""Seeded (derandomized) so a failure reproduces; the example count comes from UNDERSTUDY_FUZZ_EXAMPLES."""


def read_all(kind: str, paths: list[Path]) -> list[Record | Problem]:
    """Everything the adapter yields; any exception escaping is the defect under test."""
    items = list(ADAPTERS[kind].read(paths, ReadContext(name="fuzz")))
    for item in items:
        assert isinstance(item, Record | Problem), f"{kind} yielded {type(item).__name__}"
        if isinstance(item, Problem):
            assert item.reason.strip(), f"{kind} quarantined {item.path} without a reason"
    return items


def _mutated_unit(kind: str, data: st.DataObject, root: Path) -> Path:
    """A unit of ``kind`` with one of its files mutated: a file, a Slack export folder, or a git repo."""
    if kind == "git":
        mailmap = data.draw(st.binary(max_size=200) | st.just(b"Grant <grant@example.org> G <g@x>\n"))
        message = data.draw(st.text(max_size=60).filter(lambda t: "\x00" not in t))
        return make_git_repo(root, mailmap=mailmap, message=message)
    seed = data.draw(st.sampled_from(SEEDS[kind]))
    if seed.is_dir():
        unit = copy_seed(seed, root / seed.name)
        files = sorted(p for p in unit.rglob("*.json"))
        target = data.draw(st.sampled_from(files))
        target.write_bytes(data.draw(mutated_bytes(seed / target.relative_to(unit))))
        return unit
    unit = root / seed.name
    unit.write_bytes(data.draw(mutated_bytes(seed)))
    return unit


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_adapter_read(kind: str) -> None:
    """Mutated files (wrong types, truncation, encodings): the adapter yields records or problems only."""
    tried = [0]

    @FUZZ_SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            unit = _mutated_unit(kind, data, Path(tmp))
            tried[0] += 1
            read_all(kind, [unit])

    run()
    figures.add("fuzz_inputs", kind, tried[0])
    assert tried[0] >= min(10, figures.fuzz_examples())


PIPELINE_EXAMPLES_SHARE = 4
"""The pipeline fuzz (real SQLite and Chroma) runs a quarter of the adapter fuzz's examples: each is slower."""


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_pipeline_keeps_earlier_data(kind: str, ws) -> None:
    """Through ``ingest_paths``: a mutated file is ingested or quarantined with a reason; earlier data stays."""
    base = Path(tempfile.mkdtemp())
    good = [copy_seed(s, base / "good" / s.name) for s in SEEDS[kind]] or [make_git_repo(base / "good")]
    first = ingest_paths(ws, good, source=kind)
    with ws.session() as s:
        before = {(r.kind, r.key, r.record_hash) for r in s.execute(select(RecordRow)).scalars()}
    assert before, f"the valid {kind} seeds ingest nothing: {first.to_json()}"
    tried = [0]

    @settings(FUZZ_SETTINGS, max_examples=max(5, figures.fuzz_examples() // PIPELINE_EXAMPLES_SHARE))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        root = Path(tempfile.mkdtemp(dir=base))
        unit = _mutated_unit(kind, data, root)
        tried[0] += 1
        summary = ingest_paths(ws, [unit], source=kind)
        for q in summary.quarantined:
            assert q.reason.strip()
        assert not [q for q in summary.quarantined if "reader failed" in q.reason], summary.quarantined
        with ws.session() as s:
            keys = {(r.kind, r.key) for r in s.execute(select(RecordRow)).scalars()}
        lost = {(k, key) for k, key, _ in before} - keys
        assert not lost, f"earlier {kind} records lost: {sorted(lost)[:5]}"

    run()
    figures.add("fuzz_inputs", kind, tried[0])


def _hostile_files(kind: str, root: Path) -> dict[str, Path]:
    """The fixed attacks for a kind: deep nesting, oversized strings, wrong encodings, invalid bytes."""
    out: dict[str, Path] = {}
    seeds = [s for s in SEEDS[kind] if s.is_file()]
    for seed in seeds:
        raw = seed.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        stem = seed.stem
        out[f"{stem}-utf16"] = root / f"{stem}-utf16{seed.suffix}"
        out[f"{stem}-utf16"].write_bytes(text.encode("utf-16"))
        out[f"{stem}-latin1"] = root / f"{stem}-latin1{seed.suffix}"
        out[f"{stem}-latin1"].write_bytes((text + "\ncaf\xe9 na\xefve\n").encode("latin-1", errors="replace"))
        out[f"{stem}-invalid"] = root / f"{stem}-invalid{seed.suffix}"
        out[f"{stem}-invalid"].write_bytes(
            raw[: len(raw) // 2] + b"\xff\xfe\xc3\x28\x80" + raw[len(raw) // 2 :]
        )
        out[f"{stem}-truncated"] = root / f"{stem}-truncated{seed.suffix}"
        out[f"{stem}-truncated"].write_bytes(raw[: len(raw) * 2 // 3])
        out[f"{stem}-empty"] = root / f"{stem}-empty{seed.suffix}"
        out[f"{stem}-empty"].write_bytes(b"")
        if seed.suffix == ".json":
            doc = json.loads(raw)
            key = next(iter(doc)) if isinstance(doc, dict) else None
            out[f"{stem}-deep"] = root / f"{stem}-deep.json"
            out[f"{stem}-deep"].write_bytes(deep_json(key=key))
            out[f"{stem}-deep-array"] = root / f"{stem}-deep-array.json"
            out[f"{stem}-deep-array"].write_bytes(deep_json())
            out[f"{stem}-oversized"] = root / f"{stem}-oversized.json"
            out[f"{stem}-oversized"].write_bytes(oversized_json(seed))
        else:
            out[f"{stem}-oversized"] = root / f"{stem}-oversized{seed.suffix}"
            out[f"{stem}-oversized"].write_text(text + "\n" + "B" * 1_000_000 + "\n")
    return out


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("slack", "git")])
def test_fuzz_hostile_files(kind: str, ws, tmp_path: Path) -> None:
    """Deep nesting (10,000 levels), oversized strings, UTF-16/Latin-1/invalid bytes, truncation: no exception."""
    attacks = _hostile_files(kind, tmp_path)
    for name, path in attacks.items():
        read_all(kind, [path])
        summary = ingest_paths(ws, [path], source=kind)
        assert not [q for q in summary.quarantined if "reader failed" in q.reason], (
            name,
            summary.quarantined,
        )
    figures.add("fuzz_inputs", kind, len(attacks) * 2)


def _slack_attacks(root: Path) -> dict[str, Path]:
    """Slack exports with zip tricks and hostile day files."""
    seed = SEEDS["slack"][0]
    root.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def zipped(name: str, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
        path = root / f"{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(seed.rglob("*.json")):
                zf.write(f, str(f.relative_to(seed)))
            for info, data in extra:
                zf.writestr(info, data)
        out[name] = path
        return path

    zipped(
        "traversal",
        [("../../evil.json", b"[]"), ("/etc/passwd-copy.json", b"[]"), ("general/../../x.json", b"[]")],
    )
    zipped("bomb", [("general/2024-03-02.json", b"[" + b" " * 50_000_000 + b"]")])
    link = zipfile.ZipInfo("general/2024-03-03.json")
    link.external_attr = 0o120777 << 16
    zipped("symlink", [(link, b"/etc/passwd")])
    zipped("deep-day", [("general/2024-03-04.json", deep_json())])
    zipped(
        "utf16-day",
        [
            (
                "general/2024-03-05.json",
                json.dumps([{"type": "message", "user": "U1", "text": "hi", "ts": "1709287200.0001"}]).encode(
                    "utf-16"
                ),
            )
        ],
    )
    truncated = root / "truncated.zip"
    truncated.write_bytes(out["traversal"].read_bytes()[:900])
    out["truncated"] = truncated
    nested = root / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        zf.write(out["bomb"], "inner.zip")
        zf.writestr("users.json", b"{}")
        zf.writestr("channels.json", b"not json")
    out["nested"] = nested
    folder = copy_seed(seed, root / "symlinked")
    os.symlink("/etc/passwd", folder / "general" / "2024-03-06.json")
    out["folder-symlink"] = folder
    deepf = copy_seed(seed, root / "deepfolder")
    (deepf / "users.json").write_bytes(deep_json(key=None))
    out["deep-users"] = deepf
    return out


def test_fuzz_slack_zip_tricks(ws, tmp_path: Path) -> None:
    """Path traversal, a zip bomb, symlinks, nested and truncated zips: refused with reasons, nothing escapes."""
    first = ingest_paths(ws, [copy_seed(SEEDS["slack"][0], tmp_path / "good")], source="slack")
    assert first.records > 0
    attacks = _slack_attacks(tmp_path / "attacks")
    for name, path in attacks.items():
        items = read_all("slack", [path])
        texts = " ".join(c.text for i in items if isinstance(i, Record) for c in i.chunks)
        assert "root:x:0:0" not in texts, f"{name}: a symlink leaked /etc/passwd into the records"
        summary = ingest_paths(ws, [path], source="slack")
        assert not [q for q in summary.quarantined if "reader failed" in q.reason], (
            name,
            summary.quarantined,
        )
        if name in ("bomb", "traversal", "truncated"):
            assert summary.quarantined, f"{name}: the unsafe zip was not reported"
    assert not (tmp_path / "evil.json").exists() and not (tmp_path.parent / "evil.json").exists()
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(RecordRow)) >= first.records
        assert s.scalar(select(func.count()).select_from(Quarantine)) > 0
    figures.add("fuzz_inputs", "slack", len(attacks) * 2)
