"""Secret redaction for ingested text: every secret becomes ``[REDACTED:<kind>]`` before storage.

Chat messages, incident logs, postmortems and runbooks pass through :func:`redact` before they are
stored, embedded or shown to an LLM.

How it works, and why it does not call ``detect-secrets`` per line: ``detect_secrets.core.scan.scan_line``
costs about 60 µs a line with only four plugins enabled (measured with detect-secrets 1.5.0), it reads
global settings, and it reports which secret was found but not where, so it cannot drive a replacement.
The rules below instead take the plugins' regex ideas (AWS, Azure storage, GitHub, GitLab, Slack, Stripe,
Twilio, SendGrid, npm, OpenAI, JWT, private key, basic auth, keyword) as our own compiled regexes,
widened where real tokens have outgrown them (Stripe keys longer than 24 characters, ``github_pat_``,
``sk-proj-`` and ``sk-ant-`` keys, OpenSSH keys, context keys for PagerDuty and Datadog).
This module never imports ``detect_secrets``, so it reads no config file and touches no network;
the tests use detect-secrets only as an independent check on the seeded corpus.

Speed: every rule names cheap lower-case trigger literals (``akia``, ``xox``, ``eyj``, ``password`` …).
One gate regex, the minimal literal set factored into a prefix trie, runs over the lower-cased text; a
message with no trigger returns untouched (the same object) after that single scan, a few µs. A message
with triggers runs only the rules whose literals occur. Case-insensitive rules match lower-cased text
with lower-case patterns, because ``re.IGNORECASE`` alternations measured 5-10x slower. Measured on the
seeded corpus: about 20-70k ordinary lines/s on a loaded 2-core box (the corpus is trigger-dense), and
about 140k lines/s on package documentation.

Choosing between overlapping findings: rules run in :data:`_RULES` order, most specific first (a
PEM block, then prefixed tokens, then credentials in URLs, then context keys, then auth headers, then
env assignments, then generic ``password=`` assignments); a later rule never takes text that an
earlier one already took, and no rule ever matches inside an existing ``[REDACTED:...]`` token, so
redaction is idempotent.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

REDACTED_TOKEN = re.compile(r"\[REDACTED:[a-z0-9-]+\]")
"""An existing replacement; nothing inside one is redacted again."""

ENV_MIN_LENGTH = 12
"""Shortest env-assignment value judged by entropy: below it a value is a word, a port or a flag."""

ENV_HINTED_MIN_ENTROPY = 3.0
"""Shannon bits per character for a value of an env var whose name says secret (``*_TOKEN`` …).

Random alphanumeric tokens of 16+ characters measure 3.6–5.0; words and versions stay under 3.0.
"""

ENV_UNHINTED_MIN_ENTROPY = 4.2
"""Bits per character for an env value whose name says nothing: high enough that hex ids
(git SHAs, trace ids, at most 4.0) never qualify; detect-secrets uses 4.5 for base64 strings."""

ENV_UNHINTED_MIN_LENGTH = 24
"""Shortest value of an unhinted env var that can be a secret by entropy alone."""

COLON_VALUE_MIN_LENGTH = 6
"""Shortest unquoted ``token: value`` value taken as a credential (chat prose uses ``token: x`` a lot)."""

COLON_VALUE_PLAIN_MIN_LENGTH = 16
"""An all-lowercase-letters ``secret: value`` is prose unless it is at least this long."""

EQUALS_VALUE_MIN_LENGTH = 4
"""Shortest ``password=value`` value taken as a credential (``password=in`` is prose)."""

PLACEHOLDER_WORDS = frozenset(
    """none null nil true false yes no required optional redacted masked hidden removed secret secrets
    password passwords passwd token tokens key keys apikey string str int bool value values env vault
    changeme? example sample dummy test todo tbd tba n/a na xxx xxxx xxxxx xxxxxx yyyy zzzz undefined
    empty blank default rotated expired revoked invalid valid missing wrong set unset here there
    below above same the from in of to is was""".replace("?", "").split()
)
"""Values of ``password=``/``token:`` that say something about a secret rather than being one."""

KINDS: tuple[str, ...] = (
    "private-key",
    "k8s-secret",
    "jwt",
    "aws-access-key",
    "aws-secret-key",
    "gcp-api-key",
    "gcp-oauth-token",
    "azure-storage-key",
    "azure-sas-token",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "sendgrid-key",
    "npm-token",
    "anthropic-key",
    "openai-key",
    "vault-token",
    "docker-token",
    "grafana-token",
    "sentry-dsn",
    "aws-signature",
    "twilio-key",
    "pagerduty-key",
    "datadog-key",
    "connection-string",
    "url-password",
    "bearer-token",
    "basic-auth",
    "auth-header",
    "env-secret",
    "password",
    "secret",
    "token",
    "api-key",
)
"""Every kind a replacement can name, most specific first."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret found: its span in the text and its kind."""

    start: int
    end: int
    kind: str


Finder = Callable[[str, str], Iterator[tuple[int, int, str]]]
"""A rule body: given a text and its lower-cased copy, yields (start, end, kind) spans of secrets."""


Needs = Callable[[str, str], bool]
"""A rule's exact precondition: given a text and its lower-cased copy, False only when the rule cannot match."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A named detector that runs only when one of its ``|``-separated lower-case trigger literals occurs.

    ``needs``, when set, is checked after the trigger: a cheap test of what every match must contain
    (a case-sensitive literal, a second keyword), so that a common trigger does not run the regex.
    """

    name: str
    trigger: str
    find: Finder
    needs: Needs | None = None


# --------------------------------------------------------------------------- value checks


def shannon_entropy(value: str) -> float:
    """Shannon entropy of a string in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{?[\w.:-]*\}?.*          # $VAR, ${VAR}
      | \{\{.*                      # {{ .Values.x }}
      | \{[\w.-]*\}                 # {password}
      | %\(?[\w]*\)?s?              # %(password)s, %s
      | <[^>]*>?                    # <your-token>
      | \*+ | x+ | X+ | \.+ | -+ | _+ | \#+   # ****, xxxx
      | \[REDACTED.*                # already redacted
      | (?:env|vault|secret|ssm|arn|keyvault|gcpsm|op|awssm|file|ref)[:/].*   # references to a store
      | secretKeyRef.* | valueFrom.*
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def _is_placeholder(value: str) -> bool:
    """Whether a value is a template, a reference or a word about secrets rather than a secret."""
    v = value.strip()
    if not v or v.lower().rstrip(".,!") in PLACEHOLDER_WORDS:
        return True
    if len(set(v)) <= 2:  # "aaaa", "1111"
        return True
    return bool(_PLACEHOLDER.match(v))


def _credentialish(value: str) -> bool:
    """Whether an unquoted word looks like a credential rather than prose (``token: expired``)."""
    if len(value) < COLON_VALUE_MIN_LENGTH:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    uppers = sum(c.isupper() for c in value)
    lowers = sum(c.islower() for c in value)
    if value.isdigit():
        return len(value) >= 8
    if re.fullmatch(r"[\d:./-]+", value):  # times, dates, versions
        return False
    if has_digit or (uppers >= 2 and lowers >= 1) or (has_symbol and not value.endswith((".", ",", ":"))):
        # a hyphenated prose compound ("on-call", "read-only") is not a credential
        return not re.fullmatch(r"[a-z]+(?:-[a-z]+)+", value) and not re.fullmatch(
            r"[A-Za-z][a-z]+\W?", value
        )
    return len(value) >= COLON_VALUE_PLAIN_MIN_LENGTH and value.isalpha() and not value.islower()


def _mixed_token(value: str) -> bool:
    """Whether a value mixes letters and digits, as generated tokens do."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _mixed_case_token(value: str) -> bool:
    """Whether a value has upper case, lower case and digits (base64-style random keys)."""
    return (
        any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
    )


# --------------------------------------------------------------------------- rule builders


def _regex_rule(
    name: str,
    trigger: str,
    pattern: str,
    kind: str,
    group: int = 0,
    on_lower: bool = False,
    check: Callable[[str], bool] | None = None,
    needs: Needs | None = None,
) -> Rule:
    """A rule that redacts capture ``group`` (or, with 0, the first group that matched, else the match).

    ``on_lower`` runs the pattern, written in lower case, over the lower-cased text: far faster in
    Python's ``re`` than ``IGNORECASE``; spans are the same because the copy keeps every offset.
    ``check`` sees the original-case value and can veto it; ``needs`` is the rule's precondition.
    """
    regex = re.compile(pattern)

    def find(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
        for m in regex.finditer(lower if on_lower else text):
            g = group or next((i for i in range(1, regex.groups + 1) if m.group(i) is not None), 0)
            start, end = m.span(g)
            if start < 0 or start == end:
                continue
            if check is not None and not check(text[start:end]):
                continue
            yield start, end, kind

    return Rule(name, trigger, find, needs)


_PEM = re.compile(
    r"-{4,5} ?BEGIN ([A-Z0-9 ]*?)PRIVATE KEY( BLOCK)? ?-{4,5}"
    r"(?:.*?-{4,5} ?END [A-Z0-9 ]*?PRIVATE KEY(?: BLOCK)? ?-{4,5}"  # a whole block
    r"|(?:[A-Za-z0-9+/=\s:,.-]|\\n|\\r)*)",  # a truncated block: to the end of its key material
    re.DOTALL,
)
_PUTTY = re.compile(r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC: [0-9a-fA-F]+|\Z)", re.DOTALL)


def _find_private_keys(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
    """PEM and OpenSSH private key blocks (also inside JSON with escaped newlines), and PuTTY keys."""
    for regex in (_PEM, _PUTTY):
        for m in regex.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in " \t\r\n":  # keep the layout after the block
                end -= 1
            yield m.start(), end, "private-key"


_K8S_KIND = re.compile(r"""(?m)^\s*["']?kind["']?\s*:\s*["']?Secret\b""")
_K8S_DATA = re.compile(r"(?m)^([ \t]*)(?:data|stringData):[ \t]*\r?\n")
_K8S_ENTRY = re.compile(r"[ \t]+[\w.-]+:[ \t]*(?:[|>][-+]?[ \t]*\r?\n((?:[ \t]+.*(?:\n|$))+)|([^\n]*))")
_K8S_JSON_DATA = re.compile(r'"(?:data|stringData)"\s*:\s*\{([^{}]*)\}')
_K8S_JSON_VALUE = re.compile(r'"[\w.-]+"\s*:\s*"([^"]+)"')


def _find_k8s_secret_values(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
    """Values under ``data:``/``stringData:`` of a Kubernetes ``kind: Secret`` manifest (YAML or JSON)."""
    yaml_secret = _K8S_KIND.search(text) is not None
    if yaml_secret:
        for block in _K8S_DATA.finditer(text):
            yield from _k8s_block_values(text, block)
    if re.search(r'"kind"\s*:\s*"Secret"', text):
        for block in _K8S_JSON_DATA.finditer(text):
            for m in _K8S_JSON_VALUE.finditer(block.group(1)):
                if not _is_placeholder(m.group(1)):
                    base = block.start(1)
                    yield base + m.start(1), base + m.end(1), "k8s-secret"


def _k8s_block_values(text: str, block: re.Match[str]) -> Iterator[tuple[int, int, str]]:
    """The values of one YAML ``data:`` block: every more-indented ``key: value`` (or ``key: |`` block)."""
    indent = len(block.group(1).expandtabs())
    pos = block.end()
    while pos < len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line = text[pos:line_end]
        if not line.strip():
            pos = line_end + 1
            continue
        if len(line.expandtabs()) - len(line.expandtabs().lstrip()) <= indent:
            return
        m = _K8S_ENTRY.match(text, pos)
        if m is None:
            pos = line_end + 1
            continue
        group = 1 if m.group(1) is not None else 2
        raw = m.group(group)
        value = raw.strip().strip("\"'")
        if value and not _is_placeholder(value):
            start = m.start(group) + len(raw) - len(raw.lstrip())
            yield start, m.start(group) + len(raw.rstrip()), "k8s-secret"
        pos = m.end() if group == 1 else line_end + 1


_DB_SCHEMES = frozenset(
    [
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mssql",
        "sqlserver",
        "oracle",
        "clickhouse",
        "cockroachdb",
        "cockroach",
        "memcached",
        "cassandra",
        "couchdb",
        "neo4j",
        "nats",
        "kafka",
        "rabbitmq",
        "elasticsearch",
        "influxdb",
        "db2",
        "snowflake",
    ]
)
"""URL schemes whose credentials make a connection string rather than a plain URL password."""

_URL_CREDS = re.compile(
    r"://([^\s:/@?#\"'<>]*)"  # user (may be empty: redis://:pw@host)
    r":([^\s/\"'<>]+)"  # password, greedy up to the last '@' before the host
    r"@(?=[A-Za-z0-9\[_.-]+(?:[:/?#\s\"'<>),;]|$))"
)
"""Credentials after ``://``; led by the literal so that Python's ``re`` scans fast."""
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}$")


def _find_url_passwords(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
    """Passwords in ``scheme://user:pass@host`` URLs; user and host stay."""
    for m in _URL_CREDS.finditer(text):
        password = m.group(2)
        if _is_placeholder(password) or password.startswith(("$", "{", "%", "<")):
            continue
        scheme = _SCHEME.search(lower, max(0, m.start() - 32), m.start())
        kind = "connection-string" if scheme and scheme.group(0) in _DB_SCHEMES else "url-password"
        yield m.start(2), m.end(2), kind


def _basic_ok(value: str) -> bool:
    """Whether a ``Basic`` credential decodes to printable ``user:password``."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


_ENV_HINT = re.compile(
    r"TOKEN|KEY|SECRET|PASS|PWD|AUTH|CRED|PRIVATE|SIGNATURE|SALT|SESSION|COOKIE|WEBHOOK|DSN"
)
_ENV_ASSIGN = re.compile(
    r"(?:^|(?<=[\s;&(|`]))(?:export\s+|set\s+|ENV\s+|-e\s+|--env[= ])?"
    rf"([A-Z][A-Z0-9_]{{2,}})=([\"']?)([A-Za-z0-9+/=_.~-]{{{ENV_MIN_LENGTH},}})\2(?=[\s;&|)`\"']|$)",
    re.MULTILINE,
)


_ENV_NAME_EQ = re.compile(r"=(?<=[A-Z0-9_]{3}=)")
"""An ``=`` after three name characters: what every :data:`_ENV_ASSIGN` match holds (led by the literal, so fast)."""

_SLUG = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")
"""Lower-case words joined by ``-``, ``_`` or ``.``: a name (``payments-v2-cache``), not a random token."""
_CODE = re.compile(r"[A-Za-z_][\w.]*[(\[]")
"""A value that starts like a call or subscript (``os.environ[...]``, ``getpass()``): code, not a secret."""


def _find_env_secrets(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
    """High-entropy values in ``export NAME=value`` style environment assignments."""
    for m in _ENV_ASSIGN.finditer(text):
        name, value = m.group(1), m.group(3)
        if _is_placeholder(value) or not _mixed_token(value) or _SLUG.fullmatch(value):
            continue
        entropy = shannon_entropy(value)
        if _ENV_HINT.search(name):
            if entropy < ENV_HINTED_MIN_ENTROPY:
                continue
        elif not (
            len(value) >= ENV_UNHINTED_MIN_LENGTH
            and entropy >= ENV_UNHINTED_MIN_ENTROPY
            and _mixed_case_token(value)
        ):
            continue
        yield m.start(3), m.end(3), "env-secret"


_KEYWORD = (
    r"(?:(?P<pw>password|passwd|passphrase|pass|pwd|pw)"
    r"|(?P<api>(?:api|access|secret|private|signing|encryption|master|license|auth|app|client)[_-]?key|apikey)"
    r"|(?P<sec>secret)"
    r"|(?P<tok>token))"
)
_VALUE = r"""(?:"(?P<dq>[^"\n]{3,200})"|'(?P<sq>[^'\n]{3,200})'|(?P<bare>[^\s"'`,;&<>]+))"""
_ASSIGN = re.compile(_KEYWORD + r"""["']?[ \t]*(?P<sep>:=|=>|=|:| is | was )[ \t]*""" + _VALUE)
"""``password=…`` and friends, matched in lower-cased text from the keyword that ends the key."""
_FLAG_ASSIGN = re.compile(r"(?<![\w-])--[\w-]*?" + _KEYWORD + r"(?P<sep>[ =])" + _VALUE)
"""``--password …`` command-line flags, in lower-cased text."""


_SHORT_PASSWORD_WORDS = frozenset({"pass", "pwd", "pw"})
"""Password keywords that count only at the start of a word (``bypass`` is no password)."""


def _assignment_kind(m: re.Match[str]) -> str:
    """The kind named by an assignment's key: password, secret, token or api-key."""
    if m.group("api"):
        return "api-key"
    if m.group("pw"):
        return "password"
    if m.group("tok"):
        return "token"
    return "secret"


_ASSIGN_QUICK = re.compile(r"""(?:pass|pwd|pw|secret|token|key)[a-z]*(?:["']?[ \t]*[:=]| is | was )""")
"""A literal-led scan that rules out most prose before the full assignment regex runs."""


def _assignment_value_ok(value: str, quoted: bool, sep: str, spaced: bool, password: bool) -> bool:
    """Whether the value of ``key<sep>value`` is a credential rather than prose, code or a template."""
    if _is_placeholder(value) or value.startswith("-"):  # "-…": the next flag, not a value
        return False
    if quoted:
        return " " not in value or _credentialish(value.replace(" ", ""))
    if _CODE.match(value):
        return False
    if sep in (":", " ", " is ", " was ") or spaced:  # "token: expired", "password = getpass()"
        return _credentialish(value) and (password or not _SLUG.fullmatch(value))
    return len(value) >= EQUALS_VALUE_MIN_LENGTH and not (
        value.isalpha() and value.islower() and len(value) < 6
    )


def _find_assignments(text: str, lower: str) -> Iterator[tuple[int, int, str]]:
    """``password=…``, ``passwd: …``, ``secret: …``, ``token: …``, ``api_key=…`` and ``--password …``."""
    regexes = ([_ASSIGN] if _ASSIGN_QUICK.search(lower) else []) + ([_FLAG_ASSIGN] if "--" in lower else [])
    for regex in regexes:
        for m in regex.finditer(lower):
            pw = m.group("pw")
            if pw in _SHORT_PASSWORD_WORDS and m.start() > 0 and lower[m.start() - 1].isalpha():
                continue  # "bypass=", "compass:" are not passwords
            group = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
            start, end = m.span(group)
            value = text[start:end]
            if group == "bare":
                stripped = value.rstrip(".,)]}")
                end -= len(value) - len(stripped)
                value = stripped
            spaced = lower[m.start("sep") - 1] in " \t" or lower[m.end("sep") : m.end("sep") + 1] in (
                " ",
                "\t",
            )
            if _assignment_value_ok(value, group != "bare", m.group("sep"), spaced, bool(pw)):
                yield start, end, _assignment_kind(m)


# --------------------------------------------------------------------------- the rules

_ALNUM = "A-Za-z0-9"
_KEYVAL = r"""["']?\s*[:=]\s*["']?"""
_KEYVAL_OR_IS = r"""["']?\s*(?:[:=]|\sis|\swas)\s*["']?"""
"""``key: value``, ``key = value`` or, in chat, ``the PD key is value``."""

_RULES: tuple[Rule, ...] = (
    Rule("private-key", r"private key|putty-user-key", _find_private_keys),
    Rule("k8s-secret", "secret", _find_k8s_secret_values),
    _regex_rule("jwt", "eyj", r"(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*", "jwt"),
    _regex_rule(
        "aws-access-key",
        "akia|asia|abia|acca|a3t",
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
        "aws-access-key",
    ),
    _regex_rule("gcp-api-key", "aiza", r"(?<![\w-])AIza[\w-]{35}(?![\w-])", "gcp-api-key"),
    _regex_rule(
        "gcp-oauth-token",
        "gocspx-|ya29.",
        r"(?<![\w-])(?:GOCSPX-[\w-]{24,}|ya29\.[\w-]{20,})",
        "gcp-oauth-token",
    ),
    _regex_rule(
        "github-token",
        "ghp_|gho_|ghu_|ghs_|ghr_|github_pat_",
        rf"(?<![{_ALNUM}_])(?:gh[pousr]_[{_ALNUM}]{{30,255}}|github_pat_[{_ALNUM}_]{{22,255}})(?![{_ALNUM}_])",
        "github-token",
    ),
    _regex_rule(
        "gitlab-token",
        "glpat-|gldt-|glft-|glsoat-|glrt-|glcbt-|glimt-|glptt-|glagent-|gloas-|gr1348941",
        r"(?<![\w-])(?:gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[\w-]{20,}|GR1348941[\w-]{20,})",
        "gitlab-token",
    ),
    _regex_rule(
        "slack-token",
        r"xox|xapp-",
        r"(?<![\w-])(?:(?:xoxe\.)?xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})",
        "slack-token",
    ),
    _regex_rule(
        "slack-webhook",
        "hooks.slack.com",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/-]{10,})",
        "slack-webhook",
    ),
    _regex_rule(
        "stripe-key",
        "k_live_|k_test_|whsec_",
        rf"(?<![{_ALNUM}_])(?:[sr]k_(?:live|test)_[{_ALNUM}]{{16,}}|whsec_[{_ALNUM}+/=]{{24,}})",
        "stripe-key",
    ),
    _regex_rule("sendgrid-key", "sg.", r"(?<![\w.])SG\.[\w-]{16,32}\.[\w-]{16,64}", "sendgrid-key"),
    _regex_rule("npm-token", "npm_", rf"(?<![{_ALNUM}_])npm_[{_ALNUM}]{{36}}(?![{_ALNUM}])", "npm-token"),
    _regex_rule(
        "npm-authtoken",
        "_authtoken",
        r"_authToken\s*=\s*([^\s\"'${][^\s\"']{8,})",
        "npm-token",
    ),
    _regex_rule("anthropic-key", "sk-ant-", r"(?<![\w-])sk-ant-[\w-]{20,}", "anthropic-key"),
    _regex_rule(
        "openai-key",
        "sk-",
        r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[\w-]{20,}",
        "openai-key",
        check=_mixed_case_token,
    ),
    _regex_rule("vault-token", "hvs.|hvb.|hvr.", r"(?<![\w.])hv[sbr]\.[\w-]{24,}", "vault-token"),
    _regex_rule("docker-token", "dckr_pat_", r"(?<![\w-])dckr_pat_[\w-]{20,}", "docker-token"),
    _regex_rule(
        "grafana-token",
        "glsa_|glc_",
        r"(?<![\w-])(?:glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}|glc_[A-Za-z0-9+/=]{32,})",
        "grafana-token",
    ),
    _regex_rule(
        "sentry-dsn",
        "sentry",
        r"://([0-9a-f]{32})(?::[0-9a-f]{32})?@[\w.-]*sentry",
        "sentry-dsn",
        on_lower=True,
    ),
    _regex_rule(
        "aws-signature",
        "x-amz-signature=|x-amz-security-token=",
        r"x-amz-(?:signature|security-token)=([^&\s\"'<>]{16,})",
        "aws-signature",
        on_lower=True,
    ),
    _regex_rule(
        "twilio-key",
        "sk|ac|twilio",
        r"\b((?:SK|AC)[0-9a-f]{32})(?![A-Za-z0-9])"
        r"|(?i:twilio[\w. -]{0,20}?(?:auth)?[_-]?(?:token|secret))"
        + _KEYVAL
        + r"([0-9a-f]{32})(?![A-Za-z0-9])",
        "twilio-key",
        needs=lambda text, lower: "SK" in text or "AC" in text or "twilio" in lower,
    ),
    _regex_rule(
        "azure-storage-key",
        r"accountkey|sharedaccesskey",
        r"(?:accountkey|sharedaccesskey)\s*=\s*([a-z0-9+/]{20,}={0,2})",
        "azure-storage-key",
        on_lower=True,
    ),
    _regex_rule(
        "azure-sas-token", r"sig=", r"[?&]sig=([A-Za-z0-9%+/]{20,}(?:%3D|=){0,2})", "azure-sas-token"
    ),
    Rule("url-password", "://", _find_url_passwords),
    _regex_rule(
        "ado-connection-string",
        r"pwd|password",
        r"(?:server|data source|host|address|addr|user id|uid|initial catalog|database)\s*=[^;\n]*;"
        r"(?:[^;\n]*;)*?\s*(?:password|pwd)\s*=\s*(\"[^\"\n]*\"|'[^'\n]*'|\{[^}\n]*\}|[^;\n\"']+)",
        "connection-string",
        on_lower=True,
        check=lambda v: not _is_placeholder(v.strip("\"'{}")),
    ),
    _regex_rule(
        "aws-secret-key",
        "aws|secretaccess|secret_access",
        r"(?:aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token)|secret_?access_?key).{0,40}?"
        r"[\s\"'=:]([a-z0-9/+]{40})(?![a-z0-9/+=])",
        "aws-secret-key",
        on_lower=True,
        check=_mixed_case_token,
    ),
    _regex_rule(
        "pagerduty-key",
        r"pagerduty|pd|token token=|routing|integration",
        r"(?<![a-z0-9])(?:pagerduty|pd)[\w. -]{0,30}?(?:key|token)s?"
        + _KEYVAL_OR_IS
        + r"([\w+-]{20,32})(?![\w+-])"
        r"|token token=([\w+-]{20})(?![\w+-])"
        r"|(?:routing|integration)[_ -]?key" + _KEYVAL + r"([0-9a-f]{32})(?![a-z0-9])",
        "pagerduty-key",
        on_lower=True,
        check=_mixed_token,
        needs=lambda text, lower: "key" in lower or "token" in lower,
    ),
    _regex_rule(
        "datadog-key",
        "datadog|dd_|dd-",
        r"(?<![a-z0-9])(?:dd|datadog)[\w. -]{0,20}?(?:api|app|application|client)?[_-]?key"
        + _KEYVAL_OR_IS
        + r"([a-f0-9]{32,40})(?![a-z0-9])",
        "datadog-key",
        on_lower=True,
        check=_mixed_token,
    ),
    _regex_rule(
        "bearer-token",
        r"bearer",
        r"\bbearer\s+([a-z0-9._~+/-]{16,}=*)",
        "bearer-token",
        on_lower=True,
        check=_mixed_token,
    ),
    _regex_rule(
        "basic-auth",
        r"basic",
        r"\bbasic\s+([a-z0-9+/]{8,}={0,2})(?![a-z0-9+/=])",
        "basic-auth",
        on_lower=True,
        check=_basic_ok,
    ),
    _regex_rule(
        "curl-user",
        "-u |--user",
        r"""(?:\s-u|--user[ =])\s*["']?[^\s:"']+:([^\s@"']+)(?=["']?(?:\s|$))""",
        "basic-auth",
        check=lambda v: not _is_placeholder(v),
    ),
    _regex_rule(
        "auth-header",
        r"authorization",
        r"""authorization["']?\s*[:=]\s*["']?(?:(?:token|bot|ssws|apikey|key|digest)\s+)?([a-z0-9._~+/=-]{16,})""",
        "auth-header",
        on_lower=True,
        check=_mixed_token,
    ),
    _regex_rule(
        "cli-password",
        "mysql|login",
        r"""\bmysql(?:dump|admin)?\b[^\n|;]*?\s-p([^\s"']{4,})"""
        r"""|\blogin\b[^\n|;]*?\s-p[ =]["']?([^\s"']{4,})""",
        "password",
        check=lambda v: not _is_placeholder(v),
    ),
    Rule(
        "env-secret", r"=", _find_env_secrets, needs=lambda text, lower: _ENV_NAME_EQ.search(text) is not None
    ),
    Rule("assignment", r"pass|pwd|pw|secret|token|key", _find_assignments),
)
"""Every rule, most specific first; the first rule to claim text keeps it."""


def _same_length_lower(text: str) -> str:
    """``text`` lower-cased with every offset kept (the few characters whose lower case is longer stay)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _trie_regex(literals: list[str]) -> str:
    """A regex matching where any of ``literals`` starts (the shortest one there), factored by common prefix so that
    ``re`` tries few branches."""
    trie: dict[str, Any] = {}
    for lit in literals:
        node = trie
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if (
            "" in node
        ):  # a whole literal ends here: any longer continuation adds no new place a literal starts
            return ""
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)


class Redactor:
    """Finds secrets in text and replaces each with ``[REDACTED:<kind>]``."""

    def __init__(self, rules: tuple[Rule, ...] = _RULES) -> None:
        self.rules = rules
        pairs: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            for literal in rule.trigger.split("|"):
                pairs.setdefault(literal, []).append(i)
        self._pairs = tuple(pairs.items())
        # where any trigger starts (a literal that begins with a shorter one adds nothing to the regex),
        # and the triggers by first character, to tell which start there
        self._starts = re.compile(_trie_regex(list(pairs)))
        self._by_first: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for literal, indices in pairs.items():
            self._by_first.setdefault(literal[0], []).append((literal, tuple(indices)))

    def _fired(self, lower: str) -> set[int]:
        """The rules whose trigger occurs in ``lower``: the same set as testing every trigger with ``in``.

        One regex search per place a trigger starts (a text holds two or three), each resumed one
        character on so that overlapping triggers are all seen, instead of 81 scans of the whole text:
        11 µs against 17 µs on a stored chunk of 368 characters."""
        fired: set[int] = set()
        search, by_first = self._starts.search, self._by_first
        m = search(lower)
        while m is not None:
            at = m.start()
            for literal, indices in by_first[lower[at]]:
                if lower.startswith(literal, at):
                    fired.update(indices)
            m = search(lower, at + 1)
        return fired

    def find(self, text: str) -> list[Finding]:
        """The secrets in ``text``, in text order, without overlaps."""
        lower = _same_length_lower(text)
        fired = self._fired(lower)
        if not fired:
            return []
        taken: list[tuple[int, int]] = [m.span() for m in REDACTED_TOKEN.finditer(text)]
        found: list[Finding] = []
        for i, rule in enumerate(self.rules):
            if i not in fired or (rule.needs is not None and not rule.needs(text, lower)):
                continue
            for start, end, kind in rule.find(text, lower):
                if end <= start or any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                found.append(Finding(start, end, kind))
        found.sort(key=lambda f: f.start)
        return found

    def redact(self, text: str) -> tuple[str, int]:
        """``text`` with every secret replaced, and the number replaced."""
        findings = self.find(text)
        if not findings:
            return text, 0
        parts: list[str] = []
        pos = 0
        for f in findings:
            parts.append(text[pos : f.start])
            parts.append(f"[REDACTED:{f.kind}]")
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts), len(findings)


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """The shared redactor behind :func:`redact`."""
    return Redactor()


def redact(text: str) -> tuple[str, int]:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``, and how many were replaced."""
    return default_redactor().redact(text)


STORED_CACHE = 1 << 16
"""Distinct texts whose :func:`redact_stored` result is remembered within a process."""

STORED_CACHE_CHARS = 4096
"""Longest text remembered: messages, names, paths and titles recur; a thread's or a section's whole text
is met once, and remembering 65,536 of those could hold gigabytes."""


def redact_stored(text: str) -> tuple[str, int]:
    """:func:`redact` of a text about to be stored: lone surrogates (from ``\\ud800`` escapes, which
    UTF-8 cannot hold) are replaced first, and the result of a short text is remembered.

    The same text is redacted at several steps of an ingest: an adapter redacts a message for its
    judgement text and again for a title excerpt, and the pipeline redacts every value it stores (the
    judgement text among them, which is the message itself when it held no secret and was not cut).
    One memo for all of them redacts each distinct short text once."""
    if len(text) > STORED_CACHE_CHARS:
        return _redact_storable(text)
    return _remembered(text)


def _redact_storable(text: str) -> tuple[str, int]:
    return redact(text.encode("utf-8", errors="replace").decode("utf-8"))


_remembered = lru_cache(maxsize=STORED_CACHE)(_redact_storable)


# --------------------------------------------------------------------------- measurement


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def measure(corpus_dir: str | Path, redactor: Redactor | None = None) -> dict[str, Any]:
    """Recall over planted secrets and false-positive rate over ordinary lines of a corpus folder.

    The folder holds ``planted.jsonl`` (rows ``{"text", "kind", "secret"}``) and ``ordinary.jsonl``
    (rows ``{"text"}``). A secret is caught when its substring is gone from the output; an ordinary line
    is a false positive when redaction changes it at all.
    """
    corpus = Path(corpus_dir)
    r = redactor or default_redactor()
    planted = _read_jsonl(corpus / "planted.jsonl")
    ordinary = _read_jsonl(corpus / "ordinary.jsonl")
    missed = [row for row in planted if row["secret"] in r.redact(row["text"])[0]]
    changed = [row for row in ordinary if r.redact(row["text"])[0] != row["text"]]
    return {
        "secrets": len(planted),
        "kinds": sorted({row["kind"] for row in planted}),
        "recall": (len(planted) - len(missed)) / len(planted) if planted else 1.0,
        "ordinary_lines": len(ordinary),
        "false_positive_rate": len(changed) / len(ordinary) if ordinary else 0.0,
        "missed": [{"kind": row["kind"], "text": row["text"][:120]} for row in missed],
        "false_positives": [row["text"][:160] for row in changed],
    }
