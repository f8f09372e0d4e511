"""One failure is one incident class, however its titles count, date and number it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from agent.analytics import classify_incidents
from agent.analytics.classes import normalise_title, without_service

from .builders import T0, Facts

D = timedelta(days=1)

# the same push-queue backlog, as a pager, a ticket queue and postmortems title it
BACKLOG = [
    ("service:push-queue", "[FIRING:1] push-queue: backlog over 10000 messages"),
    ("service:push-queue", "[FIRING:3] push-queue: backlog over 25000 messages"),
    ("service:push-queue", "push-queue backlog 12,034 messages (#4521)"),
    ("service:push-queue", "[#88213] push-queue: backlog growing, 31k pending"),
    ("service:push-queue-worker", "PUSH-4411 push-queue backlog 2026-02-14T03:12Z"),
    ("service:push-queue-worker", "push-queue backlog (id 7f3a9c2e)"),
    ("service:push-queue-worker", "backlog-push-queue-4"),
    ("service:push-notifications", "Push queue backlog - 2026-01-08"),
    ("service:push-notifications", "push-queue backlog over 10k (2)"),
    ("service:push-notifications", "2026-03-02: push-queue — backlog 6"),
]
CERT = [
    ("service:edge", "edge-lb: TLS certificate expired for api.example.com"),
    ("service:edge", "edge-lb: TLS certificate expires in 2 days"),
    ("service:edge", "edge-lb: TLS certificate renewal failed (#17)"),
]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("[FIRING:1] push-queue: backlog over 10000 messages", "push-queue: backlog over messages"),
        ("push-queue backlog 12,034 messages (#4521)", "push-queue backlog messages"),
        ("backlog-push-queue-4", "backlog-push-queue"),
        ("INC-4211: ledger-db replica lag 2026-01-08 03:12 UTC", "ledger-db replica lag UTC"),
        ("checkout 5xx on 10.0.3.17:8080 (id 7f3a9c2e)", "checkout 5xx on"),
        ("2026-01-08", "2026-01-08"),  # nothing but volatile parts: the title itself
    ],
)
def test_volatile_parts_of_titles(title: str, expected: str) -> None:
    assert normalise_title(title) == expected


def test_one_failure_under_several_scopes_and_counters_is_one_class(ws) -> None:
    f = Facts(ws)
    f.person("alice")
    for n, (scope, title) in enumerate(BACKLOG + CERT):
        key = f"pd:{n}"
        f.incident(key, scope, T0 + n * D, title=title)
        f.act("alice", scope, "resolved", T0 + n * D, incident=key)
    mapping = classify_incidents(ws)
    backlog = {mapping[f"pd:{n}"] for n in range(len(BACKLOG))}
    cert = {mapping[f"pd:{n}"] for n in range(len(BACKLOG), len(BACKLOG) + len(CERT))}
    assert len(backlog) == 1 and len(cert) == 1 and backlog != cert, (backlog, cert)
    assert not any(re.search(r"-\d+$", s) for s in mapping.values()), set(mapping.values())


# one database's three failure modes, as pagers title them: every title names the service
LEDGER_MODES = [
    [
        "ledger-db: replica lag above 120s",
        "Replication lag high on ledger-db",
        "[FIRING:1] ledger-db: replica lag growing",
    ],
    [
        "Disk usage > 90% on ledger-db",
        "ledger-db: disk almost full (/var/lib/postgresql)",
        "ledger-db disk usage critical",
    ],
    [
        "ledger-db connection pool exhausted",
        "Too many connections on ledger-db",
        "ledger-db: connection pool saturated",
    ],
]


@pytest.mark.parametrize(
    ("title", "scope", "expected"),
    [
        ("Too many connections on ledger-db", "service:ledger-db", "Too many connections"),
        ("[FIRING:1] ledger-db: replica lag", "service:ledger-db", "[FIRING:1] replica lag"),
        ("No space left on device (ledger-db)", "service:ledger-db", "No space left on device"),
        (
            "2026-01-08: auth-gateway — TLS cert expiry",
            "service:auth-gateway",
            "2026-01-08 — TLS cert expiry",
        ),
        ("Ledger DB replica lag", "service:ledger-db", "replica lag"),
        ("auth-gateway-canary 5xx", "service:auth-gateway", "auth-gateway-canary 5xx"),  # another service
        ("ledger-db", "service:ledger-db", "ledger-db"),  # nothing but the name: kept
        ("ledger-db lag", None, "ledger-db lag"),
    ],
)
def test_titles_without_their_own_service(title: str, scope: str | None, expected: str) -> None:
    assert without_service(title, scope) == expected


def test_one_services_failure_modes_are_separate_classes(ws) -> None:
    f = Facts(ws)
    f.person("alice")
    n = 0
    for _rep in range(2):
        for mode, titles in enumerate(LEDGER_MODES):
            for title in titles:
                f.incident(f"pd:{mode}:{n}", "service:ledger-db", T0 + n * D, title=title)
                f.act("alice", "service:ledger-db", "resolved", T0 + n * D, incident=f"pd:{mode}:{n}")
                n += 1
    mapping = classify_incidents(ws)
    found = [{c for k, c in mapping.items() if k.startswith(f"pd:{mode}:")} for mode in range(3)]
    assert all(len(c) == 1 for c in found), found
    assert len(set.union(*found)) == 3, found


def test_the_same_words_about_two_services_are_two_classes(ws) -> None:
    f = Facts(ws)
    f.person("alice")
    for n in range(6):
        svc = "ledger" if n % 2 else "search"
        f.incident(f"pd:{svc}:{n}", f"service:{svc}", T0 + n * D, title=f"{svc} p99 latency high (pool)")
        f.act("alice", f"service:{svc}", "resolved", T0 + n * D, incident=f"pd:{svc}:{n}")
    mapping = classify_incidents(ws)
    ledger = {c for k, c in mapping.items() if k.startswith("pd:ledger:")}
    search = {c for k, c in mapping.items() if k.startswith("pd:search:")}
    assert len(ledger) == 1 and len(search) == 1 and ledger != search, mapping
