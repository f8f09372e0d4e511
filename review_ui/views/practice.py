"""Practice: log your own live practice against an approved artifact, confirm others', see history."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pandas as pd
import streamlit as st

from review_ui import services, ui

# Filter value meaning no filter.
ALL = "(all)"

ws = ui.workspace()
me = ui.require_identity()
names = services.people(ws)
st.title("Practice")

log_tab, confirm_tab, history_tab = st.tabs(["Log practice", "Confirm", "History"])

with log_tab:
    st.caption(f"You log practice as yourself: {services.label(names, me)}.")
    try:
        artifacts = services.approved_artifacts(ws)
    except services.Unavailable as exc:
        artifacts = []
        st.info(f"Not available yet: {exc}")
    if not artifacts:
        st.info("There is no approved knowledge pack or runbook yet: practice is logged against one.")
    else:
        by_id = {a["id"]: a for a in artifacts}
        with st.form("practice_log_form"):
            artifact_id = st.selectbox(
                "Approved artifact",
                list(by_id),
                format_func=lambda i: f"{by_id[i]['kind']} · {by_id[i]['scope']} · {i}",
                key="practice_artifact",
            )
            kind = st.selectbox("Kind", services.PRACTICE_KINDS, key="practice_kind")
            outcome = st.selectbox("Outcome", services.PRACTICE_OUTCOMES, key="practice_outcome")
            day = st.date_input("Date", value="today", key="practice_date")
            notes = st.text_area(
                "Hesitation notes (where you hesitated, what was missing)", key="practice_notes"
            )
            submitted = st.form_submit_button("Log practice")
        if submitted:
            chosen = by_id[artifact_id]
            st.session_state["practice_log_result"] = services.log_practice(
                ws,
                me,
                chosen["scope"],
                kind,
                outcome,
                artifact_id,
                on=datetime.combine(day, time(12), UTC),
                notes=notes,
            )
        result = st.session_state.get("practice_log_result")
        if result:
            if result.get("outcome") == "ok":
                st.success(f"Logged entry #{result['id']}: {result.get('message')}")
            else:
                st.warning(f"Refused. {result.get('rule') or result.get('message')}")

try:
    history = services.practice_history(ws)
except services.Unavailable as exc:
    history = []
    st.info(f"Not available yet: {exc}")

with confirm_tab:
    waiting = [e for e in history if not e.get("confirmer")]
    if not waiting:
        st.info("No practice entry waits for confirmation.")
    else:
        by_entry = {e["id"]: e for e in waiting}
        entry_id = st.selectbox(
            "Entry to confirm",
            list(by_entry),
            format_func=lambda i: (
                f"#{i} · {services.label(names, by_entry[i]['person'])} · {by_entry[i]['kind']} · "
                f"{by_entry[i]['scope']} · {by_entry[i]['outcome']}"
                + (" (yours)" if by_entry[i]["person"] == me else "")
            ),
            key="practice_confirm_id",
        )
        if by_entry[entry_id].get("notes"):
            st.caption(f"Notes: {by_entry[entry_id]['notes']}")
        if st.button("Confirm as witnessed", key="practice_confirm"):
            st.session_state["practice_confirm_result"] = services.confirm_practice(ws, entry_id, me)
            st.rerun()
    result = st.session_state.get("practice_confirm_result")
    if result:
        if result.get("outcome") == "ok":
            confirmer = (result.get("entry") or {}).get("confirmer")
            st.success(
                f"Entry #{result.get('id')}: {result.get('message')} ({services.label(names, confirmer)})."
            )
        else:
            st.warning(f"Refused. {result.get('rule') or result.get('message')}")

with history_tab:
    c1, c2 = st.columns(2)
    people_ids = sorted({e["person"] for e in history})
    person = c1.selectbox(
        "Person",
        [ALL, *people_ids],
        format_func=lambda p: p if p == ALL else services.label(names, p),
        key="practice_person",
    )
    scopes = sorted({e["scope"] for e in history})
    scope = c2.selectbox("Scope", [ALL, *scopes], key="practice_scope")
    rows = (
        services.practice_history(
            ws, person=None if person == ALL else person, scope=None if scope == ALL else scope
        )
        if history
        else []
    )
    if rows:
        frame = pd.DataFrame(rows)
        for col in ("person", "confirmer", "logged_by"):
            if col in frame.columns:
                frame[col] = [services.label(names, v) if v else "" for v in frame[col]]
        st.dataframe(frame, hide_index=True, width="stretch", key="practice_history_table")
    else:
        st.info("No practice logged yet.")
