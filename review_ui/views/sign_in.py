"""Sign in with a reviewer account (or OpenID Connect when configured)."""

from __future__ import annotations

import streamlit as st

from review_ui import auth, ui

ws = ui.workspace()
st.title("Sign in to review")
st.caption("Every decision and practice entry carries the identity you sign in with.")

with st.form("sign_in_form"):
    login = st.text_input("Email, handle or name", key="sign_in_login")
    password = st.text_input("Password", type="password", key="sign_in_password")
    submitted = st.form_submit_button("Sign in")
if submitted:
    if auth.sign_in(st.session_state, ws, login, password):
        st.rerun()
    st.error("Those credentials do not match a reviewer account.")

if auth.oidc_configured(st.secrets):
    st.divider()
    if st.button("Sign in with single sign-on", key="sign_in_oidc"):
        st.login()

if not auth.reviewers(ws) and not auth.oidc_configured(st.secrets):
    st.info(
        "This workspace has no reviewer accounts yet. Create the first one (an admin, who then "
        "creates the others) with `understudy accounts add ALIAS` (it asks for the password)."
    )
