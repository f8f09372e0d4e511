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
practice_app = typer.Typer(help="The practice ledger: log live practice, confirm others' entries.", no_args_is_help=True)
app.add_typer(drafts_app, name="drafts")
app.add_typer(practice_app, name="practice")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NEW = 0, 1, 2, 3


class State:
    """Options given before the command."""

    home: str | None = None


STATE = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output: one JSON object on stdout.")]


@app.callback()
def _root(
    home: Annotated[
        str | None, typer.Option("--home", help="Workspace folder (else $UNDERSTUDY_HOME, else ./.understudy).")
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


def console() -> Any:
    from rich.console import Console

    return Console()


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


# ---------------------------------------------------------------------------- ingest


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (a folder may mix kinds).")],
    source: Annotated[
        str, typer.Option("--source", help="auto, slack, pagerduty, opsgenie, jira, github, git, markdown, oncall, deploys")
    ] = "auto",
    aliases: Annotated[Path | None, typer.Option("--aliases", help="YAML file settling who is who.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Repository scope name for git (default: folder name).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest operational sources: facts into the database, text into the vector index."""
    from ingest.pipeline import SOURCE_CHOICES, ingest_paths
    from ingest.report import print_summary

    if source not in SOURCE_CHOICES:
        fail(f"--source {source!r} is not one of: {', '.join(SOURCE_CHOICES)}", EXIT_USAGE)
    for p in paths:
        if not p.exists():
            fail(f"{p}: no such file or folder", EXIT_USAGE)
    if aliases is not None and not aliases.exists():
        fail(f"--aliases {aliases}: no such file", EXIT_USAGE)
    ws = workspace()
    summary = ingest_paths(ws, paths, source=source, aliases=aliases, name=name, progress=not as_json)
    if as_json:
        emit_json(summary.to_json())
    else:
        print_summary(console(), summary)
    if summary.quarantined:
        for q in summary.quarantined:
            typer.echo(f"understudy: quarantined {q.line()}", err=True)
        raise typer.Exit(EXIT_ERROR)


# ------------------------------------------------------------------------- analytics


@app.command("map")
def map_cmd(
    as_json: JsonOpt = False,
    since: Annotated[str | None, typer.Option("--since", help="Start of the window (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="End of the window (YYYY-MM-DD).")] = None,
) -> None:
    """The hero map: concentration, effective responders, bus factor, off-hours load, rescues, risk."""
    fail("map is not built yet")


@app.command()
def whatif(
    people: Annotated[list[str], typer.Argument(help="People who are away (any alias).")],
    as_json: JsonOpt = False,
) -> None:
    """Who is away -> which scopes lose their capability."""
    fail("whatif is not built yet")


@app.command()
def patterns(as_json: JsonOpt = False) -> None:
    """Repeated rescue patterns, incident classes and runbook coverage."""
    fail("patterns is not built yet")


# -------------------------------------------------------------------------- drafting


@app.command()
def draft(
    scope: Annotated[str | None, typer.Option("--scope", help="Scope to draft for (default: top-risk scopes).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="knowledge-pack, runbook, transfer-plan, rotation-plan, anti-heroics, drill, narrative")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start drafting workflows; each pauses for review."""
    fail("draft is not built yet")


@drafts_app.command("list")
def drafts_list(
    status: Annotated[str | None, typer.Option("--status", help="pending, approved, changes-requested, rejected")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List drafts."""
    fail("drafts is not built yet")


@drafts_app.command("show")
def drafts_show(draft_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Show one draft with its citations and flags."""
    fail("drafts is not built yet")


@drafts_app.command("decide")
def drafts_decide(
    draft_id: Annotated[str, typer.Argument(metavar="ID")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides (any alias).")],
    approve: Annotated[bool, typer.Option("--approve")] = False,
    approve_with_edits: Annotated[Path | None, typer.Option("--approve-with-edits", help="File with the edited draft.")] = None,
    request_changes: Annotated[str | None, typer.Option("--request-changes", help="What to change.")] = None,
    reject: Annotated[str | None, typer.Option("--reject", help="Why it is rejected.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide on a draft: approve, approve with edits, request changes, or reject."""
    fail("drafts is not built yet")


@practice_app.command("log")
def practice_log(
    person: Annotated[str, typer.Option("--person")],
    scope: Annotated[str, typer.Option("--scope")],
    kind: Annotated[str, typer.Option("--kind", help="shadowed, led-with-support, led-alone, drill, game-day")],
    outcome: Annotated[str, typer.Option("--outcome", help="success, partial, failed")],
    artifact: Annotated[str | None, typer.Option("--artifact", help="Approved draft used.")] = None,
    date: Annotated[str | None, typer.Option("--date")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Hesitation notes.")] = None,
    confirmed_by: Annotated[str | None, typer.Option("--confirmed-by")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Log live practice."""
    fail("practice is not built yet")


@practice_app.command("confirm")
def practice_confirm(
    entry_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by")],
    as_json: JsonOpt = False,
) -> None:
    """Confirm another person's practice entry."""
    fail("practice is not built yet")


@app.command()
def independence(
    scope: Annotated[str | None, typer.Option("--scope")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The independence check: only approved material and confirmed practice count."""
    fail("independence is not built yet")


# ------------------------------------------------------------------- ask, scan, review


@app.command()
def ask(question: Annotated[str, typer.Argument(metavar="QUESTION")], as_json: JsonOpt = False) -> None:
    """Ask about dependence; the answer cites its evidence."""
    fail("ask is not built yet")


@app.command()
def scan(
    paths: Annotated[list[Path] | None, typer.Argument(help="Sources to scan (else the configured ones).")] = None,
    as_json: JsonOpt = False,
    fail_on_new: Annotated[bool, typer.Option("--fail-on-new", help="Exit 3 when a new concentration is found.")] = False,
) -> None:
    """Ingest what is new, compare with the last scan, report new concentrations."""
    fail("scan is not built yet")


@app.command()
def review(
    port: Annotated[int, typer.Option("--port")] = 8501,
    address: Annotated[str, typer.Option("--address")] = "127.0.0.1",
) -> None:
    """Open the Streamlit review UI."""
    fail("review is not built yet")


@app.command("eval")
def eval_cmd(
    as_json: JsonOpt = False,
    record: Annotated[bool, typer.Option("--record", help="Re-record LLM cassettes (needs a key).")] = False,
) -> None:
    """Run the eval suite."""
    fail("eval is not built yet")


@app.command()
def demo(
    seed: Annotated[int, typer.Option("--seed")] = 7,
    scale: Annotated[float, typer.Option("--scale")] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Generate the sample organisation, ingest, analyse, draft."""
    fail("demo is not built yet")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("understudy: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
