"""Word pools of the second generator style: names, services, incident classes and how people write."""

from __future__ import annotations

FIRST = [
    "Harriet",
    "Osvaldo",
    "Keiko",
    "Bram",
    "Leticia",
    "Dmitri",
    "Ngozi",
    "Pavel",
    "Ines",
    "Tobias",
    "Yara",
    "Cormac",
    "Sunita",
    "Emeka",
    "Freya",
    "Joaquin",
    "Mirela",
    "Rasmus",
    "Tamsin",
    "Wen",
    "Ayodele",
    "Gideon",
    "Halvard",
    "Isolde",
    "Kofi",
    "Lorcan",
    "Marisol",
    "Nikhil",
    "Oona",
    "Priya",
    "Quentin",
    "Rosalind",
    "Siddharth",
    "Thea",
    "Ulrich",
    "Vesna",
    "Wilhelmina",
    "Xiomara",
    "Yusuf",
    "Zofia",
]
LAST = [
    "Achterberg",
    "Baptiste",
    "Castellano",
    "Dunmore",
    "Eriksen",
    "Fairweather",
    "Gallagher",
    "Haddad",
    "Ishikawa",
    "Jovanovic",
    "Kilbride",
    "Larsen",
    "Mwangi",
    "Nakashima",
    "Oyelaran",
    "Pellegrini",
    "Quintero",
    "Rautio",
    "Szabo",
    "Thorvaldsen",
    "Udeh",
    "Valdivia",
    "Whitcombe",
    "Yilmaz",
    "Zielinski",
]
NICKNAMES = {
    "Harriet": "Hattie",
    "Dmitri": "Dima",
    "Wilhelmina": "Mina",
    "Siddharth": "Sid",
    "Joaquin": "Quino",
}

DOMAINS = ["corvid.io", "lanternfish.dev", "quillhouse.com", "stackmoor.net"]

TEAMS = {
    "identity": ["auth-gateway", "session-store", "token-service"],
    "payments": ["billing-api", "ledger-db", "invoice-worker"],
    "data": ["ingest-pipeline", "search-cluster", "metrics-store"],
    "edge": ["api-router", "cdn-config", "rate-limiter"],
    "platform": ["k8s-control", "ci-runners", "secrets-vault"],
}
"""Team slug -> candidate service names; each organisation uses two services per team."""

CLASSES: dict[str, dict[str, list[str]]] = {
    "cert-expiry": {
        "titles": [
            "TLS certificate expiring on {svc}",
            "{svc}: cert expiry",
            "SSL handshake failures on {svc}",
        ],
        "fix": [
            "kubectl -n {svc} delete secret {svc}-tls && cert-renew {svc}",
            "vault write pki/issue/{svc} common_name={svc}.internal",
        ],
    },
    "pool-exhaustion": {
        "titles": [
            "{svc} connection pool exhausted",
            "Too many connections on {svc}",
            "{svc} p99 latency high (pool)",
        ],
        "fix": [
            "kubectl -n {svc} rollout restart deploy/pgbouncer",
            "pgbouncer-ctl set max_client_conn 400 --target {svc}",
        ],
    },
    "disk-full": {
        "titles": [
            "Disk usage > 90% on {svc}",
            "{svc} volume nearly full",
            "No space left on device ({svc})",
        ],
        "fix": [
            "logrotate -f /etc/logrotate.d/{svc}",
            'kubectl patch pvc {svc}-data -p \'{{"spec":{{"resources":{{"requests":{{"storage":"200Gi"}}}}}}}}\'',
        ],
    },
    "replica-lag": {
        "titles": [
            "{svc} replica lag above 300s",
            "Replication behind on {svc}",
            "{svc}: standby is lagging",
        ],
        "fix": [
            "psql -h {svc}-replica -c 'SELECT pg_reload_conf()'",
            "psql -h {svc}-replica -f kill_long_queries.sql",
        ],
    },
    "queue-backlog": {
        "titles": ["{svc} queue backlog growing", "Consumer lag on {svc}", "{svc}: messages piling up"],
        "fix": [
            "kubectl -n {svc} scale deploy/{svc}-consumer --replicas=12",
            "queuectl purge {svc}-dlq --poison-only",
        ],
    },
    "bad-deploy": {
        "titles": ["Error rate spike on {svc} after deploy", "{svc} 5xx after release", "{svc} crashlooping"],
        "fix": ["deployctl rollback {svc} --to previous", "flagctl disable new_{svc_u}_path"],
    },
}

ACK = ["ack, looking", "on it", "looking now", "ack'd — checking dashboards", "i'm on this", "taking a look"]
STUCK = [
    "I'm stuck on this one. <@{expert}> have you seen this before?",
    "no idea what's going on here, <@{expert}> any chance you could take a look?",
    "<@{expert}> sorry to ping — this looks like the thing you fixed last time?",
    "tried the usual, no luck. <@{expert}> help?",
]
ADVICE = [
    "try this: `{cmd}` — it's the {cls} thing again",
    "seen it. run `{cmd}` and it should clear in a couple of minutes",
    "classic {cls}. `{cmd}` fixes it, then watch the graph",
    "try this: `{cmd}`. if it comes back, page me",
]
APPLIED = [
    "that did it, thanks! resolving",
    "worked. resolving in PD",
    "recovered after that, closing it out",
    "yep that fixed it",
]
HANDOFF = [
    "escalating to {name}, this is beyond me",
    "reassigning to {name} in PD",
    "handing this to {name}",
    "{name} knows this one, routing it over",
]
HERO_DONE = ["fixed — {fix}", "sorted. {fix}", "done: {fix}", "should be good now ({fix})"]
WORKING = [
    "still digging",
    "seeing elevated errors in the logs",
    "restarting one pod to see",
    "graphs look better",
    "rolling back the config",
]
MANAGER = [
    "any update on this?",
    "what's the ETA?",
    "can someone post a status update?",
    "is this customer-facing?",
    "where are we with this one?",
    "do we need to tell support?",
]
GENERAL = [
    "lunch order going in at noon",
    "reminder: retro on thursday",
    "anyone else seeing slow CI?",
    "the coffee machine on 3 is fixed",
    "new hire onboarding doc is updated",
    "who owns the staging cluster?",
]
SUMMARY = [
    "{svc} was degraded for {mins} minutes because of {cls_h}.",
    "Customers saw errors from {svc} for about {mins} minutes ({cls_h}).",
    "A {cls_h} on {svc} caused a {mins}-minute partial outage.",
]
VERB_ROWS = [
    "Restarted the affected pods.",
    "Proactively scaling the node pool.",
    "Confirmed recovery on dashboards.",
    "Monitoring for recurrence.",
]
