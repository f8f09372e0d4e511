"""A real browser signs in to ``understudy review`` and approves a draft; the ledger shows it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium (CI installs it in .ci/run)."""

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Flags for a quiet headless chromium in a container."""

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
"""Where screenshots go (gitignored)."""

SERVER_START_SECONDS = 90
"""How long the Streamlit server may take to answer its health check."""

UI_WAIT_MS = 120_000
"""How long the browser waits for an element (first render imports pandas and Altair)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"understudy review exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the review UI did not answer at {url} within {SERVER_START_SECONDS}s")


def _approve_in_browser(ui_ws, login: str, draft_id: str, expect: str, screenshot: str) -> None:
    """Sign in as ``login`` in chromium, open the draft, press Approve, and wait for ``expect`` on the page."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install it (apt-get install -y chromium) to run the browser test"
        )
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    understudy = str(Path(sys.executable).with_name("understudy"))
    proc = subprocess.Popen(
        [understudy, "--home", str(ui_ws.home), "review", "--address", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "UNDERSTUDY_OFFLINE": "true"},
    )
    try:
        _wait_healthy(url, proc)
        ARTIFACTS.mkdir(exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(UI_WAIT_MS)
                page.goto(url)
                page.get_by_role("textbox", name="Email, handle or name").fill(login)
                page.get_by_role("textbox", name="Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("heading", name="Review queue").wait_for()
                page.get_by_role("link", name="Draft").first.click()
                draft_box = page.get_by_role("textbox", name="Draft id")
                draft_box.fill(draft_id)
                draft_box.press("Enter")
                page.get_by_role("button", name="Approve", exact=True).click()
                page.get_by_text(expect).first.wait_for()
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            finally:
                browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.mark.browser
def test_sign_in_and_approve_in_a_real_browser(ui_ws, cast):
    from agent.ledger import get_draft

    _approve_in_browser(ui_ws, cast.reviewer, cast.draft_id, "Recorded: approve", "review-approved.png")
    view = get_draft(ui_ws, cast.draft_id)
    assert view.status == "approved"
    assert (view.decisions[-1]["reviewer"], view.decisions[-1]["action"]) == (cast.reviewer, "approve")


@pytest.mark.browser
def test_the_heros_second_identity_cannot_approve_in_a_real_browser(ui_ws, cast):
    """Issue 12's first bypass through the browser: an unmerged account of the hero approves; it does not count."""
    from agent.ledger import get_draft

    from .test_bypasses import second_identity

    alt = second_identity(ui_ws, cast)
    _approve_in_browser(ui_ws, alt, cast.draft_id, "may be the hero", "review-second-identity.png")
    view = get_draft(ui_ws, cast.draft_id)
    assert view.status == "awaiting-non-hero-approval" and view.published == []
    assert (view.decisions[-1]["reviewer"], view.decisions[-1]["action"]) == (alt, "approve")
