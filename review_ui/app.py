"""The Understudy review UI: confirm every draft, log live practice, see the map.

Run by ``understudy review``; the workspace comes from ``$UNDERSTUDY_HOME``. Pages are declared here
with ``st.navigation``; until someone signs in, the sign-in page is the only one.
"""

from __future__ import annotations

import streamlit as st

from review_ui import auth, services, ui

st.set_page_config(page_title="Understudy review", page_icon="🎭", layout="wide")

ws = ui.workspace()
oidc = auth.oidc_configured(st.secrets)
signed_in_elsewhere = oidc and ui.identity() is None and st.user.is_logged_in
if signed_in_elsewhere:
    oidc_email = st.user.get("email")
    if auth.sign_in_oidc(st.session_state, ws, oidc_email if isinstance(oidc_email, str) else None) is None:
        st.error(f"{oidc_email} is not an alias of exactly one person in this workspace.")

me = ui.identity()
SIGN_IN = st.Page("views/sign_in.py", title="Sign in", icon="🔑", url_path="sign-in")
PAGES = {
    "Review": [
        st.Page("views/queue.py", title="Review queue", icon="📥", url_path="queue", default=True),
        st.Page("views/draft.py", title="Draft", icon="📝", url_path="draft"),
        st.Page("views/practice.py", title="Practice", icon="🏋️", url_path="practice"),
    ],
    "Dependence": [
        st.Page("views/hero_map.py", title="Hero map", icon="🗺️", url_path="map"),
        st.Page("views/independence.py", title="Independence", icon="🧭", url_path="independence"),
        st.Page("views/ask.py", title="Ask", icon="💬", url_path="ask"),
    ],
    "Records": [st.Page("views/audit.py", title="Audit", icon="📜", url_path="audit")],
}

if me is None:
    page = st.navigation([SIGN_IN])
else:
    page = st.navigation(PAGES)
    with st.sidebar:
        st.markdown(f"Signed in as **{services.label(services.people(ws), me)}**")
        if st.button("Sign out", key="sign_out"):
            was_oidc = st.session_state.get(auth.METHOD_KEY) == "oidc"
            auth.sign_out(st.session_state)
            if was_oidc:
                st.logout()
            st.rerun()
page.run()
