"""A small organisation written the way real tools export it (not by our sample generator).

PagerDuty REST v2 pages (a trimmed ``users`` list, incidents with ``assignments[]`` as they stand at
the end, log entries with ``assignees`` on ``escalate``/``assign`` entries) and a Slack export whose
team incident channel ``#inc-identity`` opens each thread with the alert bot's
``[FIRING:1] <service>: <summary>`` seconds after the PagerDuty trigger.

People: Ada and Ben rotate on call for ``auth-gateway``; Kim is the expert who is escalated to by
hand, reassigned to, or pinged in the thread and hands over the fix; Lou is the level-2 on-call an
escalation policy's timeout reaches.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""A Monday morning."""

USERS = {
    "ada": ("PADA001", "Ada Byron", "ada@corp.example", "UADA0001"),
    "ben": ("PBEN002", "Ben Okafor", "ben@corp.example", "UBEN0002"),
    "kim": ("PKIM003", "Kim Tanaka", "kim@corp.example", "UKIM0003"),
    "lou": ("PLOU004", "Lou Reyes", "lou@corp.example", "ULOU0004"),
}
"""Person -> PagerDuty id, name, email, Slack id."""

SERVICE = {"id": "PSVCAUTH", "type": "service_reference", "summary": "auth-gateway"}


def _alert(base: float) -> dict:
    """The alert bot's opening line of an incident thread (a Slack export's ``bot_message``)."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "BALERT1",
        "username": "Alertmanager",
        "text": "[FIRING:1] auth-gateway: TLS handshake errors above 5%",
        "ts": f"{base:.6f}",
        "thread_ts": f"{base:.6f}",
    }


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _uref(who: str) -> dict[str, Any]:
    pid, name, _, _ = USERS[who]
    return {"id": pid, "type": "user_reference", "summary": name}


class _PD:
    """PagerDuty pages being written."""

    def __init__(self) -> None:
        self.incidents: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self.n = 0

    def entry(self, iid: str, kind: str, t: datetime, agent: dict[str, Any], **extra: Any) -> None:
        self.n += 1
        self.logs.append(
            {
                "id": f"RLOG{self.n:05d}",
                "type": f"{kind}_log_entry",
                "summary": extra.pop("summary", kind.title()),
                "created_at": _iso(t),
                "agent": agent,
                "channel": extra.pop("channel", {"type": "website"}),
                "incident": {"id": iid, "type": "incident_reference"},
                "service": SERVICE,
                **extra,
            }
        )

    def incident(self, iid: str, n: int, t: datetime, holder: str, resolver: str, end: datetime) -> None:
        self.incidents.append(
            {
                "id": iid,
                "type": "incident",
                "incident_number": n,
                "title": "TLS handshake errors",
                "status": "resolved",
                "urgency": "high",
                "service": SERVICE,
                "assignments": [{"at": _iso(end - timedelta(minutes=20)), "assignee": _uref(holder)}],
                "escalation_policy": {"id": "PEPAUTH", "type": "escalation_policy_reference"},
                "created_at": _iso(t),
                "last_status_change_at": _iso(end),
                "last_status_change_by": _uref(resolver),
            }
        )


def _page(pd: _PD, iid: str, t: datetime, oncall: str) -> None:
    """Trigger, page the on-call, who acknowledges (no assign entry: the policy's level 1 is implied)."""
    pd.entry(iid, "trigger", t, {"id": "PINTEG1", "type": "events_api_v2_inbound_integration_reference"})
    pd.entry(iid, "notify", t + timedelta(seconds=3), SERVICE, user=_uref(oncall), channel={"type": "sms"})
    pd.entry(iid, "acknowledge", t + timedelta(minutes=2), _uref(oncall), channel={"type": "mobile"})


def write(
    root: Path,
    escalations: int = 3,
    reassigns: int = 2,
    advice: int = 3,
    timeouts: int = 3,
    everyday: bool = False,
    pulled: int = 0,
    pulled_to: str = "kim",
) -> Path:
    """Write the export under ``root``; returns it. Incidents are six hours apart, oldest first.

    ``pulled`` adds pages where the on-call pings ``pulled_to`` (Kim) by name in the thread, who then
    takes the page and resolves it in PagerDuty without posting a fix in the thread (PPRS…).

    ``everyday`` adds what most incidents look like, and a team-named on-call schedule ("identity
    primary": Ada on level 1, Lou on level 2 all week): Ben, paged off the rotation, fixes his own
    pages in the thread (PSLF…); Ada fixes hers after Ben chimed in with an attempt (PTRY000); Ben's
    unasked command that Ada applies (PBYS000); Lou, level 2 on the team rotation, picks up a page without a routing entry
    (PLV2000), or is pulled in by name and hands over the fix (PPUL000); Kim, on no rotation, resolves a page nobody routed to her (PUNA000)."""
    pd = _PD()
    threads: list[list[dict[str, Any]]] = []
    t = T0
    n = 100

    def next_t() -> datetime:
        nonlocal t, n
        t += timedelta(hours=6)
        n += 1
        return t

    for i in range(escalations):  # on-call acks, escalates by hand to Kim, who resolves
        at, oncall = next_t(), ("ada", "ben")[i % 2]
        iid = f"PESC{i:03d}"
        _page(pd, iid, at, oncall)
        pd.entry(
            iid,
            "escalate",
            at + timedelta(minutes=12),
            _uref(oncall),
            assignees=[_uref("kim")],
            summary=f"Escalated to {USERS['kim'][1]} by {USERS[oncall][1]}",
        )
        pd.entry(iid, "resolve", at + timedelta(minutes=40), _uref("kim"))
        pd.incident(iid, n, at, "kim", "kim", at + timedelta(minutes=40))
    for i in range(reassigns):  # on-call acks, reassigns to Kim (an assign entry by a person)
        at, oncall = next_t(), ("ben", "ada")[i % 2]
        iid = f"PRAS{i:03d}"
        _page(pd, iid, at, oncall)
        pd.entry(iid, "assign", at + timedelta(minutes=9), _uref(oncall), assignees=[_uref("kim")])
        pd.entry(iid, "resolve", at + timedelta(minutes=35), _uref("kim"))
        pd.incident(iid, n, at, "kim", "kim", at + timedelta(minutes=35))
    for i in range(timeouts):  # nobody acks: the policy escalates to level 2 (Lou), who resolves
        at = next_t()
        iid = f"PTMO{i:03d}"
        pd.entry(iid, "trigger", at, {"id": "PINTEG1", "type": "events_api_v2_inbound_integration_reference"})
        pd.entry(
            iid, "notify", at + timedelta(seconds=3), SERVICE, user=_uref("ada"), channel={"type": "sms"}
        )
        pd.entry(
            iid,
            "escalate",
            at + timedelta(minutes=15),
            {"id": "PEPAUTH", "type": "escalation_policy_reference"},
            assignees=[_uref("lou")],
            channel={"type": "timeout"},
            summary="Escalated to level 2 (timeout)",
        )
        pd.entry(iid, "acknowledge", at + timedelta(minutes=17), _uref("lou"), channel={"type": "mobile"})
        pd.entry(iid, "resolve", at + timedelta(minutes=45), _uref("lou"))
        pd.incident(iid, n, at, "lou", "lou", at + timedelta(minutes=45))
    for i in range(advice):  # the advisor: pinged in the thread, hands over the fix; the on-call resolves
        at, oncall = next_t(), ("ada", "ben")[i % 2]
        iid = f"PADV{i:03d}"
        _page(pd, iid, at, oncall)
        pd.entry(iid, "resolve", at + timedelta(minutes=30), _uref(oncall))
        pd.incident(iid, n, at, oncall, oncall, at + timedelta(minutes=30))
        me, kim = USERS[oncall][3], USERS["kim"][3]
        base = (at + timedelta(seconds=20)).timestamp()

        def msg(dt: float, text: str, user: str | None = None, _base: float = base) -> dict[str, Any]:
            ts = f"{_base + dt:.6f}"
            m: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "thread_ts": f"{_base:.6f}"}
            if user:
                m["user"] = user
            else:
                m.update({"subtype": "bot_message", "bot_id": "BALERT1", "username": "Alertmanager"})
            return m

        threads.append(
            [
                msg(0, "[FIRING:1] auth-gateway: TLS handshake errors above 5%"),
                msg(240, f"stuck on this one, <@{kim}> any idea?", me),
                msg(
                    480,
                    "try this: `kubectl -n auth rollout restart deploy/auth-gateway` the cert reload hangs",
                    kim,
                ),
                msg(900, "that worked, resolving", me),
            ]
        )

    for i in range(pulled):  # pinged by name in the thread, then takes the page and resolves it in PagerDuty
        at, oncall = next_t(), ("ada", "ben")[i % 2]
        iid = f"PPRS{i:03d}"
        _page(pd, iid, at, oncall)
        pd.entry(iid, "resolve", at + timedelta(minutes=35), _uref(pulled_to))
        pd.incident(iid, n, at, pulled_to, pulled_to, at + timedelta(minutes=35))
        base = (at + timedelta(seconds=20)).timestamp()
        threads.append(
            [
                _alert(base),
                {
                    "type": "message",
                    "user": USERS[oncall][3],
                    "text": f"<@{USERS[pulled_to][3]}> can you take a look? handshakes are failing again",
                    "ts": f"{base + 300:.6f}",
                    "thread_ts": f"{base:.6f}",
                },
                {
                    "type": "message",
                    "user": USERS[pulled_to][3],
                    "text": "on it",
                    "ts": f"{base + 420:.6f}",
                    "thread_ts": f"{base:.6f}",
                },
            ]
        )

    if everyday:
        for iid, lines, resolver in (
            (
                "PSLF000",
                [("ben", "fixed — `kubectl -n auth delete secret auth-tls && cert-renew auth`")],
                "ben",
            ),
            ("PSLF001", [("ben", "done: `kubectl -n auth rollout restart deploy/pgbouncer`")], "ben"),
            (
                "PTRY000",
                [
                    ("ben", "restarting one pod to see"),
                    ("ada", "sorted. `kubectl -n auth scale deploy/auth-gateway --replicas=6`"),
                ],
                "ada",
            ),
            (
                "PBYS000",
                [
                    ("ben", "run `kubectl -n auth rollout restart deploy/auth-gateway`"),
                    ("ada", "that worked"),
                ],
                "ada",
            ),
            ("PLV2000", [], "lou"),
            (
                "PPUL000",
                [
                    ("ada", f"<@{USERS['lou'][3]}> can you take a look?"),
                    ("lou", "done: `kubectl -n auth rollout restart deploy/auth-gateway`"),
                ],
                "lou",
            ),
            ("PUNA000", [], "kim"),
        ):
            at, oncall = next_t(), "ben" if iid.startswith("PSLF") else "ada"
            _page(pd, iid, at, oncall)
            pd.entry(iid, "resolve", at + timedelta(minutes=30), _uref(resolver))
            pd.incident(iid, n, at, oncall, resolver, at + timedelta(minutes=30))
            base = (at + timedelta(seconds=20)).timestamp()
            thread = [_alert(base)]
            for k, (who, text) in enumerate(lines, start=1):
                thread.append(
                    {
                        "type": "message",
                        "user": USERS[who][3],
                        "text": text,
                        "ts": f"{base + 300 * k:.6f}",
                        "thread_ts": f"{base:.6f}",
                    }
                )
            if lines:
                threads.append(thread)
        start, end = T0 - timedelta(days=1), t + timedelta(days=1)
        oncalls = [
            {
                "user": {**_uref(who), "email": USERS[who][2]},
                "schedule": {"id": "PSCHID1", "type": "schedule_reference", "summary": "identity primary"},
                "escalation_level": level,
                "start": _iso(start),
                "end": _iso(end),
            }
            for who, level in (("ada", 1), ("lou", 2))
        ]
        (root / "pagerduty").mkdir(parents=True)
        (root / "pagerduty" / "oncalls.json").write_text(json.dumps({"oncalls": oncalls}))
    (root / "pagerduty").mkdir(parents=True, exist_ok=True)
    users = [{"id": p, "name": name, "email": email} for p, name, email, _ in USERS.values()]
    (root / "pagerduty" / "users.json").write_text(json.dumps({"users": users}))
    (root / "pagerduty" / "incidents.json").write_text(json.dumps({"incidents": pd.incidents}))
    (root / "pagerduty" / "log_entries.json").write_text(json.dumps({"log_entries": pd.logs}))
    slack = root / "slack"
    (slack / "inc-identity").mkdir(parents=True)
    (slack / "users.json").write_text(
        json.dumps(
            [
                {"id": sid, "name": who, "profile": {"real_name": name, "email": email}}
                for who, (_, name, email, sid) in USERS.items()
            ]
        )
    )
    (slack / "channels.json").write_text(json.dumps([{"id": "CINCID1", "name": "inc-identity"}]))
    by_day: dict[str, list[dict[str, Any]]] = {}
    for th in threads:
        for m in th:
            day = datetime.fromtimestamp(float(m["ts"]), tz=UTC).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(m)
    for day, msgs in by_day.items():
        (slack / "inc-identity" / f"{day}.json").write_text(json.dumps(msgs))
    return root
