"""What is not a rescue: the on-call fixing their own page, an attempt someone else's fix replaced, the
team rotation's second level picking up a page (issue 15, rescue precision on data we did not write)."""

from __future__ import annotations

import pytest

from agent.analytics import find_rescues
from agent.analytics.judgement import carries_fix, fix_commands
from agent.analytics.rescues import schedule_cover
from ingest.pipeline import ingest_paths
from ingest.workspace import Workspace

from . import realshape


@pytest.fixture(scope="module")
def org_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The real-shape org with its everyday incidents and team-named rotation, ingested once."""
    root = tmp_path_factory.mktemp("everyday")
    org = realshape.write(root / "org", everyday=True)
    ws = Workspace.open(root / "ws")
    ingest_paths(ws, [org / "pagerduty", org / "slack"])
    return ws


@pytest.fixture(scope="module")
def rescued(org_ws: Workspace) -> dict[str, set[str]]:
    """Incident id -> people found rescuing it."""
    out: dict[str, set[str]] = {}
    with org_ws.session() as s:
        for r in find_rescues(s):
            out.setdefault(r.incident.split(":", 1)[1], set()).add(r.person)
    return out


def test_the_paged_on_call_fixing_their_own_incident_in_the_thread_is_no_rescue(
    rescued: dict[str, set[str]],
) -> None:
    """PagerDuty logs the first routing as the page (no assign entry): paged means responsible, rotation or not."""
    assert "PSLF000" not in rescued and "PSLF001" not in rescued


def test_an_attempt_replaced_by_the_on_calls_own_command_is_no_rescue(rescued: dict[str, set[str]]) -> None:
    assert "PTRY000" not in rescued


def test_a_bystanders_command_the_on_call_applies_is_a_rescue(rescued: dict[str, set[str]]) -> None:
    assert rescued["PBYS000"] == {"ben-okafor"}


def test_level_two_of_a_team_named_rotation_is_on_call_for_the_service_it_is_paged_for(
    org_ws: Workspace, rescued: dict[str, set[str]]
) -> None:
    """'identity primary' is scoped service:identity; its level 1 gets the auth-gateway pages, so it answers
    for auth-gateway and Lou (its level 2) resolving a page is cover, while Kim (on no rotation) rescues."""
    with org_ws.session() as s:
        assert schedule_cover(s)["service:identity"] == {"service:identity", "service:auth-gateway"}
    assert "PLV2000" not in rescued
    assert rescued["PUNA000"] == {"kim-tanaka"}


def test_pulling_the_rotations_backup_in_by_name_is_a_rescue(rescued: dict[str, set[str]]) -> None:
    """Only the policy's timeout reaches level 2 as scheduled routing; a by-name pull-in routes work to them."""
    assert rescued["PPUL000"] == {"lou-reyes"}


def test_routed_rescues_and_advice_are_still_found(rescued: dict[str, set[str]]) -> None:
    for iid in ("PESC000", "PRAS000", "PADV000"):
        assert rescued[iid] == {"kim-tanaka"}
    assert not any(i.startswith("PTMO") for i in rescued)


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("try this: `flagctl disable new_checkout_path`. if it comes back, page me", True),
        ("`queuectl purge payments-dlq --poison-only` clears it", True),
        ("seeing `sysctl` warnings in dmesg", False),  # a bare tool name quoted is no command
        ("`ctl` is down again", False),
    ],
)
def test_a_control_tool_with_a_subcommand_is_a_fix(text: str, fix: bool) -> None:
    """``*ctl`` is the Unix naming of control CLIs (systemctl, etcdctl, in-house flagctl/deployctl)."""
    assert carries_fix(text) is fix


def test_fix_commands_are_the_commands_a_message_hands_over() -> None:
    text = "sorted. `kubectl -n auth  scale deploy/x --replicas=6` (error was `i/o timeout`)"
    assert fix_commands(text) == {"kubectl -n auth scale deploy/x --replicas=6"}
    assert fix_commands("restarting one pod to see") == set()
