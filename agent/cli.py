"""The ``understudy`` command line (DESIGN.md "Command-line contract").

Commands stay thin: they parse options, call a function in ``agent``/``ingest``, and
print a rich table or, with ``--json``, one JSON object on stdout. Heavy modules are
imported inside the commands so that ``understudy --help`` stays fast.

Exit codes: 0 ok, 1 error (one line on stderr), 2 usage error, 3 ``scan --fail-on-new`` found something new.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(
    name="understudy",
    help="Every hero gets an understudy: find operational dependence on one person, move it, check it moved.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
drafts_app = typer.Typer(help="Headless review of drafts (same rules as the UI).", no_args_is_help=True)
practice_app = typer.Typer(
    help="The practice ledger: log live practice, confirm others' entries.", no_args_is_help=True
)
accounts_app = typer.Typer(
    help="Reviewer accounts: create (an admin's act, except the first), issue a script token, list.",
    no_args_is_help=True,
)
people_app = typer.Typer(
    help="Settle who is who: record that two look-alike people are different.", no_args_is_help=True
)
app.add_typer(drafts_app, name="drafts")
app.add_typer(practice_app, name="practice")
app.add_typer(accounts_app, name="accounts")
app.add_typer(people_app, name="people")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NEW = 0, 1, 2, 3


class State:
    """Options given before the command."""

    home: str | None = None


STATE = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output: one JSON object on stdout.")]


@app.callback()
def _root(
    home: Annotated[
        str | None,
        typer.Option("--home", help="Workspace folder (else $UNDERSTUDY_HOME, else ./.understudy)."),
    ] = None,
) -> None:
    STATE.home = home


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print one line on stderr and exit."""
    typer.echo(f"understudy: {message}", err=True)
    raise typer.Exit(code)


def workspace(**kwargs: Any) -> Any:
    """Open the workspace named by --home / $UNDERSTUDY_HOME."""
    from ingest.workspace import Workspace

    return Workspace.open(STATE.home, **kwargs)


def emit_json(obj: Any) -> None:
    """Write one JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


PIPE_WIDTH = 160
"""Table width when output goes to a file or pipe (rich would otherwise fold tables to 80 columns)."""


def console() -> Any:
    from rich.console import Console

    con = Console()
    return con if con.is_terminal else Console(width=PIPE_WIDTH)


def parse_date(value: str | None, option: str) -> Any:
    """An ISO date or datetime given on the command line, as an aware datetime (UTC if no zone)."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; use YYYY-MM-DD or an ISO date-time", EXIT_USAGE)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


UNAUTHENTICATED_WARNING = (
    "warning: this workspace has no reviewer accounts, so {who} is not authenticated: anyone can type any "
    "name (create the first account with `understudy accounts add ALIAS`)"
)
"""Said on stderr with every decision and confirmation of a workspace without accounts."""


class Actor:
    """Who acts on the ledger from the command line, and how that is known."""

    def __init__(self, person: str | None, channel: str, authenticated: bool) -> None:
        self.person = person
        self.channel = channel
        self.authenticated = authenticated

    def flags(self) -> dict[str, Any]:
        return {"authenticated": self.authenticated, "channel": self.channel}


def authenticated_actor(ws: Any, claimed: str | None, option: str) -> Actor:
    """The reviewer acting: without accounts, the name given (with a warning); with accounts, only
    the one proven by ``UNDERSTUDY_REVIEWER_TOKEN`` or a password prompt, and ``option`` must name them."""
    import getpass

    from agent.ledger import accounts
    from agent.ledger.rules import RULE_AUTHENTICATED
    from agent.ledger.service import _resolve

    if not accounts.has_accounts(ws):
        typer.echo("understudy: " + UNAUTHENTICATED_WARNING.format(who=f"{option} {claimed}"), err=True)
        return Actor(claimed, "cli", False)
    token = ws.settings.reviewer_token
    if token:
        identity = accounts.authenticate_token(ws, token)
        if identity is None:
            fail(f"UNDERSTUDY_REVIEWER_TOKEN matches no reviewer account (rule: {RULE_AUTHENTICATED})")
        channel = "token"
    else:
        if not claimed:
            fail(
                f"{option} is needed to know whose password to ask for (rule: {RULE_AUTHENTICATED})",
                EXIT_USAGE,
            )
        identity = accounts.authenticate(
            ws, claimed, getpass.getpass(f"Password for {claimed}: "), channel="cli"
        )
        if identity is None:
            fail(f"{claimed}: no reviewer account with that password (rule: {RULE_AUTHENTICATED})")
        channel = "cli"
    if claimed and _resolve(ws, claimed) != identity.person_id:
        fail(
            f"{option} {claimed} is not the authenticated reviewer {identity.person_id}; "
            f"decide and confirm only as yourself (rule: {RULE_AUTHENTICATED})"
        )
    return Actor(identity.person_id, channel, True)


# ---------------------------------------------------------------------------- ingest


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (a folder may mix kinds).")],
    source: Annotated[
        str,
        typer.Option(
            "--source", help="auto, slack, pagerduty, opsgenie, jira, github, git, markdown, oncall, deploys"
        ),
    ] = "auto",
    aliases: Annotated[Path | None, typer.Option("--aliases", help="YAML file settling who is who.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Repository scope name for git (default: folder name).")
    ] = None,
    facts_only: Annotated[
        bool,
        typer.Option("--facts-only", help="Store the facts alone; `understudy embed` embeds the text later."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest operational sources: facts into the database first, then text into the vector index."""
    from ingest.pipeline import SOURCE_CHOICES, ingest_paths, pending_vectors
    from ingest.report import print_summary

    if source not in SOURCE_CHOICES:
        fail(f"--source {source!r} is not one of: {', '.join(SOURCE_CHOICES)}", EXIT_USAGE)
    for p in paths:
        if not p.exists():
            fail(f"{p}: no such file or folder", EXIT_USAGE)
    if aliases is not None and not aliases.exists():
        fail(f"--aliases {aliases}: no such file", EXIT_USAGE)
    ws = workspace()
    summary = ingest_paths(
        ws, paths, source=source, aliases=aliases, name=name, progress=not as_json, facts_only=facts_only
    )
    if as_json:
        emit_json(summary.to_json() | ({"vectors_pending": pending_vectors(ws)} if facts_only else {}))
    else:
        print_summary(console(), summary)
        if facts_only:
            warn_vectors_pending(ws)
    if summary.quarantined:
        for q in summary.quarantined:
            typer.echo(f"understudy: quarantined {q.line()}", err=True)
        raise typer.Exit(EXIT_ERROR)


@app.command()
def embed(as_json: JsonOpt = False) -> None:
    """Embed the chunks a --facts-only (or interrupted) ingest left, into the vector index (resumable)."""
    from ingest.pipeline import embed_pending, pending_vectors

    ws = workspace()
    summary = embed_pending(ws, progress=not as_json)
    result = {"embedded": summary.embedded, "chunks": summary.vectors, "vectors_pending": pending_vectors(ws)}
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"embedded {summary.embedded} distinct texts into {summary.vectors} chunk vectors")


def warn_vectors_pending(ws: Any) -> int:
    """Chunks not yet embedded; says so on stderr when there are any (the map needs none of them)."""
    from ingest.pipeline import pending_vectors

    pending = pending_vectors(ws)
    if pending:
        typer.echo(
            f"understudy: {pending} chunks are not embedded yet (the map does not need them; "
            "`understudy embed` adds them for drafts and questions)",
            err=True,
        )
    return pending


# ------------------------------------------------------------------------- analytics


@app.command("map")
def map_cmd(
    as_json: JsonOpt = False,
    since: Annotated[str | None, typer.Option("--since", help="Start of the window (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="End of the window (YYYY-MM-DD).")] = None,
) -> None:
    """The hero map: concentration, effective responders, bus factor, off-hours load, rescues, risk."""
    from datetime import timedelta

    from agent.analytics import compute_map
    from agent.analytics.render import render_map

    start = parse_date(since, "--since")
    end = parse_date(until, "--until")
    if end is not None and until is not None and len(until.strip()) == 10:
        end = end + timedelta(days=1)  # a date-only --until includes that whole day
    if start is not None and end is not None and start >= end:
        fail("--since must be before --until", EXIT_USAGE)
    ws = workspace()
    result = compute_map(ws, since=start, until=end)
    pending = warn_vectors_pending(ws)
    if as_json:
        emit_json(result.model_dump(mode="json") | {"vectors_pending": pending})
    else:
        render_map(console(), result)


@app.command()
def whatif(
    people: Annotated[list[str], typer.Argument(help="People who are away (any alias).")],
    as_json: JsonOpt = False,
) -> None:
    """Who is away -> which scopes lose their capability."""
    from agent.analytics import whatif as run_whatif
    from agent.analytics.render import render_whatif
    from ingest.identity import resolve_person

    ws = workspace()
    ids: list[str] = []
    with ws.session() as session:
        for alias in people:
            pid = resolve_person(session, alias)
            if pid is None:
                fail(
                    f"no person matches {alias!r}; list people and their aliases with `understudy map --json`"
                )
            ids.append(pid)
    result = run_whatif(ws, ids)
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        render_whatif(console(), result)


@app.command()
def patterns(as_json: JsonOpt = False) -> None:
    """Repeated rescue patterns, incident classes and runbook coverage."""
    from agent.analytics import patterns as run_patterns
    from agent.analytics.render import render_patterns

    result = run_patterns(workspace())
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        render_patterns(console(), result)


# -------------------------------------------------------------------------- drafting


@app.command()
def draft(
    scope: Annotated[
        str | None, typer.Option("--scope", help="Scope to draft for (default: top-risk scopes).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="knowledge-pack, runbook, transfer-plan, rotation-plan, anti-heroics, drill, narrative",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start drafting workflows; each pauses for review."""
    from agent.drafting import KINDS, start_drafts
    from agent.ledger import list_drafts

    if kind is not None and kind not in KINDS:
        fail(f"--kind {kind!r} is not one of: {', '.join(KINDS)}", EXIT_USAGE)
    ws = workspace()
    try:
        ids = start_drafts(ws, scope=scope, kind=kind)
    except Exception as exc:  # LLM or index failure: one line, exit 1
        fail(f"drafting failed: {exc}")
    rows = [r for r in list_drafts(ws, limit=10_000)[0] if r["id"] in set(ids)]
    if as_json:
        emit_json(
            {
                "drafts": [
                    {k: r[k] for k in ("id", "kind", "scope", "status", "flags", "citations")} for r in rows
                ]
            }
        )
        return
    if not ids:
        typer.echo("No scope to draft for: no hero found (name one with --scope).")
    for r in rows:
        typer.echo(
            f"{r['id']}  {r['kind']:<15} {r['scope']}  {r['status']}  flags={r['flags']} citations={r['citations']}"
        )


@drafts_app.command("list")
def drafts_list(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, approved, changes-requested, rejected")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List drafts."""
    from agent.drafting import repair
    from agent.ledger import list_drafts

    ws = workspace()
    repair(ws)
    rows, total = list_drafts(ws, status=status, limit=10_000)
    if as_json:
        emit_json(
            {
                "drafts": [
                    {k: r[k] for k in ("id", "kind", "scope", "status", "flags", "citations")} for r in rows
                ]
            }
        )
        return
    from rich.table import Table

    table = Table("id", "kind", "scope", "status", "version", "flags", "citations", title=f"{total} drafts")
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["scope"],
            r["status"],
            str(r["version"]),
            str(r["flags"]),
            str(r["citations"]),
        )
    console().print(table)


@drafts_app.command("show")
def drafts_show(draft_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Show one draft with its citations and flags."""
    from agent.ledger import get_draft

    try:
        view = get_draft(workspace(), draft_id)
    except KeyError:
        fail(f"no draft {draft_id!r}")
    if as_json:
        emit_json(view.to_json())
        return
    typer.echo(f"{view.id}  {view.kind}  {view.scope}  version {view.version}  {view.status_note}\n")
    typer.echo(view.markdown)
    for flag in view.flags:
        typer.echo(f"FLAG {flag['type']}: {flag['message']}")


@drafts_app.command("decide")
def drafts_decide(
    draft_id: Annotated[str, typer.Argument(metavar="ID")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides (any alias).")],
    approve: Annotated[bool, typer.Option("--approve")] = False,
    approve_with_edits: Annotated[
        Path | None, typer.Option("--approve-with-edits", help="File with the edited draft.")
    ] = None,
    request_changes: Annotated[str | None, typer.Option("--request-changes", help="What to change.")] = None,
    reject: Annotated[str | None, typer.Option("--reject", help="Why it is rejected.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide on a draft: approve, approve with edits, request changes, or reject."""
    from pydantic import ValidationError

    from agent.drafting import decide, repair
    from agent.ledger import Action, Decision, get_draft

    chosen = [
        a
        for a, given in (
            (Action.APPROVE, approve),
            (Action.APPROVE_WITH_EDITS, approve_with_edits),
            (Action.REQUEST_CHANGES, request_changes),
            (Action.REJECT, reject),
        )
        if given
    ]
    if len(chosen) != 1:
        fail("give exactly one of --approve, --approve-with-edits, --request-changes, --reject", EXIT_USAGE)
    if approve_with_edits is not None and not approve_with_edits.exists():
        fail(f"--approve-with-edits {approve_with_edits}: no such file", EXIT_USAGE)
    try:
        decision = Decision(
            action=chosen[0],
            text=request_changes or reject,
            edited_markdown=approve_with_edits.read_text(encoding="utf-8") if approve_with_edits else None,
        )
    except ValidationError as exc:
        fail(exc.errors()[0]["msg"], EXIT_USAGE)
    ws = workspace()
    actor = authenticated_actor(ws, reviewer, "--reviewer")
    repair(ws)
    try:
        version = get_draft(ws, draft_id).version
    except KeyError:
        fail(f"no draft {draft_id!r}")
    result = decide(ws, draft_id, actor.person or reviewer, decision, version, channel=actor.channel)
    if as_json:
        emit_json({**result.to_json(), **actor.flags()})
    else:
        typer.echo(f"{result.outcome}: {draft_id} is {result.status} — {result.message}")
    if result.outcome != "ok":
        fail(f"{result.outcome}: {result.message}" + (f" (rule: {result.rule})" if result.rule else ""))


@practice_app.command("log")
def practice_log(
    person: Annotated[str, typer.Option("--person")],
    scope: Annotated[str, typer.Option("--scope")],
    kind: Annotated[
        str, typer.Option("--kind", help="shadowed, led-with-support, led-alone, drill, game-day")
    ],
    outcome: Annotated[str, typer.Option("--outcome", help="success, partial, failed")],
    artifact: Annotated[str | None, typer.Option("--artifact", help="Approved draft used.")] = None,
    date: Annotated[str | None, typer.Option("--date")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Hesitation notes.")] = None,
    confirmed_by: Annotated[str | None, typer.Option("--confirmed-by")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Log live practice."""
    from agent.ledger import log_practice

    ws = workspace()
    actor = authenticated_actor(ws, confirmed_by, "--confirmed-by") if confirmed_by else None
    result = log_practice(
        ws,
        person=person,
        scope=scope,
        kind=kind,
        outcome=outcome,
        artifact=artifact,
        date=parse_date(date, "--date"),
        notes=notes,
        confirmed_by=actor.person if actor else None,
        logged_by=actor.person if actor and actor.authenticated else None,
        channel=actor.channel if actor else "cli",
    )
    if as_json and result.outcome == "ok":
        emit_json(
            {**result.to_json(), **(actor.flags() if actor else {"authenticated": False, "channel": "cli"})}
        )
    elif result.outcome == "ok":
        typer.echo(f"practice {result.id}: {result.message}")
    if result.outcome != "ok":
        fail(f"refused: {result.message} (rule: {result.rule})")


@practice_app.command("confirm")
def practice_confirm(
    entry_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by")],
    as_json: JsonOpt = False,
) -> None:
    """Confirm another person's practice entry."""
    from agent.ledger import confirm_practice

    if not entry_id.isdigit():
        fail(f"practice entry id {entry_id!r} is not a number", EXIT_USAGE)
    ws = workspace()
    actor = authenticated_actor(ws, by, "--by")
    result = confirm_practice(ws, int(entry_id), actor.person or by, channel=actor.channel)
    if as_json and result.outcome == "ok":
        emit_json({**result.to_json(), **actor.flags()})
    elif result.outcome == "ok":
        typer.echo(f"practice {result.id}: {result.message}")
    if result.outcome != "ok":
        fail(f"refused: {result.message} (rule: {result.rule})")


@accounts_app.command("add")
def accounts_add(
    alias: Annotated[str, typer.Argument(metavar="ALIAS", help="Any alias of the person.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    by: Annotated[
        str | None, typer.Option("--as", help="The admin making it (not needed for the first account).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create or reset a reviewer account (audited; an admin's act, except the first account)."""
    import getpass

    from agent.ledger import accounts

    ws = workspace()
    identity = None
    if accounts.has_accounts(ws):
        actor = authenticated_actor(ws, by, "--as")
        identity = _admin_identity(ws, actor.person)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"New password for {alias}: ")
        if getpass.getpass("Again: ") != password:
            fail("the passwords differ")
    try:
        person_id = accounts.create_account(ws, alias, password, by=identity, is_admin=admin, channel="cli")
    except accounts.AccountError as exc:
        fail(f"{exc}" + (f" (rule: {exc.rule})" if exc.rule else ""))
    if as_json:
        emit_json({"person": person_id, "admin": admin or identity is None})
    else:
        typer.echo(person_id)


def _admin_identity(ws: Any, person_id: str | None) -> Any:
    """The account identity of an authenticated person (with whether they are an admin)."""
    from agent.ledger.accounts import Identity
    from agent.ledger.models import ReviewerAccount

    with ws.session() as s:
        account = s.get(ReviewerAccount, person_id) if person_id else None
        return (
            Identity(person_id, person_id, "cli", bool(account.is_admin)) if account and person_id else None
        )


@accounts_app.command("token")
def accounts_token(
    alias: Annotated[
        str, typer.Argument(metavar="ALIAS", help="Whose token (yourself, or anyone as an admin).")
    ],
    by: Annotated[str | None, typer.Option("--as", help="Who asks (default: ALIAS).")] = None,
) -> None:
    """Issue a new script token (use it as UNDERSTUDY_REVIEWER_TOKEN); the old one stops working."""
    from agent.ledger import accounts

    ws = workspace()
    if not accounts.has_accounts(ws):
        fail("this workspace has no reviewer accounts yet: `understudy accounts add ALIAS` first")
    actor = authenticated_actor(ws, by or alias, "--as")
    try:
        token = accounts.issue_token(ws, alias, _admin_identity(ws, actor.person), channel=actor.channel)
    except accounts.AccountError as exc:
        fail(str(exc))
    typer.echo(token)


@accounts_app.command("list")
def accounts_list(as_json: JsonOpt = False) -> None:
    """People who have a reviewer account."""
    from agent.ledger import accounts

    ids = accounts.reviewers(workspace())
    if as_json:
        emit_json({"reviewers": ids})
    else:
        for pid in ids:
            typer.echo(pid)


@people_app.command("distinct")
def people_distinct(
    a: Annotated[str, typer.Argument(metavar="A")],
    b: Annotated[str, typer.Argument(metavar="B")],
    by: Annotated[str, typer.Option("--by", help="Who settles it (neither of the two, and not the hero).")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that A and B are different people (settles a suspected hero identity)."""
    from agent.ledger import LedgerRefusal, record_distinct

    ws = workspace()
    actor = authenticated_actor(ws, by, "--by")
    try:
        row = record_distinct(ws, a, b, actor.person or by, note)
    except LedgerRefusal as exc:
        fail(f"refused: {exc.message} (rule: {exc.rule})")
    data = {"person_a": row.person_a, "person_b": row.person_b, "decided_by": row.decided_by, **actor.flags()}
    if as_json:
        emit_json(data)
    else:
        typer.echo(f"recorded: {row.person_a} and {row.person_b} are different people (by {row.decided_by})")


@app.command()
def independence(
    scope: Annotated[str | None, typer.Option("--scope")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The independence check: only approved material and confirmed practice count."""
    from agent.ledger import independence as check

    result = check(workspace(), scope=scope)
    if as_json:
        emit_json(
            {
                "scopes": [
                    {
                        k: v
                        for k, v in s.model_dump(mode="json").items()
                        if k
                        in (
                            "scope",
                            "hero",
                            "verdict",
                            "approved_artifacts",
                            "practised_people",
                            "reasons",
                            "missing",
                        )
                    }
                    for s in result.scopes
                ]
            }
        )
        return
    from rich.table import Table

    table = Table(
        "scope", "hero", "verdict", "approved", "practised", "reasons / missing", title="Independence"
    )
    for s in result.scopes:
        table.add_row(
            s.scope,
            s.hero or "-",
            s.verdict,
            str(len(s.approved_artifacts)),
            ", ".join(s.practised_people) or "-",
            "; ".join(s.reasons + [f"missing: {m}" for m in s.missing]),
        )
    console().print(table)


# ------------------------------------------------------------------- ask, scan, review


@app.command()
def ask(question: Annotated[str, typer.Argument(metavar="QUESTION")], as_json: JsonOpt = False) -> None:
    """Ask about dependence; the answer cites its evidence."""
    from agent.ask.cli import run_ask_command

    raise typer.Exit(run_ask_command(workspace, question, as_json, emit_json, console, fail))


@app.command()
def scan(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Sources to scan (else the configured ones).")
    ] = None,
    as_json: JsonOpt = False,
    fail_on_new: Annotated[
        bool, typer.Option("--fail-on-new", help="Exit 3 when a new concentration is found.")
    ] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Who runs this scan (any alias; default $USER).")
    ] = None,
) -> None:
    """Ingest what is new, compare with the last scan, report new concentrations."""
    from agent.scan.cli import run_scan_command

    raise typer.Exit(run_scan_command(workspace, paths, as_json, fail_on_new, by, emit_json, console, fail))


@app.command()
def review(
    port: Annotated[int, typer.Option("--port")] = 8501,
    address: Annotated[str, typer.Option("--address")] = "127.0.0.1",
) -> None:
    """Open the Streamlit review UI."""
    import os
    import subprocess

    ws = workspace()
    env = {**os.environ, "UNDERSTUDY_HOME": str(ws.home)}
    # review_ui checks the address (non-loopback needs authentication), then becomes the Streamlit server.
    argv = [sys.executable, "-m", "review_ui", "--address", address, "--port", str(port)]
    raise typer.Exit(subprocess.run(argv, env=env, check=False).returncode)


@app.command()
def doctor(
    as_json: JsonOpt = False,
    no_fix: Annotated[bool, typer.Option("--no-fix", help="Only check; repair nothing.")] = False,
) -> None:
    """Check that the database, the vector index and the ledger agree; repair what is safe."""
    from agent.doctor import run_doctor

    result = run_doctor(workspace(), fix=not no_fix)
    if as_json:
        emit_json(result)
    else:
        for line in result["fixed"]:
            console().print(f"fixed: {line}")
        for p in result["problems"]:
            console().print(f"[red]problem[/red]: {json.dumps(p, default=str)}")
        console().print(
            f"{result['chunks']} chunks, {result['vectors']} vectors: "
            + ("ok" if result["ok"] else "problems remain")
        )
    if not result["ok"]:
        raise typer.Exit(EXIT_ERROR)


@app.command("export")
def export_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
) -> None:
    """Back up the ledger (drafts, versions, decisions, practice, audit) as JSON lines."""
    from agent.backup import export_ledger

    ws = workspace()
    if out is None:
        export_ledger(ws, sys.stdout)
        return
    import os

    old = os.umask(0o077)
    try:
        with out.open("w", encoding="utf-8") as fh:
            export_ledger(ws, fh)
    finally:
        os.umask(old)


@app.command("import")
def import_cmd(file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False) -> None:
    """Restore a ledger backup written by ``understudy export``."""
    from agent.backup import BackupError, import_ledger

    if not file.is_file():
        fail(f"no such file: {file}")
    try:
        added = import_ledger(workspace(), file)
    except BackupError as exc:
        fail(f"{file}: {exc}")
    if as_json:
        emit_json({"imported": added})
    else:
        console().print("imported " + ", ".join(f"{n} {t}" for t, n in added.items()))


@app.command("eval")
def eval_cmd(
    as_json: JsonOpt = False,
    record: Annotated[bool, typer.Option("--record", help="Re-record LLM cassettes (needs a key).")] = False,
) -> None:
    """Run the eval suite."""
    from evals.runner import main as run_evals  # the only agent -> evals edge, lazy, inside this command

    raise typer.Exit(run_evals(home=STATE.home, as_json=as_json, record=record))


@app.command()
def demo(
    seed: Annotated[int, typer.Option("--seed")] = 7,
    scale: Annotated[float, typer.Option("--scale")] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Generate the sample organisation, ingest, analyse, draft."""
    from agent.analytics import compute_map
    from agent.analytics.render import render_map
    from agent.demo import run_demo
    from ingest.pipeline import Summary
    from ingest.report import print_summary

    ws = workspace()
    con = console()
    result = run_demo(ws, seed=seed, scale=scale, progress=not as_json, console=None if as_json else con)
    if as_json:
        emit_json(result.to_json())
        return
    summary = Summary(**{k: v for k, v in result.ingest.items() if k != "quarantined"})
    print_summary(con, summary)
    render_map(con, compute_map(ws))
    home = ws.home
    con.print(
        f"\n[bold]{len(result.drafts)} drafts are waiting for review[/] (offline drafter; set ANTHROPIC_API_KEY for Claude)."
    )
    con.print(f"  understudy --home {home} drafts list")
    if result.drafts:
        con.print(f"  understudy --home {home} drafts show {result.drafts[0]}")
        con.print(
            f"  understudy --home {home} drafts decide {result.drafts[0]} --reviewer <someone who is not the hero> --approve"
        )
    con.print(
        f"  python -m review_ui.auth --home {home} add-reviewer <person>     # a reviewer account for the UI"
    )
    con.print(
        f"  understudy --home {home} review                                  # the review UI on 127.0.0.1"
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("understudy: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
