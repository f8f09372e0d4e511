"""Incident classes with the real embedder: clusters, labels, runbook coverage, patterns."""

from __future__ import annotations

from datetime import timedelta

from agent.analytics import classify_incidents, compute_map, patterns
from agent.analytics.classes import cluster_vectors

from .builders import T0, Facts

D = timedelta(days=1)
POOL = [
    "orders-db: connection pool exhausted (HikariPool timeouts)",
    "orders-db: connection pool exhausted, 200 threads waiting",
    "orders-api: database connection pool exhausted",
    "orders-db: too many connections, pool exhausted",
]
CERT = [
    "edge-lb: TLS certificate expired for api.example.com",
    "edge-lb: TLS certificate expires in 2 days",
    "ingress: expired TLS certificate, HTTPS handshake failures",
    "edge-lb: TLS certificate renewal failed",
]
DISK = [
    "logging: disk full on log nodes (/var/log 100%)",
    "logging: disk almost full on log-3 (95%)",
    "logging: no space left on device on log nodes",
    "logging: disk full, log shipping stopped",
]


def test_clusters_follow_the_failure(embedder) -> None:
    labels = cluster_vectors(embedder.encode(POOL + CERT + DISK))
    groups = [set(labels[0:4]), set(labels[4:8]), set(labels[8:12])]
    assert all(len(g) == 1 for g in groups), labels
    assert len(set(labels)) == 3


def _org(ws) -> Facts:
    f = Facts(ws)
    for p in ("alice", "bob", "carol"):
        f.person(p)
    n = 0
    for titles, scope, rescuer in (
        (POOL, "service:orders", "alice"),
        (CERT, "service:edge", "bob"),
        (DISK, "service:logging", "carol"),
    ):
        for rep in range(3):
            for t in titles:
                key = f"pd:{n}"
                chunk = None
                if rep == 0:  # some incidents have a chunk (not in the index yet: embedded from its text)
                    chunk = f.chunk(
                        f"inc-{n}",
                        f"PagerDuty incident {key}: {t}\nService: {scope}\nnote: investigating {t}",
                        scope=scope,
                        title=t,
                    )
                f.incident(key, scope, T0 + n * D, title=t, chunk_id=chunk)
                f.act("carol" if rescuer != "carol" else "bob", scope, "assigned", T0 + n * D, incident=key)
                f.act(rescuer, scope, "resolved", T0 + n * D + timedelta(hours=1), incident=key)
                n += 1
    f.chunk(
        "rb-cert",
        "Renewing TLS certificates\n## Steps\nRun certbot renew on the edge hosts, reload nginx, "
        "verify the certificate expiry with openssl s_client.",
        kind="runbook",
        scope="service:edge",
        title="Renewing TLS certificates",
    )
    f.chunk(
        "rb-oncall",
        "Rotating the on-call schedule\n## Steps\nOpen PagerDuty, edit the schedule layers, "
        "announce in the on-call channel.",
        kind="runbook",
        scope=None,
        title="Rotating the on-call schedule",
    )
    return f


def test_classify_and_patterns(ws) -> None:
    _org(ws)
    mapping = classify_incidents(ws)
    assert len(mapping) == 36
    classes = {}
    for i, key in enumerate(sorted(mapping, key=lambda k: int(k.split(":")[1]))):
        classes.setdefault(i // 12, set()).add(mapping[key])
    assert all(len(v) == 1 for v in classes.values()), classes
    slugs = {k: next(iter(v)) for k, v in classes.items()}
    assert len(set(slugs.values())) == 3
    assert any(w in slugs[0] for w in ("pool", "connection", "postgres")), slugs
    assert any(w in slugs[1] for w in ("certificate", "tls", "cert")), slugs
    assert "disk" in slugs[2], slugs
    for name in ("alice", "bob", "carol"):
        assert all(name not in s for s in slugs.values())

    result = patterns(ws)
    by = {c.slug: c for c in result.classes}
    assert by[slugs[1]].runbook.covers and by[slugs[1]].runbook.chunk_id == "rb-cert"
    assert not by[slugs[0]].runbook.covers and not by[slugs[2]].runbook.covers
    assert sorted(result.runbook_gaps) == sorted(["class:" + slugs[0], "class:" + slugs[2]])
    assert by[slugs[0]].incidents == 12 and by[slugs[0]].rescuers == {"alice": 12}
    assert by[slugs[0]].services == ["service:orders"]
    pats = {(p.person, p.scope): p.count for p in result.rescue_patterns}
    assert pats[("alice", "class:" + slugs[0])] == 12 and pats[("alice", "service:orders")] == 12

    # the map now carries class scopes with heroes, from stored classes (no embedding at map time)
    calls = ws.index.embedder.calls
    m = compute_map(ws)
    cls_scope = next(s for s in m.scopes if s.scope == "class:" + slugs[0])
    assert cls_scope.hero == "alice" and cls_scope.rescues == 12 and cls_scope.incidents == 12
    assert ws.index.embedder.calls == calls


def test_cli_patterns(ws) -> None:
    import json

    from typer.testing import CliRunner

    from agent.cli import app

    _org(ws)
    res = CliRunner().invoke(app, ["--home", str(ws.home), "patterns", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["classes"]) == 3
    assert len(data["runbook_gaps"]) == 2 and data["covered"] == 1
    assert data["rescues"] == 36  # every incident was resolved by someone other than its assignee
    assert {
        (p["person"], p["count"]) for p in data["rescue_patterns"] if p["scope"].startswith("service:")
    } == {("alice", 12), ("bob", 12), ("carol", 12)}
