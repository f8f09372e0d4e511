"""The steps of ``make bench``, each run in its own process so its peak memory is its own.

``python -m evals._bench_steps STEP ARGS_JSON OUT_JSON``: runs ``STEP`` with the arguments and writes
its figures to ``OUT_JSON``. ``evals.bench`` starts these and reads each child's ``ru_maxrss``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ONNX_SAMPLE = 2000
"""Chunk texts encoded per backend when torch and ONNX Runtime are compared (rate, not total, matters)."""

ONNX_ROUNDS = 3
"""Interleaved rounds per backend, so a busy neighbour on the machine hurts both alike."""

RETRIEVAL_QUERIES = 200
"""Queries per retrieval measurement (p95 needs a few hundred)."""

STARTUP_RUNS = 7
"""Runs per start-up command (the median is reported)."""

MAP_RUNS = 2
"""Runs of the hero map over the large table (the faster is reported, with both listed)."""

SQL_RUNS = 3
"""Runs of the bare GROUP BY (the fastest is reported)."""


# ----------------------------------------------------------------------------- helpers


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _git_commits(repo: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True, check=False
    )
    return int(out.stdout.strip() or 0)


def org_volume(org: Path) -> dict[str, int]:
    """What a generated organisation holds, counted from the export files themselves."""
    messages = 0
    for f in (org / "slack").rglob("*.json"):
        if f.parent == org / "slack":
            continue
        data = json.loads(f.read_text())
        if isinstance(data, list):
            messages += len(data)
    incidents = log_entries = 0
    for f in (org / "pagerduty").glob("*.json"):
        data = json.loads(f.read_text())
        incidents += len(data.get("incidents", []))
        log_entries += len(data.get("log_entries", []))
    postmortems = len(list((org / "postmortems").glob("*.md")))
    runbooks = len(list((org / "runbooks").rglob("*.md")))
    deploys = sum(_count_lines(f) - 1 for f in (org / "deploys").glob("*.csv"))
    shifts = sum(_count_lines(f) - 1 for f in (org / "oncall").glob("*.csv"))
    commits = sum(_git_commits(r) for r in (org / "repos").iterdir() if r.is_dir())
    size = sum(f.stat().st_size for f in org.rglob("*") if f.is_file())
    return {
        "chat_messages": messages,
        "incidents": incidents,
        "log_entries": log_entries,
        "postmortems": postmortems,
        "runbooks": runbooks,
        "documents": postmortems + runbooks,
        "deploy_rows": deploys,
        "oncall_rows": shifts,
        "git_commits": commits,
        "bytes": size,
    }


class HashEmbedder:
    """Deterministic unit vectors from a text's hash: stands in for the model where only storage is measured."""

    name = "hash-384"

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        out = []
        for t in texts:
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(384).astype("float32")
            out.append((v / np.linalg.norm(v)).tolist())
        return out


class SplittingHashEmbedder(HashEmbedder):
    """The hash stand-in with the real model's splitter: long texts get their parts, every vector is a hash."""

    @property
    def splitter(self) -> Any:
        from ingest.embed import Splitter, default_model_path

        return Splitter(default_model_path())


def _table_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed table names
            for t in ("people", "records", "activities", "incidents", "shifts", "chunks")
        }
    finally:
        con.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


# ----------------------------------------------------------------------------- steps


def step_generate(args: dict[str, Any]) -> dict[str, Any]:
    """Generate an organisation with the sample generator and count what it wrote."""
    from ingest.sample import generate

    out = Path(args["out"])
    t0 = time.perf_counter()
    generate(out, seed=args.get("seed", 7), scale=args["scale"], months=args.get("months", 6))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "scale": args["scale"], "volume": org_volume(out)}


def step_ingest(args: dict[str, Any]) -> dict[str, Any]:
    """Ingest an organisation through the public pipeline with the real model (or the hash stand-in)."""
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace

    org = Path(args["org"])
    embedder = HashEmbedder() if args.get("hash_embedder") else None
    t0, c0 = time.perf_counter(), time.process_time()
    ws = Workspace.open(args["home"], embedder=embedder)
    aliases = org / "aliases.yaml"
    summary = ingest_paths(
        ws,
        [org],
        aliases=aliases if aliases.exists() else None,
        facts_only=bool(args.get("facts_only")),
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = _table_counts(ws.settings.sqlite_path)
    emb = ws.index.embedder if summary.embedded else None
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "model_load_seconds": getattr(emb, "load_seconds", None),
        "encode_seconds": getattr(emb, "encode_seconds", None),
        "summary": summary.to_json()
        | {"quarantined": len(summary.quarantined), "embedded": summary.embedded},
        "tables": counts,
        "chunks_per_second": (summary.chunks / seconds) if summary.chunks else None,
    }


def step_encode(args: dict[str, Any]) -> dict[str, Any]:
    """The model's raw rate: ``encode`` over the very chunk texts ingest stored, same batch size."""
    from ingest.embed import SentenceTransformerEmbedder
    from ingest.pipeline import EMBED_BATCH
    from ingest.settings import load_settings

    settings = load_settings(args["home"])
    con = sqlite3.connect(settings.sqlite_path)
    texts = [t for (t,) in con.execute("SELECT text FROM chunks ORDER BY id")]
    con.close()
    emb = SentenceTransformerEmbedder(
        settings.embedding_model, settings.embedding_backend, settings.embedding_batch_size
    )
    emb.encode(texts[:8])  # load the model outside the timing: this is the physical limit
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), EMBED_BATCH):  # the pipeline's slices, so sorting windows match
        emb.encode(texts[start : start + EMBED_BATCH])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    chars = [len(t) for t in texts]
    return {
        "texts": len(texts),
        "unique_texts": len(set(texts)),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "texts_per_second": len(texts) / seconds,
        "median_chars": statistics.median(chars) if chars else 0,
        "batch_size": settings.embedding_batch_size,
        "torch_threads": _torch_threads(),
    }


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _onnx_encoder(model_path: str, workdir: Path) -> tuple[Callable[[list[str]], Any], str]:
    """An ONNX Runtime encoder of the same model: sentence-transformers' own, else a torch.onnx export."""
    from sentence_transformers import SentenceTransformer

    try:
        st = SentenceTransformer(model_path, device="cpu", backend="onnx")

        def run_st(batch: list[str]) -> Any:
            return st.encode(batch, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

        return run_st, "sentence-transformers backend='onnx'"
    except Exception as exc:  # noqa: BLE001 - fall back to our own export; the reason is reported
        st_error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160]}"
    import numpy as np
    import onnxruntime as ort
    import torch

    model = SentenceTransformer(model_path, device="cpu")
    hf, tok = model[0].auto_model, model.tokenizer
    max_len = model.max_seq_length

    class _Wrap(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    sample = tok(["warm up text", "another"], padding=True, return_tensors="pt")
    path = workdir / "minilm.onnx"
    try:
        torch.onnx.export(
            _Wrap(hf).eval(),
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(path),
            input_names=["ids", "mask", "types"],
            output_names=["out"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={n: {0: "b", 1: "s"} for n in ("ids", "mask", "types", "out")},
        )
    except Exception as exc:  # noqa: BLE001
        raise RuntimeError(
            f"no ONNX model: sentence-transformers said {st_error}; torch.onnx.export said "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160]}"
        ) from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = _torch_threads()
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def run_ort(texts: list[str]) -> Any:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Any] = [None] * len(texts)
        for s in range(0, len(order), 64):
            idx = order[s : s + 64]
            enc = tok(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_len,
                return_tensors="np",
            )
            hidden = sess.run(
                None,
                {
                    "ids": enc["input_ids"].astype("int64"),
                    "mask": enc["attention_mask"].astype("int64"),
                    "types": enc["token_type_ids"].astype("int64"),
                },
            )[0]
            m = enc["attention_mask"][..., None].astype("float32")
            v = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            v = v / np.linalg.norm(v, axis=1, keepdims=True)
            for j, i in enumerate(idx):
                out[i] = v[j]
        return np.stack(out)

    return (
        run_ort,
        f"onnxruntime {ort.__version__} on a torch.onnx export (sentence-transformers: {st_error})",
    )


def step_onnx(args: dict[str, Any]) -> dict[str, Any]:
    """torch against ONNX Runtime for the same model on the same chunk texts, interleaved rounds."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from ingest.embed import default_model_path
    from ingest.settings import load_settings

    settings = load_settings(args["home"])
    con = sqlite3.connect(settings.sqlite_path)
    texts = [t for (t,) in con.execute("SELECT text FROM chunks ORDER BY id")]
    con.close()
    rng = random.Random(11)
    sample = rng.sample(texts, min(ONNX_SAMPLE, len(texts)))
    path = default_model_path()
    torch_model = SentenceTransformer(path, device="cpu")

    def run_torch(batch: list[str]) -> Any:
        return torch_model.encode(batch, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    try:
        run_onnx, how = _onnx_encoder(path, Path(args["workdir"]))
    except Exception as exc:  # noqa: BLE001
        t0 = time.perf_counter()
        run_torch(sample)
        return {
            "available": False,
            "reason": str(exc),
            "torch_texts_per_second": len(sample) / (time.perf_counter() - t0),
        }
    run_torch(sample[:64])
    run_onnx(sample[:64])
    rates: dict[str, list[float]] = {"torch": [], "onnx": []}
    for _ in range(ONNX_ROUNDS):
        for name, fn in (("torch", run_torch), ("onnx", run_onnx)):
            t0 = time.perf_counter()
            fn(sample)
            rates[name].append(len(sample) / (time.perf_counter() - t0))
    a, b = run_torch(sample[:200]), run_onnx(sample[:200])
    max_cos_gap = float(np.max(1.0 - (np.asarray(a) * np.asarray(b)).sum(1)))
    return {
        "available": True,
        "how": how,
        "texts": len(sample),
        "torch_rates": rates["torch"],
        "onnx_rates": rates["onnx"],
        "torch_texts_per_second": statistics.median(rates["torch"]),
        "onnx_texts_per_second": statistics.median(rates["onnx"]),
        "speedup": statistics.median(rates["onnx"]) / statistics.median(rates["torch"]),
        "max_cosine_gap": max_cos_gap,
    }


def step_replicate(args: dict[str, Any]) -> dict[str, Any]:
    """Copy a real ingested workspace and widen it into ``copies`` organisations side by side.

    Each copy renames every person, scope and incident (suffix ``~cN``), so the result is the same
    structure at ``copies`` times the size, not the same facts counted twice.
    """
    src = Path(args["src_home"]) / "understudy.db"
    home = Path(args["home"])
    home.mkdir(parents=True, exist_ok=True)
    dst = home / "understudy.db"
    con_src = sqlite3.connect(src)
    con_src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con_src.close()
    shutil.copyfile(src, dst)
    copies = int(args["copies"])
    t0 = time.perf_counter()
    con = sqlite3.connect(dst)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    act_cols = (
        "record_id, person_id, scope, action, ts, tz_offset, weight, incident, source, chunk_id, detail"
    )
    for n in range(1, copies):
        sfx = f"~c{n}"
        con.execute(
            f"INSERT INTO people (id, name, email, timezone, merged_into, created_at) SELECT id || '{sfx}', name || ' {sfx}', "
            f"email, timezone, CASE WHEN merged_into IS NULL THEN NULL ELSE merged_into || '{sfx}' END, created_at "
            "FROM people WHERE id NOT LIKE '%~c%'"
        )
        con.execute(
            f"INSERT INTO activities ({act_cols}) SELECT record_id, person_id || '{sfx}', scope || '{sfx}', action, ts, "
            f"tz_offset, weight, CASE WHEN incident IS NULL THEN NULL ELSE incident || '{sfx}' END, source, chunk_id, detail "
            "FROM activities WHERE scope NOT LIKE '%~c%'"
        )
        con.execute(
            "INSERT INTO incidents (key, record_id, scope, title, severity, status, created_at, resolved_at, source, chunk_id, "
            f"incident_class) SELECT key || '{sfx}', record_id, scope || '{sfx}', title, severity, status, created_at, "
            f"resolved_at, source, chunk_id, CASE WHEN incident_class IS NULL THEN NULL ELSE incident_class || '{sfx}' END "
            "FROM incidents WHERE key NOT LIKE '%~c%'"
        )
        con.execute(
            'INSERT INTO shifts (record_id, person_id, schedule, scope, level, start, "end") SELECT record_id, '
            f"person_id || '{sfx}', schedule || '{sfx}', CASE WHEN scope IS NULL THEN NULL ELSE scope || '{sfx}' END, level, "
            "start, \"end\" FROM shifts WHERE schedule NOT LIKE '%~c%'"
        )
        con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return {"copies": copies, "seconds": time.perf_counter() - t0, "tables": _table_counts(dst)}


def step_map(args: dict[str, Any]) -> dict[str, Any]:
    """The hero map over the whole table, through the public ``compute_map``."""
    from agent.analytics import compute_map
    from agent.analytics.parallel import thread_count
    from ingest.workspace import Workspace

    ws = Workspace.open(args["home"])
    ws.engine  # noqa: B018 - open and migrate-check outside the timing
    runs, cpu = [], []
    result: Any = None
    for _ in range(MAP_RUNS):
        t0, c0 = time.perf_counter(), time.process_time()  # process time: the CPU of all its threads
        result = compute_map(ws, None, None)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "runs": runs,
        "seconds": min(runs),
        "cpu_runs": cpu,
        "cpu_seconds": cpu[runs.index(min(runs))],
        "threads": thread_count(),
        "scopes": len(result.scopes),
        "heroes": len(result.heroes),
    }


def step_sql(args: dict[str, Any]) -> dict[str, Any]:
    """The floor for the map: one bare ``GROUP BY scope, person`` over the same table."""
    con = sqlite3.connect(Path(args["home"]) / "understudy.db")
    runs = []
    rows = 0
    for _ in range(SQL_RUNS):
        t0 = time.perf_counter()
        rows = len(
            con.execute(
                "SELECT scope, person_id, count(*), sum(weight) FROM activities GROUP BY scope, person_id"
            ).fetchall()
        )
        runs.append(time.perf_counter() - t0)
    n = con.execute("SELECT count(*) FROM activities").fetchone()[0]
    con.close()
    return {"runs": runs, "seconds": min(runs), "groups": rows, "activities": n}


def fill_random_index(index: Any, rows: list[Any], n: int, rng: Any, step: int = 5000) -> None:
    """Upsert ``n`` chunks cycled from ``rows`` (id, text, kind, scope, source) with random unit vectors."""
    import numpy as np

    for start in range(0, n, step):
        ids, texts, metas = [], [], []
        for i in range(start, min(n, start + step)):
            cid, text, kind, scope, source = rows[i % len(rows)]
            ids.append(f"{cid}-{i}")
            texts.append(text)
            metas.append({"kind": kind, "scope": scope or "", "source": source})
        vec = rng.standard_normal((len(ids), 384)).astype("float32")
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        index.upsert(ids, texts, metas, vec.tolist())


def mid_scope(rows: list[Any]) -> tuple[str, int]:
    """A mid-sized scope of the rows and its chunk count: the filter a question about one service would use."""
    scope_counts: dict[str, int] = {}
    for r in rows:
        if r[3]:
            scope_counts[r[3]] = scope_counts.get(r[3], 0) + 1
    ordered = sorted(scope_counts.items(), key=lambda kv: kv[1])
    return ordered[len(ordered) // 2]


def step_retrieval(args: dict[str, Any]) -> dict[str, Any]:
    """Query latency over a Chroma collection of ``n`` chunks, with and without a metadata filter.

    The collection is the product's own (``Index`` in a fresh workspace); its texts and metadata are
    the subset's real chunks, cycled; its vectors are random unit vectors (embedding 100,000 texts
    would take most of the bench's time and says nothing about the index's latency). A long text's
    further parts are cut by the real tokenizer and stored with hash vectors, so the model is not
    loaded here: its memory is the ingest and encode steps' (it once made this step's peak 2 GB).
    """
    import numpy as np

    from ingest.index import Index
    from ingest.settings import load_settings

    src = sqlite3.connect(Path(args["src_home"]) / "understudy.db")
    rows = src.execute("SELECT id, text, kind, scope, source FROM chunks ORDER BY id").fetchall()
    src.close()
    n = int(args["n"])
    settings = load_settings(args["home"])
    index = Index(settings, embedder=SplittingHashEmbedder())
    rng = np.random.default_rng(5)
    t0 = time.perf_counter()
    fill_random_index(index, rows, n, rng)
    build = time.perf_counter() - t0
    index.sync_store()  # a no-op here (every upsert writes the filter store), as the embed phase runs it
    scope, scope_n = mid_scope(rows)
    queries = rng.standard_normal((RETRIEVAL_QUERIES, 384)).astype("float32")
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    index.query_vector(queries[0].tolist(), n=8)
    out: dict[str, Any] = {"chunks": index.count(), "parts": index.parts.count(), "build_seconds": build}
    out["filter"] = {"scope": scope}
    out["filter_share"] = scope_n / len(rows)
    for label, where in (("unfiltered", None), ("filtered", {"scope": scope})):
        lat = []
        for q in queries:
            t = time.perf_counter()
            hits = index.query_vector(q.tolist(), n=8, where=where)
            lat.append((time.perf_counter() - t) * 1000)
            if where and any(h.metadata.get("scope") != scope for h in hits):
                raise AssertionError("filtered query returned a chunk outside the filter")
        out[label] = {"p50_ms": _pct(lat, 0.5), "p95_ms": _pct(lat, 0.95), "queries": len(lat)}
    return out


def step_query_text(args: dict[str, Any]) -> dict[str, Any]:
    """End-to-end ``Index.query`` (encode the question, then search) on the subset's real embeddings."""
    from ingest.workspace import Workspace

    ws = Workspace.open(args["home"])
    questions = [
        "payments api connection pool exhausted",
        "who restarts the kafka consumers",
        "rollback of checkout web",
        "database failover at night",
        "search latency spike",
        "certificate expired",
        "disk full on the queue",
        "how do we rotate credentials",
        "cache stampede after deploy",
        "webhook queue backlog",
    ]
    ws.index.query(questions[0])
    lat = []
    for _ in range(5):
        for q in questions:
            t = time.perf_counter()
            ws.index.query(q, n=8)
            lat.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": ws.index.count(),
        "p50_ms": _pct(lat, 0.5),
        "p95_ms": _pct(lat, 0.95),
        "queries": len(lat),
    }


def step_startup(args: dict[str, Any]) -> dict[str, Any]:
    """Wall time of bare Python, ``understudy --help`` and ``understudy map`` (medians)."""
    exe = Path(sys.executable)
    cli = exe.with_name("understudy")
    env = dict(os.environ)
    cmds = {
        "python_pass": [str(exe), "-c", "pass"],
        "help": [str(cli), "--help"],
        "map": [str(cli), "--home", args["home"], "map", "--json"],
    }
    out: dict[str, Any] = {}
    for name, cmd in cmds.items():
        runs = []
        for _ in range(STARTUP_RUNS if name != "map" else 3):
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
            runs.append(time.perf_counter() - t)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
        out[name] = {"median_s": statistics.median(runs), "runs": runs}
    imported = subprocess.run(
        [
            str(exe),
            "-c",
            "import sys, agent.cli; print(','.join(m for m in ('torch','chromadb','sentence_transformers') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out["heavy_modules_at_import"] = imported.stdout.strip()
    return out


def step_first_map(args: dict[str, Any]) -> dict[str, Any]:
    """Time to the first map: ``understudy ingest --facts-only`` of an organisation, then ``map --json``.

    With ``deadline_s``, an ingest still running then is stopped, and what it stored by then is reported.
    """
    org, home = Path(args["org"]), Path(args["home"])
    cli = str(Path(sys.executable).with_name("understudy"))
    deadline = args.get("deadline_s")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            cli,
            "--home",
            str(home),
            "ingest",
            str(org),
            "--aliases",
            str(org / "aliases.yaml"),
            "--facts-only",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        elapsed = time.perf_counter() - t0
        try:
            tables = _table_counts(home / "understudy.db")
        except sqlite3.Error:  # stopped before the schema existed
            tables = dict.fromkeys(("people", "records", "activities", "incidents", "shifts", "chunks"), 0)
        return {
            "finished": False,
            "ingest_seconds": elapsed,
            "tables": tables,
            "records_per_second": tables["records"] / elapsed,
        }
    ingest_s = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ingest exited {proc.returncode}: {err.decode()[-300:]}")
    summary = json.loads(out)
    t1 = time.perf_counter()
    shown = subprocess.run([cli, "--home", str(home), "map", "--json"], capture_output=True, check=False)
    map_s = time.perf_counter() - t1
    if shown.returncode != 0:
        raise RuntimeError(f"map exited {shown.returncode}: {shown.stderr.decode()[-300:]}")
    result = json.loads(shown.stdout)
    return {
        "finished": True,
        "ingest_seconds": ingest_s,
        "map_seconds": map_s,
        "first_map_seconds": ingest_s + map_s,
        "summary": summary | {"quarantined": len(summary["quarantined"])},
        "records_per_second": summary["records"] / ingest_s,
        "tables": _table_counts(home / "understudy.db"),
        "vectors_pending": result["vectors_pending"],
        "map_scopes": len(result["scopes"]),
        "map_people": len(result["people"]),
    }


GIT_RUNS = 3
"""Runs of ``git log`` (the fastest counts) against which the git ingest is compared."""


def step_git(args: dict[str, Any]) -> dict[str, Any]:
    """Facts ingest of one git repository against ``git log --no-merges --numstat`` on the same repository."""
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace

    repo = Path(args["repo"])
    log_runs = []
    out_bytes = 0
    for _ in range(GIT_RUNS):
        t = time.perf_counter()
        proc = subprocess.run(
            ["git", "-C", str(repo), "log", "--no-merges", "--numstat"], capture_output=True, check=True
        )
        log_runs.append(time.perf_counter() - t)
        out_bytes = len(proc.stdout)
    ingest_runs = []
    summary: Any = None
    for n in range(int(args.get("runs", 2))):
        ws = Workspace.open(Path(args["home"]) / f"run{n}")
        ws.engine  # noqa: B018 - create and migrate the database outside the timing
        t = time.perf_counter()
        summary = ingest_paths(ws, [repo], source="git", facts_only=True)
        ingest_runs.append(time.perf_counter() - t)
    return {
        "commits": _git_commits(repo),
        "log_bytes": out_bytes,
        "git_log_runs": log_runs,
        "git_log_seconds": min(log_runs),
        "ingest_runs": ingest_runs,
        "ingest_seconds": min(ingest_runs),
        "summary": summary.to_json() | {"quarantined": len(summary.quarantined)},
        "ratio": min(ingest_runs) / min(log_runs),
    }


SLACK_USERS = 1150
"""Users in the generated Slack export (the real export in issue 13 had 1,150)."""

SLACK_CHANNELS = 33
"""Channels in the generated Slack export (as in that real export)."""

SLACK_REPLIES = 3
"""Replies per thread in the generated export; a quarter of the messages name someone with ``<@U…>``."""


def step_slack_generate(args: dict[str, Any]) -> dict[str, Any]:
    """A Slack workspace export in the real format with many users: ``threads`` threads over 33 channels."""
    rng = random.Random(int(args.get("seed", 13)))
    out = Path(args["out"])
    users = []
    first = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jo", "Kai", "Lena"]
    last = ["Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Haddad", "Larsen", "Moreau", "Kowalski"]
    for i in range(SLACK_USERS):
        name = f"{first[i % len(first)]} {last[(i // len(first)) % len(last)]} {i}"
        users.append(
            {
                "id": f"U{i:08d}",
                "name": f"user{i}",
                "real_name": name,
                "tz": "Europe/Berlin",
                "is_bot": False,
                "profile": {"real_name": name, "display_name": f"user{i}", "email": f"user{i}@example.org"},
            }
        )
    channels: list[dict[str, Any]] = [
        {"id": f"C{c:06d}", "name": f"team-{c}", "created": 1700000000} for c in range(SLACK_CHANNELS)
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "users.json").write_text(json.dumps(users))
    (out / "channels.json").write_text(json.dumps(channels))
    words = [
        "deploy",
        "rollback",
        "pool",
        "latency",
        "queue",
        "shard",
        "replica",
        "cache",
        "certificate",
        "dashboard",
        "alert",
        "restart",
        "migration",
        "config",
        "flag",
        "timeout",
        "retry",
        "backlog",
        "error",
        "consumer",
        "lag",
        "disk",
        "index",
    ]
    per_channel: dict[str, list[dict[str, Any]]] = {c["name"]: [] for c in channels}
    base = 1767268800
    messages = 0
    for t in range(int(args["threads"])):
        chan = channels[t % SLACK_CHANNELS]["name"]
        ts0 = base + t * 97
        root = f"{ts0}.000100"
        for r in range(SLACK_REPLIES + 1):
            author = rng.randrange(SLACK_USERS)
            text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
            if rng.random() < 0.25:
                text += f" <@U{rng.randrange(SLACK_USERS):08d}> can you look?"
            msg: dict[str, Any] = {
                "type": "message",
                "user": f"U{author:08d}",
                "text": text,
                "thread_ts": root,
            }
            msg["ts"] = root if r == 0 else f"{ts0 + r * 7}.000100"
            if r == 0:
                msg["reply_count"] = SLACK_REPLIES
            per_channel[chan].append(msg)
            messages += 1
    for chan, msgs in per_channel.items():
        (out / chan).mkdir(exist_ok=True)
        for day in range(0, len(msgs), 400):
            (out / chan / f"2026-01-{1 + day // 400:02d}.json").write_text(json.dumps(msgs[day : day + 400]))
    return {
        "users": SLACK_USERS,
        "channels": SLACK_CHANNELS,
        "threads": int(args["threads"]),
        "messages": messages,
    }


STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": step_generate,
    "ingest": step_ingest,
    "encode": step_encode,
    "onnx": step_onnx,
    "replicate": step_replicate,
    "map": step_map,
    "sql": step_sql,
    "retrieval": step_retrieval,
    "query_text": step_query_text,
    "startup": step_startup,
    "first_map": step_first_map,
    "git": step_git,
    "slack_generate": step_slack_generate,
}


def register_step(name: str, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Add a step that ``python -m evals._bench_steps NAME`` can run (bench modules call this on import)."""
    STEPS[name] = fn


BENCH_MODULES = ("evals.bench_embed",)
"""Modules that register further benches and steps when imported (skipped while they do not exist)."""


def import_bench_modules() -> None:
    """Import every module of :data:`BENCH_MODULES` that exists, so that its registrations run."""
    import importlib

    for module in BENCH_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def main() -> None:
    step, raw, out = sys.argv[1], sys.argv[2], sys.argv[3]
    if step not in STEPS:
        import_bench_modules()
    result = STEPS[step](json.loads(raw))
    Path(out).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
