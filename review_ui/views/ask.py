"""Ask: the manager's questions about dependence, answered with citations."""

from __future__ import annotations

import streamlit as st

from review_ui import services, ui

ws = ui.workspace()
ui.require_identity()
st.title("Ask")

if not services.ask_available():
    st.info("Asking questions is not built yet in this installation (agent.ask.answer is missing).")
    st.stop()

question = st.text_input(
    "Question", placeholder="Who is the hero of payments-api, and is it dangerous?", key="ask_question"
)
if st.button("Ask", key="ask_submit") and question.strip():
    st.session_state["ask_answer"] = services.ask(ws, question.strip())
answer = st.session_state.get("ask_answer")
if answer:
    st.markdown(answer.get("answer") or answer.get("text") or "")
    for cite in answer.get("citations") or []:
        if isinstance(cite, dict):
            with st.expander(str(cite.get("id") or cite.get("chunk_id") or "citation")):
                st.text(cite.get("text") or "")
        else:
            st.caption(f"cites `{cite}`")
