"""The fixed cast of the sample organisation: names, teams, services and incident classes."""

from __future__ import annotations

from dataclasses import dataclass, field

DOMAIN = "example.com"
"""Work e-mail domain of the sample organisation."""

PERSONAL_DOMAIN = "example.net"
"""Domain of personal e-mail addresses some people commit with."""

NAMES: tuple[tuple[str, str, str], ...] = (
    ("Alice", "Ally", "Nguyen"),
    ("Robert", "Bob", "Smith"),
    ("Katarzyna", "Kasia", "Kowalska"),
    ("Daniel", "Dan", "Okafor"),
    ("Margaret", "Peggy", "Lindqvist"),
    ("William", "Bill", "Harrington"),
    ("Aleksandr", "Sasha", "Volkov"),
    ("Elizabeth", "Liz", "Moreau"),
    ("Jonathan", "Jon", "Adeyemi"),
    ("Priya", "Pri", "Raman"),
    ("Thomas", "Tom", "Becker"),
    ("Rebecca", "Becky", "Chen"),
    ("Samuel", "Sam", "Okonkwo"),
    ("Francesca", "Fran", "Rossi"),
    ("Michael", "Mike", "Brennan"),
    ("Catherine", "Cat", "Dubois"),
    ("Benjamin", "Ben", "Fischer"),
    ("Victoria", "Vicky", "Alvarez"),
    ("Nicholas", "Nick", "Papadopoulos"),
    ("Jennifer", "Jen", "Walsh"),
    ("Matthew", "Matt", "Kowalczyk"),
    ("Susanne", "Susi", "Hartmann"),
    ("Christopher", "Chris", "Mbeki"),
    ("Alexandra", "Alex", "Ivanova"),
    ("Joseph", "Joe", "Castillo"),
    ("Patricia", "Trish", "O'Neill"),
    ("Anthony", "Tony", "Marchetti"),
    ("Deborah", "Deb", "Kaplan"),
    ("Gregory", "Greg", "Lindgren"),
    ("Josefina", "Josie", "Álvarez"),
    ("Andrew", "Drew", "Tanaka"),
    ("Gabriela", "Gabi", "Souza"),
    ("Timothy", "Tim", "Novak"),
    ("Natalia", "Nat", "Horvath"),
    ("Ravi", "Ravi", "Shankar"),
    ("Ingrid", "Inge", "Solberg"),
)
"""Full names with a common short form (used where a person appears under a second name)."""


@dataclass(frozen=True)
class TeamSpec:
    """A team: who owns which services and rotates on one weekly schedule."""

    slug: str
    name: str
    timezone: str
    size: int
    schedule: str
    managers: int = 0


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("payments", "Payments", "America/New_York", 6, "Payments Primary", managers=1),
    TeamSpec("checkout", "Checkout", "Europe/Berlin", 6, "Checkout Primary"),
    TeamSpec("data", "Data Platform", "Europe/Berlin", 5, "Data Platform On-call"),
    TeamSpec("search", "Search", "Europe/London", 5, "Search Primary"),
    TeamSpec("platform", "Platform", "America/New_York", 6, "Platform Primary", managers=1),
    TeamSpec("ml", "ML Serving", "Asia/Kolkata", 2, "ML Serving"),
)
"""Six teams; ``ml`` is too small to rotate (the understaffing case)."""

OUTLIER_TIMEZONES: dict[str, str] = {
    "payments": "Europe/Lisbon",
    "checkout": "Europe/London",
    "platform": "America/Chicago",
}
"""One member of these teams lives elsewhere."""


@dataclass(frozen=True)
class IncidentClass:
    """A recurring kind of incident on one service, with its vocabulary and reference fix."""

    label: str
    title: str
    phrase: str
    symptoms: tuple[str, ...]
    cause: str
    fix: tuple[str, ...]
    priority: tuple[int, int, int, int] = (1, 3, 4, 2)


@dataclass(frozen=True)
class ServiceSpec:
    """A service with its owning team, incident channel, volumes and incident classes."""

    name: str
    team: str
    channel: str
    critical: bool
    has_runbook: bool
    rate: float
    """Incidents per month at scale 1."""
    offhours_share: float
    deploys_per_week: float
    ci_share: float
    classes: tuple[IncidentClass, ...]
    extra_tasks: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    """(action, events per month at scale 1) for failovers and migrations."""
    variants: tuple[str, ...] = ()
    """Only generated in these variants (empty: always)."""


def _c(
    label: str,
    title: str,
    phrase: str,
    symptoms: list[str],
    cause: str,
    fix: list[str],
    priority: tuple[int, int, int, int] = (1, 3, 4, 2),
) -> IncidentClass:
    return IncidentClass(label, title, phrase, tuple(symptoms), cause, tuple(fix), priority)


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "payments-api",
        "payments",
        "inc-payments-api",
        True,
        True,
        8,
        0.3,
        3,
        0.0,
        (
            _c(
                "connection-pool-exhausted",
                "payments-api: connection pool exhausted (HikariPool timeouts)",
                "connection pool exhausted",
                [
                    "seeing `HikariPool-1 - Connection is not available, request timed out after 30000ms` in the logs",
                    "p99 on /v1/charges is at 12s and climbing, pool shows 50/50 active",
                    "5xx rate on payments-api is 18%, all of them DB connection timeouts",
                ],
                "A long-running reconciliation query held connections open during a traffic peak; the pool "
                "limit of 50 was reached and requests queued until they timed out.",
                [
                    'Find the sessions holding connections: `psql -h pg-payments -c "SELECT pid, state, query_start '
                    "FROM pg_stat_activity WHERE datname='payments' AND state='idle in transaction'\"`",
                    "Terminate the idle-in-transaction sessions: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE state='idle in transaction' AND query_start < now() - interval '5 minutes'`",
                    "Restart the pods to reset the pool: `kubectl -n payments rollout restart deploy/payments-api`",
                    "Watch `kubectl -n payments rollout status deploy/payments-api` until every replica is ready",
                ],
                (3, 4, 2, 1),
            ),
            _c(
                "webhook-queue-backlog",
                "payments-api: Stripe webhook queue backlog over 10k messages",
                "webhook queue backlog",
                [
                    "stripe-webhooks queue is at 14k messages and growing",
                    "webhook consumers are all busy, oldest message is 25 minutes old",
                ],
                "A burst of retries from the card processor filled the webhook queue faster than four consumers "
                "could drain it; dead-lettered retries were being re-queued in a loop.",
                [
                    "Check the backlog: `rabbitmqctl list_queues name messages consumers | grep stripe-webhooks`",
                    "Scale the consumers: `kubectl -n payments scale deploy/payments-webhook-worker --replicas=12`",
                    "Purge dead-letter retries older than a day: `./scripts/dlq-purge.sh stripe-webhooks --older-than 24h`",
                    "Scale back with `kubectl -n payments scale deploy/payments-webhook-worker --replicas=4` "
                    "once the queue is below 500",
                ],
            ),
            _c(
                "idempotency-key-conflicts",
                "payments-api: duplicate charge alerts (idempotency key conflicts)",
                "duplicate charges",
                [
                    "duplicate-charge alert fired, 37 charges with the same idempotency key",
                    "customers reporting double charges, idempotency cache hit rate dropped to 0",
                ],
                "The idempotency cache was evicted during a Redis failover, so retried requests were not recognised "
                "as duplicates.",
                [
                    "Turn on the strict guard: `kubectl -n payments set env deploy/payments-api IDEMPOTENCY_STRICT=true`",
                    "Flush the idempotency cache: `redis-cli -h redis-payments --scan --pattern 'idem:*' | "
                    "xargs redis-cli -h redis-payments del`",
                    "Run the duplicate report `./scripts/find-duplicate-charges.py --since 2h` and refund the duplicates",
                ],
                (2, 4, 2, 1),
            ),
        ),
    ),
    ServiceSpec(
        "ledger-worker",
        "payments",
        "ledger-worker-ops",
        False,
        False,
        3,
        0.3,
        2,
        0.5,
        (
            _c(
                "ledger-consumer-lag",
                "ledger-worker: consumer lag above 50k on ledger-events",
                "ledger consumer lag",
                [
                    "consumer group ledger-worker is 58k messages behind",
                    "ledger balances are 20 minutes stale",
                ],
                "One consumer was stuck on a poison message and its partitions were not rebalanced.",
                [
                    "Check the lag: `kafka-consumer-groups --bootstrap-server kafka:9092 --describe --group ledger-worker`",
                    "Restart the stuck consumers: `kubectl -n payments rollout restart deploy/ledger-worker`",
                    "If lag keeps growing scale out: `kubectl -n payments scale deploy/ledger-worker --replicas=6`",
                ],
            ),
            _c(
                "ledger-oomkilled",
                "ledger-worker: pods OOMKilled during month-end batch",
                "month-end OOMKills",
                ["ledger-worker pods restarting, `OOMKilled` in describe", "month-end batch failed twice"],
                "The month-end batch loads every open ledger entry into memory; volume grew past the 2Gi limit.",
                [
                    "Confirm the OOMKills: `kubectl -n payments get pods -l app=ledger-worker` and "
                    "`kubectl -n payments describe pod <pod>`",
                    "Raise the limit: `kubectl -n payments set resources deploy/ledger-worker --limits=memory=3Gi`",
                    "Re-run the failed batch: `./scripts/ledger-rerun.sh --date today`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "checkout-web",
        "checkout",
        "inc-checkout-web",
        True,
        True,
        4,
        0.25,
        6,
        0.0,
        (
            _c(
                "5xx-after-release",
                "checkout-web: 5xx spike after release",
                "5xx spike after a release",
                [
                    "5xx on checkout-web jumped to 9% right after the 14:00 release",
                    "errors are all `TypeError: cannot read properties of undefined (reading 'cart')` from the new bundle",
                ],
                "The release shipped a bundle that assumed a cart field the API only returns for logged-in users.",
                [
                    "Roll back the release: `helm -n checkout rollback checkout-web 0`",
                    "Confirm the previous image is live: `kubectl -n checkout get deploy checkout-web "
                    "-o jsonpath='{.spec.template.spec.containers[0].image}'`",
                    "Purge the CDN cache for static assets: `./scripts/cdn-purge.sh checkout-web '/static/*'`",
                ],
                (2, 4, 2, 1),
            ),
            _c(
                "cdn-stale-assets",
                "checkout-web: stale JS bundle served from CDN",
                "stale bundle on the CDN",
                [
                    "half the users get the old bundle, asset manifest hash mismatch",
                    "ChunkLoadError in the browser console for checkout.js",
                ],
                "The CDN kept serving an old manifest because the cache key ignored the release version.",
                [
                    "Purge the whole site: `./scripts/cdn-purge.sh checkout-web '/*'`",
                    "Bump `assets.version` in `checkout-web/values.yaml` and redeploy",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "cart-service",
        "checkout",
        "cart-service-ops",
        False,
        True,
        3,
        0.3,
        3,
        0.3,
        (
            _c(
                "redis-evictions",
                "cart-service: Redis evictions, carts disappearing",
                "Redis evictions",
                ["evicted_keys on redis-cart went from 0 to 40k in ten minutes", "users report empty carts"],
                "redis-cart hit maxmemory with the allkeys-lru policy, so live carts were evicted.",
                [
                    "Check memory: `redis-cli -h redis-cart info memory`",
                    "Set the eviction policy: `redis-cli -h redis-cart config set maxmemory-policy volatile-lru`",
                    "Add shards: `kubectl -n checkout scale statefulset/redis-cart --replicas=5`",
                ],
            ),
            _c(
                "cart-latency",
                "cart-service: p99 latency above 2s",
                "cart latency",
                ["cart-service p99 is 2.4s, normally 180ms", "GC pauses on cart-service pods"],
                "A slow price lookup without a timeout blocked request threads.",
                [
                    "Check the slow endpoints on the `cart-service / latency` dashboard",
                    "Restart the pods: `kubectl -n checkout rollout restart deploy/cart-service`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "postgres",
        "data",
        "inc-postgres",
        True,
        False,
        7,
        0.75,
        1,
        0.0,
        (
            _c(
                "replication-lag",
                "postgres: replica pg-main-2 replication lag over 300s",
                "replication lag",
                [
                    "replay_lag on pg-main-2 is 340s and growing",
                    "read replicas serving stale data, lag alert firing",
                ],
                "A long analytics query on the replica conflicted with WAL replay and held it back.",
                [
                    'Check the lag: `psql -h pg-main-1 -c "SELECT client_addr, replay_lag FROM pg_stat_replication"`',
                    "Cancel the query blocking replay on the replica: `SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE backend_type='client backend' AND now() - query_start > interval '10 minutes'`",
                    "If lag does not recover re-sync the replica: `patronictl -c /etc/patroni.yml reinit pg-main pg-main-2`",
                ],
                (2, 3, 3, 1),
            ),
            _c(
                "disk-full-replica",
                "postgres: disk full on replica pg-main-2 (WAL volume 98%)",
                "disk full on the replica",
                [
                    "pg_wal volume on pg-main-2 at 98%",
                    "`No space left on device` in the postgres log on pg-main-2",
                ],
                "An abandoned replication slot for the analytics pipeline kept WAL from being recycled.",
                [
                    "Check WAL usage: `du -sh /var/lib/postgresql/16/main/pg_wal`",
                    "Drop the stale slot: `SELECT pg_drop_replication_slot('analytics_slot')`",
                    "Run `CHECKPOINT` on the primary and confirm WAL is recycled",
                    "Grow the volume: `kubectl -n data patch pvc data-pg-main-2 -p "
                    '\'{"spec":{"resources":{"requests":{"storage":"800Gi"}}}}\'`',
                ],
                (3, 4, 2, 0),
            ),
            _c(
                "table-bloat-vacuum",
                "postgres: autovacuum not keeping up on orders (bloat, wraparound warning)",
                "table bloat and vacuum",
                [
                    "orders table is 3x its live size, autovacuum keeps getting cancelled",
                    '`WARNING: database "app" must be vacuumed within 9000000 transactions`',
                ],
                "Autovacuum on orders was throttled by the default cost limit while update volume doubled.",
                [
                    "Find bloated tables: `SELECT relname, n_dead_tup FROM pg_stat_user_tables "
                    "ORDER BY n_dead_tup DESC LIMIT 10`",
                    "Run `VACUUM (VERBOSE, ANALYZE) orders` in a maintenance session",
                    "For severe bloat run `VACUUM FULL orders` in the off-peak window (it takes an exclusive lock)",
                    "Raise `autovacuum_vacuum_cost_limit` to 2000 in `postgres/postgresql.conf` and reload with "
                    "`SELECT pg_reload_conf()`",
                ],
            ),
            _c(
                "too-many-connections",
                "postgres: FATAL too many connections for role app",
                "too many connections",
                [
                    "`FATAL: sorry, too many clients already` from three services",
                    "pgbouncer shows 400 waiting clients",
                ],
                "A deploy doubled the pool size of every client while pgbouncer still ran in session mode.",
                [
                    "Check the pools: `psql -h pgbouncer -p 6432 pgbouncer -c 'SHOW POOLS'`",
                    "Terminate idle sessions: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state='idle' "
                    "AND state_change < now() - interval '15 minutes'`",
                    "Restart pgbouncer: `kubectl -n data rollout restart deploy/pgbouncer`",
                ],
                (3, 4, 2, 0),
            ),
        ),
        extra_tasks=(("failover", 2.0), ("migration", 2.0)),
    ),
    ServiceSpec(
        "kafka",
        "data",
        "kafka-ops",
        False,
        True,
        4,
        0.35,
        1,
        0.0,
        (
            _c(
                "under-replicated-partitions",
                "kafka: under-replicated partitions on broker kafka-2",
                "under-replicated partitions",
                [
                    "UnderReplicatedPartitions = 84 on kafka-2",
                    "ISR shrinking for clickstream and ledger-events",
                ],
                "kafka-2 fell behind after a noisy-neighbour disk stall and never caught up.",
                [
                    "List them: `kafka-topics --bootstrap-server kafka:9092 --describe --under-replicated-partitions`",
                    "Restart the lagging broker: `kubectl -n data delete pod kafka-2`",
                    "Run a preferred leader election: `kafka-leader-election --bootstrap-server kafka:9092 "
                    "--election-type preferred --all-topic-partitions`",
                ],
            ),
            _c(
                "broker-disk-full",
                "kafka: broker kafka-1 disk above 95%",
                "broker disk full",
                ["kafka-1 /var/lib/kafka at 96%", "producers getting `NotEnoughReplicas` errors"],
                "clickstream retention was raised to 14 days without resizing the brokers.",
                [
                    "Check the disk: `kubectl -n data exec kafka-1 -- df -h /var/lib/kafka`",
                    "Lower retention on the largest topic: `kafka-configs --bootstrap-server kafka:9092 --alter "
                    "--entity-type topics --entity-name clickstream --add-config retention.ms=86400000`",
                    "Move partitions off the full broker: `kafka-reassign-partitions --bootstrap-server kafka:9092 "
                    "--execute --reassignment-json-file reassign.json`",
                ],
            ),
        ),
        extra_tasks=(("failover", 1.0),),
    ),
    ServiceSpec(
        "search-indexer",
        "search",
        "search-indexer-ops",
        False,
        False,
        6,
        0.3,
        2,
        0.0,
        (
            _c(
                "unassigned-shards",
                "search-indexer: cluster RED, unassigned shards",
                "unassigned shards",
                [
                    "cluster health is RED, 12 unassigned primaries",
                    "indexing errors: `no shard available for action`",
                ],
                "A data node restarted and allocation gave up after five failed retries.",
                [
                    "Ask the cluster why: `curl -s 'localhost:9200/_cluster/allocation/explain?pretty'`",
                    "Retry failed allocations: `curl -XPOST 'localhost:9200/_cluster/reroute?retry_failed=true'`",
                    "Clear the stale node exclusion: `curl -XPUT localhost:9200/_cluster/settings -H "
                    "'Content-Type: application/json' -d "
                    '\'{"transient":{"cluster.routing.allocation.exclude._name":null}}\'`',
                ],
            ),
            _c(
                "reindex-stuck",
                "search-indexer: reindex job stuck at 0 docs/s",
                "stuck reindex",
                [
                    "nightly reindex has been at 0 docs/s for 40 minutes",
                    "index alias still points at yesterday's index",
                ],
                "The reindex task hit a mapping conflict and stalled without failing.",
                [
                    "Find the task: `curl -s 'localhost:9200/_tasks?actions=*reindex&detailed'`",
                    "Cancel it: `curl -XPOST 'localhost:9200/_tasks/<task_id>/_cancel'`",
                    "Restart the indexer with a smaller batch: `kubectl -n search set env deploy/search-indexer "
                    "INDEX_BATCH_SIZE=500`",
                ],
            ),
            _c(
                "heap-pressure",
                "search-indexer: JVM heap pressure, GC pauses over 5s",
                "heap pressure",
                ["heap_used_percent above 92 on es-data-1..3", "GC pauses of 5-8s, bulk requests timing out"],
                "Fielddata on a text field filled the heap after a new aggregation shipped.",
                [
                    "Check the heap: `curl -s localhost:9200/_nodes/stats/jvm?pretty | grep heap_used_percent`",
                    "Clear the fielddata cache: `curl -XPOST 'localhost:9200/_cache/clear?fielddata=true'`",
                    "Roll the data nodes one at a time: `kubectl -n search rollout restart statefulset/es-data`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "search-api",
        "search",
        "inc-search-api",
        False,
        True,
        4,
        0.3,
        3,
        0.4,
        (
            _c(
                "search-latency",
                "search-api: p95 latency above 1.5s",
                "search latency",
                ["search-api p95 is 1.8s", "slow query log full of wildcard queries"],
                "A client sent leading-wildcard queries that bypassed the query cache.",
                [
                    "Check the slow log: `kubectl -n search logs deploy/search-api | grep slow_query`",
                    "Turn on the query cache: `kubectl -n search set env deploy/search-api QUERY_CACHE=on`",
                ],
            ),
            _c(
                "circuit-breaker-open",
                "search-api: circuit breaker to Elasticsearch open",
                "breaker open",
                ["breaker `es` is OPEN, search returns empty results", "fallback responses at 100%"],
                "The breaker tripped during a short cluster blip and the half-open probe kept failing on a stale "
                "connection.",
                [
                    "Confirm the breaker state: `curl -s search-api:8080/admin/breakers`",
                    "Reset it: `curl -XPOST search-api:8080/admin/breakers/es/reset`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "notifications",
        "platform",
        "notifications-ops",
        False,
        True,
        6,
        0.3,
        3,
        0.4,
        (
            _c(
                "smtp-rate-limited",
                "notifications: SMTP provider rate limiting (421 responses)",
                "SMTP rate limiting",
                ["`421 4.7.0 Try again later` from the SMTP relay", "outbound email queue at 60k"],
                "A marketing send shared the transactional sending quota.",
                [
                    "Switch to the backup provider: `kubectl -n platform set env deploy/notifications SMTP_PROVIDER=backup`",
                    "Slow the sender: `kubectl -n platform set env deploy/notifications SEND_RATE=50`",
                ],
            ),
            _c(
                "push-cert-expired",
                "notifications: APNs push certificate expired",
                "expired push certificate",
                ["APNs returns `BadCertificate` for every push", "iOS push delivery at 0%"],
                "The APNs certificate expired; renewal was a manual yearly task nobody owned.",
                [
                    "Upload the renewed certificate: `vault kv put secret/notifications/apns cert=@apns.pem`",
                    "Restart: `kubectl -n platform rollout restart deploy/notifications`",
                ],
            ),
            _c(
                "notification-queue-backlog",
                "notifications: send queue backlog over 100k",
                "send queue backlog",
                ["notifications-send queue at 120k", "password reset emails arriving 30 minutes late"],
                "Workers were scaled down by the HPA during a quiet period and could not catch up.",
                [
                    "Scale the workers: `kubectl -n platform scale deploy/notifications-worker --replicas=10`",
                    "Pin the HPA minimum: `kubectl -n platform patch hpa notifications-worker -p "
                    '\'{"spec":{"minReplicas":4}}\'`',
                ],
            ),
        ),
    ),
    ServiceSpec(
        "k8s-platform",
        "platform",
        "inc-k8s-platform",
        True,
        True,
        4,
        0.35,
        2,
        0.2,
        (
            _c(
                "node-not-ready",
                "k8s-platform: nodes NotReady in prod-eu-1",
                "NotReady nodes",
                ["3 nodes NotReady in prod-eu-1", "kubelet on ip-10-4-2-17 stopped posting status"],
                "A kernel bug on the old AMI hung the kubelet under memory pressure.",
                [
                    "List them: `kubectl get nodes | grep NotReady`",
                    "Drain: `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data`",
                    "Terminate the instance so the group replaces it: `aws ec2 terminate-instances --instance-ids <id>`",
                ],
            ),
            _c(
                "certificate-expired",
                "k8s-platform: ingress TLS certificate expired",
                "expired ingress certificate",
                [
                    "browsers show `NET::ERR_CERT_DATE_INVALID`",
                    "cert-manager Certificate wildcard-tls is not Ready",
                ],
                "cert-manager could not solve the DNS challenge after an IAM change and the certificate lapsed.",
                [
                    "Check: `kubectl get certificates -A | grep False`",
                    "Force renewal: `cmctl renew -n ingress wildcard-tls`",
                    "Restart the ingress controller: `kubectl -n ingress rollout restart deploy/ingress-nginx-controller`",
                ],
                (3, 3, 1, 0),
            ),
            _c(
                "coredns-failures",
                "k8s-platform: DNS resolution failures (CoreDNS)",
                "DNS failures",
                ["`i/o timeout` resolving kubernetes.default", "coredns pods at 100% CPU"],
                "Two CoreDNS replicas could not absorb a burst of lookups from a misconfigured ndots setting.",
                [
                    "Restart CoreDNS: `kubectl -n kube-system rollout restart deploy/coredns`",
                    "Scale it: `kubectl -n kube-system scale deploy/coredns --replicas=6`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "ml-inference",
        "ml",
        "ml-inference-ops",
        False,
        False,
        4,
        0.4,
        2,
        0.0,
        (
            _c(
                "gpu-oom",
                "ml-inference: CUDA out of memory on ranker pods",
                "GPU out of memory",
                ["`CUDA out of memory` on ranker-7f9", "ranking requests failing over to the fallback model"],
                "A larger model version doubled activation memory at the configured batch size.",
                [
                    "Find the failing pods: `kubectl -n ml get pods -l app=ml-inference | grep -v Running`",
                    "Lower the batch size: `kubectl -n ml set env deploy/ml-inference MAX_BATCH=8`",
                ],
            ),
            _c(
                "model-load-timeout",
                "ml-inference: model load timeout on startup",
                "model load timeout",
                [
                    "pods stuck in startup, `model load exceeded 300s`",
                    "S3 throughput from the model bucket is low",
                ],
                "The model artefact tripled in size and the startup probe timed out.",
                [
                    "Check the model store: `aws s3 ls s3://models/prod/ranker/`",
                    "Pin the previous model: `kubectl -n ml set env deploy/ml-inference MODEL_VERSION=previous`",
                ],
            ),
        ),
    ),
    ServiceSpec(
        "feature-store",
        "ml",
        "feature-store-ops",
        False,
        False,
        4,
        0.4,
        2,
        0.0,
        (
            _c(
                "stale-features",
                "feature-store: features stale by more than 6h",
                "stale features",
                [
                    "feature freshness alert: user_embeddings last updated 7h ago",
                    "materialisation job failed",
                ],
                "The materialisation job ran out of Spark executors.",
                [
                    "Re-run materialisation: `feast materialize-incremental $(date -u +%Y-%m-%dT%H:%M:%S)`",
                    "Raise executors: `kubectl -n ml set env cronjob/feature-materialize SPARK_EXECUTORS=12`",
                ],
            ),
        ),
        variants=("small_team",),
    ),
)
"""The services. ``feature-store`` exists only in the ``small_team`` variant."""

CHAT_LINES: tuple[str, ...] = (
    "standup moved to 10:15 today",
    "reminder: planning doc is in the team drive",
    "anyone up for lunch?",
    "the staging cluster is back",
    "who owns the flaky integration test in CI?",
    "I'll be out Friday afternoon",
    "new laptop setup guide is pinned in the channel",
    "retro notes posted, thanks all",
    "congrats on the launch!",
    "can someone review my PR before EOD?",
    "heads up: VPN maintenance tonight at 22:00",
    "quarterly on-call survey is open",
)
"""Everyday chat that has nothing to do with incidents."""

ALERT_NAMES: tuple[str, ...] = (
    "KubePodCrashLooping",
    "HighErrorRate",
    "HighLatencyP99",
    "DiskSpaceLow",
    "CPUThrottlingHigh",
    "TargetDown",
    "KubeJobFailed",
)
"""Alertmanager alert names the bots post (noise)."""
