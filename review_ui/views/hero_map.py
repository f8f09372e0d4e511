"""Hero map: who carries which scope, the ranked risk, trends per month, and what-if someone is away."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from review_ui import services, ui

# Scopes drawn on the heatmap (riskiest first): more than this stops being readable.
HEATMAP_SCOPES = 40

ws = ui.workspace()
ui.require_identity()
names = services.people(ws)
st.title("Hero map")


@st.cache_data(ttl=60, show_spinner="Computing the hero map…")
def _map(home: str, since: date | None, until: date | None) -> dict[str, Any]:
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until, time.max, UTC) if until else None
    return services.hero_map(services.workspace(), start, end)


c1, c2 = st.columns(2)
since = c1.date_input("Since", value=None, key="map_since")
until = c2.date_input("Until", value=None, key="map_until")
try:
    result = _map(str(ws.home), since, until)
except services.Unavailable as exc:
    ui.unavailable(exc)

scopes = sorted(result["scopes"], key=lambda s: s["risk"], reverse=True)
if not scopes:
    st.info("No activity in this window: ingest sources first (understudy ingest PATH).")
    st.stop()

st.subheader("Who carries which scope")
cells = [
    {"scope": s["scope"], "person": names.get(p, p), "share": share, "risk": s["risk"]}
    for s in scopes[:HEATMAP_SCOPES]
    for p, share in (s.get("shares") or {}).items()
]
if cells:
    heat = (
        alt.Chart(pd.DataFrame(cells))
        .mark_rect()
        .encode(
            x=alt.X("person:N", sort="-color", title="Person"),
            y=alt.Y("scope:N", sort=alt.EncodingSortField("risk", order="descending"), title="Scope"),
            color=alt.Color("share:Q", scale=alt.Scale(scheme="orangered"), title="Share"),
            tooltip=["scope", "person", alt.Tooltip("share:Q", format=".0%")],
        )
    )
    st.altair_chart(heat, width="stretch", key="map_heatmap")

st.subheader("Ranked by risk")
table = pd.DataFrame(
    [
        {
            "scope": s["scope"],
            "risk": s["risk"],
            "hero": services.label(names, s.get("hero")) if s.get("hero") else "",
            "top person": services.label(names, s.get("top_person")),
            "top share": s["top_share"],
            "effective responders": s["effective_responders"],
            "bus factor": s["bus_factor"],
            "off-hours share": s["off_hours_share"],
            "rescues": s["rescues"],
            "events": s["events"],
            "understaffed": s.get("understaffed", False),
        }
        for s in scopes
    ]
)
st.dataframe(table, hide_index=True, width="stretch", key="map_risk_table")

if result.get("heroes"):
    st.subheader("Heroes")
    for hero in result["heroes"]:
        with st.expander(f"{services.label(names, hero['person'])} — {hero.get('kind', '')}", expanded=False):
            st.write(hero.get("why", ""))
            for reason in hero.get("label_reasons") or []:
                st.markdown(f"- {reason}")
for item in result.get("understaffed") or []:
    st.warning(f"`{item['scope']}` looks understaffed, not concentrated: {item['why']}")

st.subheader("Trends per month")
trend_scope = st.selectbox("Scope", [s["scope"] for s in scopes], key="map_trend_scope")
try:
    trends = services.monthly_trends(ws, trend_scope)
except services.Unavailable as exc:
    st.info(f"Not available yet: {exc}")
    trends = []
if trends:
    frame = pd.DataFrame(trends)
    metrics = [
        m for m in ("top_share", "effective_responders", "off_hours_share", "rescues") if m in frame.columns
    ]
    long = frame.melt(id_vars=["month"], value_vars=metrics, var_name="signal", value_name="value")
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="Month"),
            y=alt.Y("value:Q", title=None),
            color="signal:N",
            tooltip=["month", "signal", "value"],
        )
    )
    st.altair_chart(line, width="stretch", key="map_trends_chart")

st.subheader("What if they are away?")
away = st.multiselect(
    "People away",
    sorted(names, key=lambda p: names[p]),
    format_func=lambda p: services.label(names, p),
    key="map_whatif",
)
if away:
    try:
        what = services.whatif(ws, away)
    except services.Unavailable as exc:
        ui.unavailable(exc)
    if what["scopes"]:
        st.dataframe(pd.DataFrame(what["scopes"]), hide_index=True, width="stretch", key="map_whatif_table")
    else:
        st.success("No scope loses its capability.")
    for cls in what.get("classes_only_they_rescued") or []:
        st.warning(f"Only they rescued incident class `{cls}`.")
    st.caption(f"{what.get('unaffected_scopes', 0)} scopes unaffected.")
