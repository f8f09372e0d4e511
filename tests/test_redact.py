"""Tests of secret redaction: per-kind detection, prose left alone, counts, idempotence and the corpus figures."""

from __future__ import annotations

import base64
import importlib.util
import json
import random
import time
from pathlib import Path
from types import ModuleType

import pytest

from ingest.redact import KINDS, Redactor, _same_length_lower, measure, redact

CORPUS = Path(__file__).parent / "fixtures" / "secrets"

MIN_RECALL = 0.99
"""The brief: at least 99% of planted secrets gone from the output."""

MAX_FALSE_POSITIVE_RATE = 0.01
"""The brief: at most 1% of ordinary lines changed at all."""

MAX_MEAN_MICROSECONDS_PER_ORDINARY_LINE = 200.0
"""Generous ceiling for a loaded CI box; measured about 10 µs a line on the development machine."""

# Secrets below are fake and assembled from parts, so this file holds no scannable token.
A40 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE"
B64_88 = "Zm9vYmFyYmF6cXV4" * 5 + "Tm9wZVgx" + "=="
HEX32 = "3f9a1c2b7d4e5f60718293a4b5c6d7e8"
PD20 = "y_NbAkKc66ryYTWUXYEu"
RAND32 = "q8Z2mN4vX7kL1pR9tY3wB6cD5fG0hJ2s"
JWT = (
    base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    + "."
    + base64.urlsafe_b64encode(b'{"sub":"grant","admin":true}').decode().rstrip("=")
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "MIIEowIBAAKCAQEA7bq0mYfJ3n2ZzN6pQ8v5rXo1kL2yT9wH4cD3eF6gJ8iK0lM"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + PEM_BODY
    + "\nQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLl==\n-----END RSA PRIVATE KEY-----"
)
OPENSSH = (
    "-----BEGIN OPENSSH "
    + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACD0nF3k8Y2xJ9qW1vR7tL5mZ0aB6cD4eF8gH2iJ0kL3mA==\n-----END OPENSSH PRIVATE KEY-----"
)
K8S = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments-db\ntype: Opaque\ndata:\n"
    "  username: cGF5bWVudHM=\n  password: UzNjcmV0UGFzc3dvcmQxMjM=\n"
)

# (kind, text, secret substring that must disappear)
PER_KIND: list[tuple[str, str, str]] = [
    ("private-key", f"deploy key:\n{PEM}\nthanks", PEM_BODY),
    ("k8s-secret", K8S, "UzNjcmV0UGFzc3dvcmQxMjM="),
    ("jwt", f"session cookie was {JWT} in the repro", JWT),
    ("aws-access-key", "leaked " + "AKIA" + "Z7Q2XK4M9P3LVB6N" + " in the logs", "AKIA" + "Z7Q2XK4M9P3LVB6N"),
    ("aws-secret-key", f"aws_secret_access_key = {A40}", A40),
    (
        "gcp-api-key",
        "key=" + "AIza" + "SyD4x9Q2kLmN8pR3tV6wY1zB5cF7hJ0gK2e",
        "AIza" + "SyD4x9Q2kLmN8pR3tV6wY1zB5cF7hJ0gK2e",
    ),
    (
        "gcp-oauth-token",
        "token is " + "ya29" + ".a0AfH6SMBx7Yq2Lk9Zp3Rt6Vw8",
        "ya29" + ".a0AfH6SMBx7Yq2Lk9Zp3Rt6Vw8",
    ),
    (
        "azure-storage-key",
        f"DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={B64_88};EndpointSuffix=core.windows.net",
        B64_88,
    ),
    (
        "azure-sas-token",
        "https://acme.blob.core.windows.net/x/y.gz?sv=2022-11-02&sp=r&sig=Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY%3D",
        "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY",
    ),
    ("github-token", "GITHUB_TOKEN=" + "ghp_" + "a" * 4 + RAND32, "ghp_" + "a" * 4 + RAND32),
    (
        "gitlab-token",
        "PRIVATE-TOKEN: " + "glpat-" + "xK9mZ2pQ7rT4vW1yB3nD",
        "glpat-" + "xK9mZ2pQ7rT4vW1yB3nD",
    ),
    (
        "slack-token",
        "bot uses " + "xoxb-" + "123456789012-1234567890123-" + RAND32[:24],
        "xoxb-" + "123456789012-1234567890123-" + RAND32[:24],
    ),
    (
        "slack-webhook",
        "https://hooks.slack." + "com/services/T0ABCDEF1/B0ABCDEFGH1/" + RAND32[:24],
        RAND32[:24],
    ),
    ("stripe-key", "STRIPE_SECRET_KEY=" + "sk_" + "live_" + RAND32, "sk_" + "live_" + RAND32),
    (
        "sendgrid-key",
        "SENDGRID_API_KEY=" + "SG." + RAND32[:22] + "." + (RAND32 + RAND32)[:43],
        "SG." + RAND32[:22] + "." + (RAND32 + RAND32)[:43],
    ),
    ("npm-token", "//registry.npmjs.org/:_authToken=" + "npm_" + RAND32 + "abcd", "npm_" + RAND32 + "abcd"),
    (
        "anthropic-key",
        "ANTHROPIC_API_KEY=" + "sk-ant-" + "api03-" + RAND32 * 3,
        "sk-ant-" + "api03-" + RAND32 * 3,
    ),
    ("openai-key", "OPENAI_API_KEY=" + "sk-" + "proj-" + RAND32 * 2, "sk-" + "proj-" + RAND32 * 2),
    ("vault-token", "VAULT_TOKEN=" + "hvs." + RAND32 + " vault kv get secret/x", "hvs." + RAND32),
    (
        "docker-token",
        "docker login -u ci -p " + "dckr_pat_" + RAND32[:27] + " ghcr.io",
        "dckr_pat_" + RAND32[:27],
    ),
    (
        "grafana-token",
        "GRAFANA_SA_TOKEN=" + "glsa_" + RAND32 + "_" + HEX32[:8],
        "glsa_" + RAND32 + "_" + HEX32[:8],
    ),
    ("sentry-dsn", f"SENTRY_DSN=https://{HEX32}@o4521.ingest.sentry.io/17", HEX32),
    (
        "aws-signature",
        "https://b.s3.amazonaws.com/x.gz?X-Amz-Expires=3600&X-Amz-Signature=" + HEX32 * 2,
        HEX32 * 2,
    ),
    ("password", "mysql -uroot -pS3cretPass! -h db", "S3cretPass!"),
    ("password", "fyi the prod db pw is Winter2024! until Friday", "Winter2024!"),
    ("twilio-key", "TWILIO_API_KEY=" + "SK" + HEX32, "SK" + HEX32),
    (
        "pagerduty-key",
        f"curl -H 'Authorization: Token token={PD20}' https://api.pagerduty.com/incidents",
        PD20,
    ),
    ("datadog-key", f"DD_API_KEY={HEX32}", HEX32),
    (
        "connection-string",
        "DATABASE_URL=postgres://payments:S3cretPw0rd@db.internal:5432/payments",
        "S3cretPw0rd",
    ),
    ("url-password", "pip install -i https://deploy:Hunt3r2x!@nexus.internal/simple x", "Hunt3r2x!"),
    ("bearer-token", f"Authorization: Bearer {RAND32}", RAND32),
    ("basic-auth", "Authorization: Basic " + base64.b64encode(b"admin:Tr0ub4dor3").decode(), "YWRtaW46"),
    ("auth-header", f"Authorization: SSWS {RAND32}", RAND32),
    ("env-secret", f"export INTERNAL_API_TOKEN={RAND32}", RAND32),
    ("password", "db password=Summer2024!", "Summer2024!"),
    ("secret", f"client_secret: {RAND32[:24]}", RAND32[:24]),
    ("token", f"https://export.example.com/dump?format=csv&token={RAND32[:20]}", RAND32[:20]),
    ("api-key", f"X-API-Key: {RAND32[:24]}", RAND32[:24]),
]

PROSE = [
    "the password reset flow is broken",
    "token bucket refill rate is 100/s",
    "Secret rotation: done",
    "token: expired, I'll ask for a new one",
    "password: see 1Password",
    "secretName: payments-tls",
    "password: ${DB_PASSWORD}",
    "api_key = os.environ['API_KEY']",
    "max_tokens: 4096",
    "bypass=true skips the cache",
    "export CACHE_KEY_PREFIX=payments-v2-cache",
    "export GIT_SHA=3f786850e387550fdab836ed7e6dc881de23001b",
    "image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "payments-api-7f9c8d6b5-x2k9p   1/1     Running   0          3h",
    "https://grafana.example.com/d/abc123/payments?orgId=1&from=now-6h",
    "git clone git@github.com:acme/payments.git",
    "https://user@example.com/repo.git",
    "Basic troubleshooting steps are in the runbook",
    "Bearer auth fails when the clock skews",
    "kind: Secret objects should be sealed with kubeseal",
    "the password is expired",
    "the token is valid for 3600 seconds",
    "mysql -u root -p",
]


def _load_generator() -> ModuleType:
    """The corpus generator module, loaded from its file."""
    spec = importlib.util.spec_from_file_location("secrets_corpus_generate", CORPUS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_kind_has_a_hand_case() -> None:
    assert sorted({kind for kind, _, _ in PER_KIND}) == sorted(KINDS)
    assert len(set(KINDS)) == len(KINDS)
    assert len(KINDS) >= 15


@pytest.mark.parametrize(
    ("kind", "text", "secret"), PER_KIND, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(PER_KIND)]
)
def test_each_kind_is_redacted(kind: str, text: str, secret: str) -> None:
    out, n = redact(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out
    assert n >= 1


@pytest.mark.parametrize("text", PROSE)
def test_prose_and_ids_are_left_alone(text: str) -> None:
    assert redact(text) == (text, 0)


def test_plain_message_returns_the_same_object() -> None:
    text = "looks like the canary is fine, merging now"
    out, n = redact(text)
    assert out is text and n == 0


def test_counts_are_exact() -> None:
    aws = "AKIA" + "Z7Q2XK4M9P3LVB6N"
    assert redact(f"{aws} and {aws}")[1] == 2
    two = f"password=Summer2024! token={RAND32}"
    assert redact(two) == ("password=[REDACTED:password] token=[REDACTED:token]", 2)
    # one token matched by several rules (a GitHub token in a password assignment) counts once
    assert redact("password=" + "ghp_" + "a" * 4 + RAND32)[1] == 1
    # every value of a Kubernetes Secret counts
    assert redact(K8S)[1] == 2
    assert redact("nothing to see here")[1] == 0


def test_redaction_is_idempotent_over_the_corpus() -> None:
    rows = [json.loads(line) for line in (CORPUS / "planted.jsonl").read_text().splitlines()]
    for row in rows:
        once, n = redact(row["text"])
        assert n >= 1
        assert redact(once) == (once, 0), row["text"]


def test_url_keeps_user_and_host() -> None:
    out, n = redact("mongodb+srv://app_rw:p%40ssW0rd99@cluster0.x1y2z.mongodb.net/prod?retryWrites=true")
    assert (
        out
        == "mongodb+srv://app_rw:[REDACTED:connection-string]@cluster0.x1y2z.mongodb.net/prod?retryWrites=true"
    )
    assert n == 1
    out, _ = redact("redis://:s3cr3tPw9@redis-cache:6379/0")
    assert out == "redis://:[REDACTED:connection-string]@redis-cache:6379/0"
    out, _ = redact("see https://admin:Hunt3r2x@grafana.internal:3000/d/x")
    assert out == "see https://admin:[REDACTED:url-password]@grafana.internal:3000/d/x"


def test_ado_connection_string_keeps_the_other_fields() -> None:
    out, n = redact("Server=tcp:db,1433;Database=ledger;User ID=app;Password=Winter2024!;Encrypt=True;")
    assert (
        out
        == "Server=tcp:db,1433;Database=ledger;User ID=app;Password=[REDACTED:connection-string];Encrypt=True;"
    )
    assert n == 1


@pytest.mark.parametrize("block", [PEM, OPENSSH], ids=["rsa", "openssh"])
def test_pem_block_is_removed_whole(block: str) -> None:
    out, n = redact(f"here you go:\n```\n{block}\n```\nrotate after use")
    assert out == "here you go:\n```\n[REDACTED:private-key]\n```\nrotate after use"
    assert n == 1


def test_pem_in_service_account_json_is_removed() -> None:
    escaped = PEM.replace("\n", "\\n")
    out, n = redact('{"type": "service_account", "private_key": "' + escaped + '\\n", "client_email": "x@y"}')
    assert PEM_BODY not in out and "BEGIN" not in out
    assert '"client_email": "x@y"' in out
    assert n == 1


def test_truncated_pem_is_still_removed() -> None:
    out, _ = redact("-----BEGIN PRIVATE KEY-----\n" + PEM_BODY + "\n(pasted the rest in DM)")
    assert PEM_BODY not in out


def test_redactor_instances_agree_with_module_function() -> None:
    text = f"export INTERNAL_API_TOKEN={RAND32}"
    assert Redactor().redact(text) == redact(text)


def test_corpus_files_match_the_generator() -> None:
    generator = _load_generator()
    planted, ordinary = generator.build()
    assert (CORPUS / "planted.jsonl").read_text(encoding="utf-8") == generator._dump(planted)
    assert (CORPUS / "ordinary.jsonl").read_text(encoding="utf-8") == generator._dump(ordinary)


def test_corpus_recall_and_false_positive_rate() -> None:
    figures = measure(CORPUS)
    assert figures["secrets"] >= 200
    assert len(figures["kinds"]) >= 15
    assert figures["ordinary_lines"] >= 1000
    assert figures["recall"] >= MIN_RECALL, figures["missed"]
    assert figures["false_positive_rate"] <= MAX_FALSE_POSITIVE_RATE, figures["false_positives"]


def test_planted_secrets_get_their_expected_kind() -> None:
    rows = [json.loads(line) for line in (CORPUS / "planted.jsonl").read_text().splitlines()]
    wrong = [row for row in rows if f"[REDACTED:{row['kind']}]" not in redact(row["text"])[0]]
    assert len(wrong) <= len(rows) * (1 - MIN_RECALL), wrong[:5]


def test_detect_secrets_finds_nothing_we_leave_behind() -> None:
    """An independent oracle: whatever detect-secrets' regex plugins find in a planted line is gone after redaction."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    plugins = [
        "AWSKeyDetector", "AzureStorageKeyDetector", "BasicAuthDetector", "GitHubTokenDetector",
        "GitLabTokenDetector", "JwtTokenDetector", "NpmDetector", "OpenAIDetector", "PrivateKeyDetector",
        "SendGridDetector", "SlackDetector", "StripeDetector", "TwilioKeyDetector", "KeywordDetector",
    ]  # fmt: skip
    rows = [json.loads(line) for line in (CORPUS / "planted.jsonl").read_text().splitlines()]
    found = left = 0
    with transient_settings({"plugins_used": [{"name": name} for name in plugins]}):
        for row in rows:
            out = redact(row["text"])[0]
            for line in row["text"].splitlines():
                for secret in scan_line(line):
                    found += 1
                    left += bool(secret.secret_value and secret.secret_value in out)
    assert found >= 50
    assert left == 0


def test_ordinary_lines_are_fast() -> None:
    lines = [json.loads(line)["text"] for line in (CORPUS / "ordinary.jsonl").read_text().splitlines()]
    redactor = Redactor()
    start = time.perf_counter()
    for _ in range(3):
        for line in lines:
            redactor.redact(line)
    mean_us = (time.perf_counter() - start) / (3 * len(lines)) * 1e6
    assert mean_us < MAX_MEAN_MICROSECONDS_PER_ORDINARY_LINE


def test_rule_preconditions_never_hide_a_finding() -> None:
    """A rule's ``needs`` only skips texts it cannot match: without them, the corpus redacts the same."""
    from dataclasses import replace

    from ingest.redact import _RULES

    assert any(rule.needs is not None for rule in _RULES)
    unguarded = Redactor(tuple(replace(rule, needs=None) for rule in _RULES))
    texts = [
        json.loads(line)["text"]
        for name in ("planted.jsonl", "ordinary.jsonl")
        for line in (CORPUS / name).read_text().splitlines()
    ]
    texts += [f"twilio auth token: {HEX32}", f"SK{HEX32} and AC{HEX32}", f"PD routing key = {HEX32}"]
    assert [Redactor().redact(t) for t in texts] == [unguarded.redact(t) for t in texts]


def test_redact_stored_remembers_short_texts_only(monkeypatch):
    """The memo shared by adapters and pipeline holds short texts; a thread's whole text is not kept."""
    from collections import Counter

    from ingest import redact as redact_mod

    scanned: Counter[str] = Counter()
    real = redact_mod.Redactor.redact

    def counting(self, text):
        scanned[text] += 1
        return real(self, text)

    monkeypatch.setattr(redact_mod.Redactor, "redact", counting)
    short = "memo check: export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    long = short + " and more text" * (redact_mod.STORED_CACHE_CHARS // 10)
    for text in (short, long):
        first, again = redact_mod.redact_stored(text), redact_mod.redact_stored(text)
        assert first == again == redact_mod.redact(text) and first[1] == 1
    assert scanned[short] == 2  # once by the memo, once by the check against redact() above
    assert scanned[long] == 3  # not remembered: every call scans it


def test_redact_stored_replaces_lone_surrogates():
    from ingest.redact import redact_stored

    text, n = redact_stored("bad \ud800 byte")
    assert n == 0 and text.encode("utf-8") == b"bad ? byte"


class _EveryTriggerScanned(Redactor):
    """The plain rule: a rule runs when any of its trigger literals occurs anywhere in the lower-cased text."""

    def _fired(self, lower: str) -> set[int]:
        return {i for literal, rules in self._pairs if literal in lower for i in rules}


def _trigger_soup(rng, literals: list[str], n: int) -> list[str]:
    """Texts dense with triggers: overlapping, nested, adjacent, upper-cased, at both ends."""
    filler = ["", " ", "=", "-", "_", ".", ":", "/", "x", "A", "9", "é", "\n", "İ"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 8)):
            lit = rng.choice(literals)
            if rng.random() < 0.3:  # a piece of a trigger, or one cut in two by the next part
                cut = rng.randint(0, len(lit))
                lit = lit[:cut] if rng.random() < 0.5 else lit[cut:]
            parts.append(lit.upper() if rng.random() < 0.2 else lit)
            parts.append(rng.choice(filler))
        texts.append("".join(parts))
    return texts


def test_rules_fire_exactly_as_if_every_trigger_were_scanned() -> None:
    fast, plain = Redactor(), _EveryTriggerScanned()
    literals = [literal for literal, _ in fast._pairs]
    texts = _trigger_soup(random.Random(13), literals, 4000)
    texts += [
        json.loads(line)["text"]
        for name in ("planted.jsonl", "ordinary.jsonl")
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    fired_somewhere = 0
    for text in texts:
        lower = _same_length_lower(text)
        assert fast._fired(lower) == plain._fired(lower), text
        assert fast.find(text) == plain.find(text), text
        fired_somewhere += bool(plain._fired(lower))
    assert fired_somewhere > len(texts) // 2  # the texts exercise the triggers, not only their absence
