"""Independence: per scope, whether reviewed material and confirmed practice have moved the capability."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_ui import services, ui

# How each verdict of the independence check is marked.
VERDICT_ICONS = {"dependent": "🔴", "documented-unpractised": "🟠", "narrowing": "🟡", "independent": "🟢"}

ws = ui.workspace()
ui.require_identity()
names = services.people(ws)
st.title("Independence")
st.caption(
    "Only approved material and confirmed practice count. Documents without confirmed practice are "
    "“documented, unpractised”: they never count as independence."
)

try:
    verdicts = services.independence(ws)
except services.Unavailable as exc:
    ui.unavailable(exc)
if not verdicts:
    st.info("No scope has a hero to check yet.")
    st.stop()

summary = pd.DataFrame(
    [
        {
            "scope": v["scope"],
            "verdict": f"{VERDICT_ICONS.get(v['verdict'], '')} {v['verdict']}",
            "hero": services.label(names, v.get("hero")),
            "approved artifacts": len(v.get("approved_artifacts") or []),
            "practised people": len(v.get("practised_people") or []),
            "hero share": v.get("hero_share"),
        }
        for v in verdicts
    ]
)
st.dataframe(summary, hide_index=True, width="stretch", key="independence_table")

for v in verdicts:
    with st.expander(f"{VERDICT_ICONS.get(v['verdict'], '')} {v['scope']} — {v['verdict']}", expanded=False):
        for reason in v.get("reasons") or []:
            st.markdown(f"- {reason}")
        missing = v.get("missing") or []
        if missing:
            st.markdown("**Does not count yet — still missing:**")
            for item in missing:
                st.markdown(f"- {item}")
        artifacts = v.get("approved_artifacts") or []
        st.markdown("**Counts:** " + (", ".join(f"`{a}`" for a in artifacts) or "no approved material yet"))
        practised = v.get("practised_people") or []
        st.markdown(
            "**Confirmed practice by:** "
            + (", ".join(services.label(names, p) for p in practised) or "nobody yet")
        )
