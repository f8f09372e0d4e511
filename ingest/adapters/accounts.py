"""Identities that are not people: coding assistants, bots, CI and service or cron accounts.

One rule for every adapter that names people (git authors and co-authors, markdown write-ups, and,
where the integrator wires it, chat, paging and ticket actors and the scan's own OS user): an
assistant that co-signs a commit, a dependency updater, a CI runner or the account a cron job runs
under does work, but holds no capability a team could lose, so it is never a hero or a person.
"""

from __future__ import annotations

import re

ASSISTANT_NAMES = frozenset(
    {
        "copilot",
        "github copilot",
        "copilot-swe-agent",
        "copilot-pull-request-reviewer",
        "chatgpt",
        "openai codex",
        "codex",
        "chatgpt-codex-connector",
        "claude code",
        "claude-code",
        "cursor agent",
        "cursoragent",
        "cursor",
        "devin ai",
        "devin-ai-integration",
        "aider",
        "gemini",
        "gemini code assist",
        "gemini-code-assist",
        "amazon q",
        "amazon q developer",
        "codewhisperer",
        "sweep",
        "sweep ai",
        "sweep-ai",
        "coderabbit",
        "coderabbitai",
        "codefactor-io",
        "codefactor",
        "deepsource",
        "deepsource-autofix",
        "sourcery-ai",
        "imgbot",
        "allcontributors",
        "all-contributors",
        "pre-commit-ci",
        "openhands",
        "openhands-agent",
        "autofix-ci",
        "lgtm-com",
        "restyled-io",
        "kodiakhq",
        "stepsecurity",
    }
)
"""Coding assistants and code-fixing services that sign commits (``Co-authored-by: Copilot <…>``),
compared as the whole name, lower-case. Taken from the trailers and authors these tools write in
public repositories (GitHub Copilot's agent, Cursor's agent, Claude Code, CodeFactor, pre-commit.ci …)."""

ASSISTANTS_WITH_HUMAN_NAMES = frozenset({"claude", "devin", "jules"})
"""Assistant names that are also given names: an assistant only with an automation address
(``Claude <noreply@anthropic.com>``) or none; ``Claude Dupont <claude@dupont.fr>`` stays a person."""

ASSISTANT_DOMAINS = frozenset({"anthropic.com", "cursor.com", "openai.com", "cognition.ai", "devin.ai"})
"""Domains whose commit addresses are an assistant's (``noreply@anthropic.com``, ``cursoragent@cursor.com``)."""

SERVICE_ACCOUNT_NAMES = frozenset(
    {
        # CI, dependency updaters and forges acting on their own
        "ci",
        "ci bot",
        "jenkins",
        "github",
        "github actions",
        "github-actions",
        "gitlab ci",
        "gitlab-ci",
        "gitlab-runner",
        "runner",
        "dependabot",
        "dependabot-preview",
        "renovate",
        "renovate bot",
        "greenkeeper",
        "snyk-bot",
        "semantic-release-bot",
        "travis",
        "travis ci",
        "circleci",
        "buildkite",
        "drone",
        "argocd",
        "argo cd",
        "flux",
        "fluxcd",
        "spinnaker",
        "mergify",
        "bors",
        "web-flow",
        "automation",
        "deploy bot",
        "release bot",
        "terraform",
        "ansible",
        "puppet",
        "chef",
        "atlantis",
        # accounts that cron jobs, deploys and scheduled scans run under
        "root",
        "cron",
        "crond",
        "daemon",
        "nobody",
        "www-data",
        "ubuntu",
        "ec2-user",
        "centos",
        "admin",
        "administrator",
        "system",
        "deploy",
        "deployer",
        "deployment",
        "build",
        "builder",
        "release",
        "releaser",
        "scheduler",
        "operator",
        "service",
        "svc",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "notifications",
    }
)
"""Whole names (lower-case) of automation and of the shared OS/service accounts jobs run under."""

SERVICE_ACCOUNT_PATTERN = re.compile(
    r"\[bot\]$"  # GitHub Apps: dependabot[bot], github-actions[bot]
    r"|^(?:svc|sa|srv|service|sys|system|app|automation|auto|ci|cd|cron|build|deploy|release|jenkins|k8s)[-_.]"
    r"|[-_.](?:svc|sa|bot|ci|cd|cron|automation|runner|deployer|service-account|serviceaccount)$"
    r"|^bot[-_. ]|[-_ ]bot$"
    r"|^(?:deploy|release|merge|build|ci|chat|ops|alert|backup|sync)bot$"
    r"|^system:serviceaccount:"
)
"""Name shapes of service accounts: ``svc-*``, ``sa-*``, ``*-bot``, ``*-ci``, ``deploy-*``, ``*[bot]``,
``deploybot``, Kubernetes service accounts. ``Talbot`` or ``Abbot`` (no separator) stay people."""

_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$", re.I)
_CLAUDE_MODEL = re.compile(r"^claude(?:[- ](?:opus|sonnet|haiku|code)|[- ]\d)[\w .\-]*$", re.I)
_GPT_MODEL = re.compile(r"^(?:gpt|o)[- ]?\d[\w.\-]*$", re.I)


def _name_is_account(low: str) -> bool:
    """Whether a lower-case name or login is an assistant or a service account by its shape."""
    if not low:
        return False
    if low in ASSISTANT_NAMES or low in SERVICE_ACCOUNT_NAMES:
        return True
    if _CLAUDE_MODEL.match(low) or _GPT_MODEL.match(low):
        return True
    return bool(SERVICE_ACCOUNT_PATTERN.search(low))


NOREPLY_LOCALS = frozenset({"noreply", "no-reply", "donotreply", "do-not-reply", "bot", "bots"})
"""Local parts of addresses that nobody reads: automation sends from them."""


def _email_is_account(email: str, named: bool = False) -> bool:
    """Whether an address is an assistant's, a bot's or a shared automation mailbox.

    With a person's name beside it (``Grant Slater <github@example.org>``) only the strong signs count
    (noreply mailboxes, ``[bot]``, assistant domains, a bot's GitHub noreply login); a bare address
    is judged by its local part as a name would be (``jenkins@ci.example.org``).
    """
    e = email.strip().lower()
    if "@" not in e:
        return False
    local, domain = e.rsplit("@", 1)
    noreply = _GITHUB_NOREPLY.match(e)
    if noreply:  # 123+alice@users.noreply.github.com is alice; 123+Copilot@… is Copilot
        return _name_is_account(noreply.group("login").lower())
    if domain in ASSISTANT_DOMAINS:
        return True
    if e in ("noreply@github.com", "actions@github.com", "bot@renovateapp.com", "support@codefactor.io"):
        return True
    local = local.split("+", 1)[-1]
    if local in NOREPLY_LOCALS or "[bot]" in local:
        return True
    return not named and _name_is_account(local)


def is_service_account(name: str | None, email: str | None = None, handle: str | None = None) -> bool:
    """Whether an identity is an assistant, a bot, CI, or a service or cron account, never a person."""
    n = " ".join((name or "").strip().lower().split())
    h = (handle or "").strip().lstrip("@").lower()
    e = (email or "").strip().lower()
    if n in ASSISTANTS_WITH_HUMAN_NAMES or h in ASSISTANTS_WITH_HUMAN_NAMES:
        if not e:
            return True
        local, _, domain = e.rpartition("@")
        return domain in ASSISTANT_DOMAINS or local in NOREPLY_LOCALS or _email_is_account(e, named=True)
    if _name_is_account(n) or _name_is_account(h):
        return True
    return bool(e) and _email_is_account(e, named=bool(n or h))
