"""``python -m review_ui --address A --port N``: check the address is safe to serve on, then run Streamlit.

``understudy review`` runs this module (the command line in ``agent`` never imports ``review_ui``).
It refuses a non-loopback address unless someone can sign in (a reviewer account in the workspace,
or OpenID Connect configured in ``secrets.toml``), then replaces itself with
``python -m streamlit run review_ui/app.py`` so the server is the process that was started.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
"""The Streamlit entry script."""

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
"""Host names that always mean this machine."""


def is_loopback(address: str) -> bool:
    """Whether ``address`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    host = address.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def streamlit_argv(address: str, port: int) -> list[str]:
    """The command line that serves the review UI."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def refusal(address: str, port: int, home: str | None) -> str | None:
    """Why the UI must not start with these options (one line), or None when it may."""
    if not 1 <= port <= 65535:
        return f"--port {port} is not a TCP port (1-65535)"
    if is_loopback(address):
        return None
    from ingest.workspace import Workspace
    from review_ui.auth import authentication_configured

    if authentication_configured(Workspace.open(home)):
        return None
    return (
        f"refusing to serve the review UI on {address} without authentication: create a reviewer account "
        "(python -m review_ui.auth add-reviewer ALIAS) or configure [auth] in .streamlit/secrets.toml, "
        "or use --address 127.0.0.1"
    )


def main(argv: list[str] | None = None) -> int:
    """Check the options, then exec Streamlit (returns only on refusal)."""
    parser = argparse.ArgumentParser(prog="python -m review_ui")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--home", default=None, help="Workspace folder (else $UNDERSTUDY_HOME).")
    args = parser.parse_args(argv)
    reason = refusal(args.address, args.port, args.home)
    if reason is not None:
        print(f"understudy: {reason}", file=sys.stderr)
        return 2 if reason.startswith("--port") else 1
    env = dict(os.environ)
    if args.home:
        env["UNDERSTUDY_HOME"] = str(Path(args.home).expanduser().resolve())
    argv_ = streamlit_argv(args.address, args.port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv_, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    raise SystemExit(main())
