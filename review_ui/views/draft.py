"""One draft beside its evidence: read, check each citation, edit in place, decide."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from review_ui import services, ui

ws = ui.workspace()
me = ui.require_identity()
names = services.people(ws)
st.title("Draft")

if "draft_id" in st.session_state:
    st.session_state["draft_id_input"] = st.session_state.pop("draft_id")
elif "draft_id_input" not in st.session_state:
    st.session_state["draft_id_input"] = st.query_params.get("draft", "")
draft_id = st.text_input("Draft id", key="draft_id_input").strip()
if not draft_id:
    st.info("Open a draft from the review queue, or paste its id.")
    st.stop()

try:
    view = services.draft(ws, draft_id)
except services.Unavailable as exc:
    ui.unavailable(exc)
if view is None:
    st.error(f"No draft {draft_id!r} in this workspace.")
    st.stop()

version = int(view.get("version") or 0)
seen_key = f"draft_seen::{draft_id}"
result_key = f"draft_result::{draft_id}"
# What the reviewer opened: decisions name it, so a race with another reviewer shows as a conflict.
seen = st.session_state.setdefault(seen_key, {"version": version, "status": view.get("status")})


def show_result(result: dict[str, Any]) -> None:
    """The outcome of this reviewer's last decision, including a lost race."""
    outcome = result.get("outcome")
    message = result.get("message") or ""
    if outcome == "ok":
        st.success(
            f"Recorded: {result.get('action')} — the draft is now **{result.get('status')}**. {message}"
        )
        if result.get("rule"):
            st.warning(f"Why this does not count yet: {result['rule']}")
    elif outcome == "conflict":
        st.error(
            "**Another reviewer decided first.** Your decision was not applied to this version "
            f"(it is kept in the ledger as a conflict). {message} Reload the draft and decide on what it is now."
        )
    else:
        st.warning(f"**Refused.** {result.get('rule') or message}")


if result_key in st.session_state:
    show_result(st.session_state[result_key])

st.markdown(
    f"**{view.get('kind')}** for `{view.get('scope')}` · status **{view.get('status')}** · version {version} · "
    f"hero {services.label(names, view.get('hero'))}"
)
if view.get("status_note"):
    st.info(f"Status: {view['status_note']}")
for row in view.get("decisions") or []:
    if row.get("outcome") == "ok" and row.get("note") and row.get("version") == version:
        st.warning(f"Why this does not count yet: {row['note']}")
if seen != {"version": version, "status": view.get("status")}:
    st.warning(
        f"This draft changed since you opened it (version {seen['version']}, {seen['status']} → "
        f"version {version}, {view.get('status')}). Reload to see it as it is now."
    )
if st.button("Reload", key="draft_reload"):
    st.session_state.pop(seen_key, None)
    st.session_state.pop(result_key, None)
    st.rerun()

evidence: dict[str, Any] = view.get("evidence") or {}
claims: list[dict[str, Any]] = view.get("claims") or []
left, right = st.columns([3, 2])
with left:
    st.subheader("Draft")
    st.markdown(view.get("markdown") or "")
    st.subheader("Claims and their flags")
    messages: dict[int, list[str]] = {}
    for flag in view.get("flags") or []:
        if flag.get("claim") is not None:
            messages.setdefault(int(flag["claim"]), []).append(str(flag.get("message") or flag.get("type")))
    for i, claim in enumerate(claims):
        index = int(claim.get("index", i))
        flagged = claim.get("flags") or messages.get(index)
        cites = ", ".join(f"`{c}`" for c in claim.get("citations") or []) or "no citation"
        if flagged:
            st.markdown(f":red-background[⚑ {claim.get('text')}]  \n{cites}")
            for message in messages.get(index) or [", ".join(map(str, flagged))]:
                st.caption(f"⚑ {message}")
        else:
            st.markdown(f"{claim.get('text')}  \n{cites}")
    for flag in view.get("flags") or []:
        if flag.get("claim") is None:
            st.warning(f"⚑ {flag.get('message') or flag.get('type')}")
with right:
    st.subheader("Evidence")
    cited = list(dict.fromkeys(c for claim in claims for c in claim.get("citations") or []))
    for chunk_id in cited + [c for c in evidence if c not in cited]:
        item = evidence.get(chunk_id) or {}
        title = item.get("title") or item.get("source") or ""
        with st.expander(f"{chunk_id} {title}".strip(), expanded=False):
            if item:
                st.caption(
                    " · ".join(str(item[k]) for k in ("source", "path", "locator", "ts") if item.get(k))
                )
                st.text(item.get("text") or "")
            else:
                st.warning("This citation names no evidence the draft was given.")

st.divider()
st.subheader("Decide")
if seen["status"] not in services.DECIDABLE_STATUSES:
    st.info(f"This draft is {view.get('status')}: it takes no decision now.")
else:
    edited = st.text_area(
        "Edit in place (used by “Approve with edits”)",
        value=view.get("markdown") or "",
        height=360,
        key=f"draft_edit::{draft_id}::{seen['version']}",
    )
    reason = st.text_area(
        "Reason (rejection) or what to change (request changes)",
        key=f"draft_reason::{draft_id}::{seen['version']}",
    )
    c1, c2, c3, c4 = st.columns(4)
    clicked = {
        "approve": c1.button("Approve", key="draft_approve", type="primary"),
        "approve-with-edits": c2.button("Approve with edits", key="draft_approve_edits"),
        "request-changes": c3.button("Request changes", key="draft_request_changes"),
        "reject": c4.button("Reject", key="draft_reject"),
    }
    action = next((a for a, hit in clicked.items() if hit), None)
    if action is not None:
        result = services.decide(
            ws,
            draft_id,
            me,
            action,
            expected_version=int(seen["version"]),
            text=reason if action in ("request-changes", "reject") else None,
            edited_markdown=edited if action == "approve-with-edits" else None,
        )
        st.session_state[result_key] = result
        if result.get("outcome") == "ok":
            st.session_state.pop(seen_key, None)
        st.rerun()

decisions = view.get("decisions") or []
if decisions:
    st.subheader("Decisions")
    frame = pd.DataFrame(decisions)
    if "reviewer" in frame.columns:
        frame["reviewer"] = [services.label(names, r) for r in frame["reviewer"]]
    st.dataframe(frame, hide_index=True, width="stretch", key="draft_decisions")
