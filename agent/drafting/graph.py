"""The drafting workflow, one LangGraph thread per draft (thread id = draft id).

gather_evidence → draft → check_grounding → save_version → await_review (interrupt) → apply_decision
→ publish, or back to draft with the reviewer's words, or back to await_review (hero approved alone),
or the end (rejected). The checkpointer is ``SqliteSaver`` in the workspace (``PostgresSaver`` when
the database is PostgreSQL), so a paused draft survives restarts and resumes from any process.

``await_review`` calls ``interrupt()`` first and has no side effects: LangGraph re-runs it from its
start on resume. Every node that writes is idempotent (keyed by draft id + version or decision seq).
The ledger is the source of truth for decisions; the graph only consumes applied decisions, in order.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from sqlalchemy import select

from agent.drafting import facts
from agent.drafting.artifacts import KINDS, artifact_model, render_markdown
from agent.drafting.drafters import Drafter, make_drafter
from agent.drafting.evidence import gather
from agent.drafting.grounding import check, injection_flags
from agent.ledger.models import DecisionRow, Draft, DraftVersion
from agent.ledger.publish import publish
from agent.ledger.rules import LedgerRefusal
from agent.ledger.service import audit
from agent.review import Action, ReviewRequest, ReviewResponse, Status, parse_review_response
from ingest.db import utcnow

DEFAULT_SCOPES = 3
"""Scopes drafted when ``draft`` names none: the riskiest hero scopes."""

MAX_ADVANCE_STEPS = 10
"""Resumes one ``advance`` call makes at most (a few queued decisions plus a crashed run)."""


class DraftState(TypedDict, total=False):
    """Graph state of one draft (JSON-serialisable; checkpointed)."""

    draft_id: str
    kind: str
    scope: str
    hero: str | None
    evidence: dict[str, dict[str, Any]]
    artifact: dict[str, Any]
    made_by: dict[str, Any]
    notes: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    feedback: str | None
    version: int
    review: dict[str, Any] | None
    consumed_seq: int


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(draft_id: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(draft_id, threading.Lock())


@contextmanager
def checkpointer(ws: Any) -> Iterator[Any]:
    """The workflow checkpointer: SqliteSaver in the workspace, PostgresSaver for a PostgreSQL database."""
    url = ws.settings.database_url or ""
    if url.startswith("postgres"):
        from langgraph.checkpoint.postgres import PostgresSaver

        conninfo = url.replace("postgresql+psycopg://", "postgresql://").replace(
            "postgresql+psycopg2://", "postgresql://"
        )
        with PostgresSaver.from_conn_string(conninfo) as pg_saver:
            pg_saver.setup()
            yield pg_saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = ws.settings.checkpoint_path
    with closing(sqlite3.connect(str(path), check_same_thread=False, timeout=30)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver


def build_graph(ws: Any, drafter: Drafter) -> StateGraph:
    """The workflow's nodes, closed over the workspace and drafter (wired at the bottom)."""

    def gather_evidence(state: DraftState) -> dict[str, Any]:
        hero = state.get("hero")
        return {"evidence": gather(ws, state["scope"], hero)}

    def draft(state: DraftState) -> dict[str, Any]:
        hero = state.get("hero")
        out = drafter.draft(
            state["kind"],
            state["scope"],
            facts.person_name(ws, hero) if hero else "none identified",
            state["evidence"],
            state.get("feedback"),
        )
        made_by = {
            "drafter": out.drafter,
            "model": out.model,
            "prompt_id": out.prompt_id,
            "prompt_version": out.prompt_version,
            "prompt_hash": out.prompt_hash,
        }
        return {"artifact": out.artifact.model_dump(mode="json"), "made_by": made_by, "notes": out.notes}

    def check_grounding(state: DraftState) -> dict[str, Any]:
        artifact = artifact_model(state["kind"]).model_validate(state["artifact"])
        claims, flags = check(artifact, state["evidence"], _embedder(ws), _stored_vectors(ws))
        return {
            "claims": claims,
            "flags": [*injection_flags(state["evidence"]), *flags, *state.get("notes", [])],
        }

    def save_version(state: DraftState) -> dict[str, Any]:
        version = state.get("version", 0) + 1
        artifact = artifact_model(state["kind"]).model_validate(state["artifact"])
        claim_flags = {c["index"]: c["flags"] for c in state["claims"] if c["flags"]}
        made_by = state["made_by"]
        header = {
            "Scope": state["scope"],
            "Drafted by": f"{made_by['drafter']} ({made_by['model']}, {made_by['prompt_id']} "
            f"v{made_by['prompt_version']})",
            "Version": version,
        }
        if state.get("feedback"):
            header["Reviewer asked"] = state["feedback"]
        if made_by["drafter"] == "offline":
            header["Note"] = (
                "offline extractive draft: sentences copied from the evidence, not written by a model"
            )
        markdown = render_markdown(artifact, claim_flags, header)
        with ws.session() as s:
            exists = s.scalar(
                select(DraftVersion.id).where(
                    DraftVersion.draft_id == state["draft_id"], DraftVersion.version == version
                )
            )
            if exists is None:
                s.add(
                    DraftVersion(
                        draft_id=state["draft_id"],
                        version=version,
                        artifact=state["artifact"],
                        markdown=markdown,
                        claims=state["claims"],
                        flags=state["flags"],
                        evidence=state["evidence"],
                        feedback=state.get("feedback"),
                        **made_by,
                    )
                )
                d = s.get(Draft, state["draft_id"])
                assert d is not None
                d.version = version
                d.status = Status.PENDING.value
                d.flag_count = len(state["flags"])
                d.citation_count = len({c for claim in state["claims"] for c in claim["citations"]})
                d.updated_at = utcnow()
                audit(
                    s,
                    None,
                    "draft-version",
                    state["draft_id"],
                    "ok",
                    version=version,
                    drafter=made_by["drafter"],
                )
        return {"version": version, "review": None}

    def await_review(state: DraftState) -> dict[str, Any]:
        request = ReviewRequest(
            draft_id=state["draft_id"],
            version=state["version"],
            kind=state["kind"],
            scope=state["scope"],
            hero=state.get("hero"),
            status="pending",
            flags=len(state.get("flags", [])),
        )
        response = parse_review_response(interrupt(request.model_dump(mode="json")))
        edited = response.action is Action.APPROVE_WITH_EDITS and response.version == state["version"] + 1
        if response.draft_id != state["draft_id"] or (response.version != state["version"] and not edited):
            raise ValueError(
                f"review response for {response.draft_id} v{response.version} given to "
                f"{state['draft_id']} v{state['version']}"
            )
        return {"review": response.model_dump(mode="json")}

    def apply_decision(state: DraftState) -> dict[str, Any]:
        review = ReviewResponse.model_validate(state["review"])
        with ws.session() as s:
            row = s.get(DecisionRow, review.decision_id)
            if (
                row is None
                or row.outcome != "ok"
                or row.seq != review.seq
                or row.draft_id != state["draft_id"]
            ):
                raise ValueError(
                    f"decision {review.decision_id} is not an applied decision of {state['draft_id']}"
                )
            d = s.get(Draft, state["draft_id"])
            assert d is not None
            d.graph_seq = max(d.graph_seq, review.seq)
            feedback = row.text if review.action is Action.REQUEST_CHANGES else state.get("feedback")
        # approve-with-edits made the reviewer's text the next version: the workflow goes on with it
        return {"consumed_seq": review.seq, "feedback": feedback, "version": review.version}

    def route(state: DraftState) -> str:
        status = ReviewResponse.model_validate(state["review"]).status_after
        return {
            Status.APPROVED: "publish",
            Status.CHANGES_REQUESTED: "draft",
            Status.REJECTED: END,
            Status.AWAITING_NON_HERO: "await_review",
        }[status]

    def publish_node(state: DraftState) -> dict[str, Any]:
        # approved, but by someone who may be the hero now: nothing goes out
        with suppress(LedgerRefusal):
            publish(ws, state["draft_id"], state["version"])
        return {}

    g = StateGraph(DraftState)
    g.add_node("gather_evidence", gather_evidence)
    g.add_node("draft", draft)
    g.add_node("check_grounding", check_grounding)
    g.add_node("save_version", save_version)
    g.add_node("await_review", await_review)
    g.add_node("apply_decision", apply_decision)
    g.add_node("publish", publish_node)
    g.add_edge(START, "gather_evidence")
    g.add_edge("gather_evidence", "draft")
    g.add_edge("draft", "check_grounding")
    g.add_edge("check_grounding", "save_version")
    g.add_edge("save_version", "await_review")
    g.add_edge("await_review", "apply_decision")
    g.add_conditional_edges("apply_decision", route, ["publish", "draft", "await_review", END])
    g.add_edge("publish", END)
    return g


def _embedder(ws: Any) -> Any | None:
    try:
        return ws.index.embedder
    except Exception:  # grounding falls back to word overlap alone
        return None


def _stored_vectors(ws: Any) -> Any:
    """A lookup of chunk vectors already in the index (empty when the index is not available)."""

    def lookup(ids: list[str]) -> dict[str, list[float]]:
        try:
            return ws.index.get_embeddings([i for i in ids if not i.startswith("fact:")])
        except Exception:
            return {}

    return lookup


def _config(draft_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": draft_id}}


def advance(ws: Any, draft_id: str, drafter: Drafter | None = None) -> str:
    """Move a draft's workflow as far as the ledger allows; safe to call any time, from any process.

    Starts it if it never ran, continues it after a crash, feeds it applied decisions it has not
    consumed (in order), and publishes an approved version that was not published. Returns the status.
    """
    with _lock(draft_id), checkpointer(ws) as saver:
        graph = build_graph(ws, drafter or make_drafter(ws.settings)).compile(checkpointer=saver)
        config = _config(draft_id)
        for _ in range(MAX_ADVANCE_STEPS):
            with ws.session() as s:
                d = s.get(Draft, draft_id)
                if d is None:
                    raise KeyError(draft_id)
                status, version, published, hero = d.status, d.version, d.published_version, d.hero
                kind, scope = d.kind, d.scope
            snap = graph.get_state(config)
            if not snap.values:
                graph.invoke(
                    {
                        "draft_id": draft_id,
                        "kind": kind,
                        "scope": scope,
                        "hero": hero,
                        "version": 0,
                        "consumed_seq": 0,
                        "feedback": None,
                    },
                    config,
                )
                continue
            if not snap.next:
                if status == Status.APPROVED.value and published != version:
                    with suppress(LedgerRefusal):  # its approval no longer counts: nothing goes out
                        publish(ws, draft_id, version)
                return status
            if snap.next == ("await_review",):
                consumed = int(snap.values.get("consumed_seq", 0))
                with ws.session() as s:
                    row = s.scalar(
                        select(DecisionRow)
                        .where(
                            DecisionRow.draft_id == draft_id,
                            DecisionRow.outcome == "ok",
                            DecisionRow.seq > consumed,
                        )
                        .order_by(DecisionRow.seq)
                        .limit(1)
                    )
                    if row is None:
                        return status
                    response = ReviewResponse(
                        draft_id=draft_id,
                        decision_id=row.id,
                        seq=row.seq or 0,
                        version=row.version,
                        action=Action(row.action),
                        status_after=Status(row.status_after),
                    )
                graph.invoke(Command(resume=response.model_dump(mode="json")), config)
                continue
            graph.invoke(None, config)
        return status


def repair(ws: Any) -> list[str]:
    """Finish every workflow the ledger says is behind (crashed drafting, unconsumed decisions, unpublished approvals)."""
    with ws.session() as s:
        ids = [
            r[0]
            for r in s.execute(
                select(Draft.id).where(
                    (Draft.status == Status.DRAFTING.value)
                    | (Draft.decision_seq > Draft.graph_seq)
                    | (
                        (Draft.status == Status.APPROVED.value)
                        & ((Draft.published_version.is_(None)) | (Draft.published_version != Draft.version))
                    )
                )
            )
        ]
    for draft_id in ids:
        advance(ws, draft_id)
    return ids


def new_draft_id() -> str:
    """A short unique draft id."""
    return "d-" + uuid.uuid4().hex[:10]


def start_drafts(
    ws: Any, scope: str | None = None, kind: str | None = None, drafter: Drafter | None = None
) -> list[str]:
    """Start a workflow per (scope, kind) and run each to its review pause; returns draft ids.

    Without a scope: the riskiest hero scopes. Without a kind: every kind. A (scope, kind) that already
    has a draft under review is not drafted twice; its id is returned.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    repair(ws)
    scopes = [scope] if scope else facts.hero_scopes(ws)[:DEFAULT_SCOPES]
    kinds = [kind] if kind else list(KINDS)
    drafter = drafter or make_drafter(ws.settings)
    ids: list[str] = []
    open_statuses = [
        Status.DRAFTING.value,
        Status.PENDING.value,
        Status.AWAITING_NON_HERO.value,
        Status.CHANGES_REQUESTED.value,
    ]
    for sc in scopes:
        hero = facts.hero_of(ws, sc)
        for k in kinds if kind else facts.draft_kinds(ws, sc, kinds):
            with ws.session() as s:
                existing = s.scalar(
                    select(Draft.id)
                    .where(Draft.scope == sc, Draft.kind == k, Draft.status.in_(open_statuses))
                    .limit(1)
                )
                if existing is None:
                    draft_id = new_draft_id()
                    s.add(
                        Draft(
                            id=draft_id,
                            kind=k,
                            scope=sc,
                            hero=hero,
                            status=Status.DRAFTING.value,
                            version=0,
                            decision_seq=0,
                            graph_seq=0,
                            flag_count=0,
                            citation_count=0,
                        )
                    )
                    audit(s, None, "draft-start", draft_id, "ok", scope=sc, kind=k, hero=hero)
                else:
                    draft_id = existing
            advance(ws, draft_id, drafter)
            ids.append(draft_id)
    return ids
