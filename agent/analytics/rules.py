"""The documented numbers of the hero map: activity weights, the hero rule, labelling and risk thresholds.

Every threshold here is a named constant or a field of :class:`HeroRule` with the reason for its value
and the data it was fitted on ("fitted on: none" means set a priori from the stated reason). The eval
suite gates them on the test set of ``evals/datasets/hero_matrix.v2.yaml``, which nothing here was
fitted on; ``hero_matrix.v1`` (all nine organisations, seeds 7-31) is where the fitted ones were chosen,
and its organisations are either in v2's tuning set or retired.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ingest import actions
from ingest.actions import DEFAULT_WEIGHTS

RESCUE_BONUS = 3.0
"""Extra weight a rescue adds to the rescuer's share of the scope (on top of the resolve itself):
a rescue is the strongest evidence of capability others lack, so it counts like a second resolve. Fitted on: none (a priori)."""

PAGE_ACTIONS = (
    actions.NOTIFIED,
    actions.ACKNOWLEDGED,
    actions.ASSIGNED,
    actions.ESCALATED,
    actions.REASSIGNED,
)
"""Actions that are interruptions (pages): they make up the night-paging load of a person. Fitted on: none (a priori)."""

RESOLVING_ACTIONS = (actions.RESOLVED, actions.FIX_SHARED)
"""Actions that end (or carry the fix of) an incident: a rescue is one of these by someone not responsible. Fitted on: none (a priori)."""

ASSIGNING_ACTIONS = (actions.ASSIGNED, actions.ESCALATED, actions.NOTIFIED)
"""Actions that make a person responsible for an incident (routing or escalation policy). A page counts:
PagerDuty logs the first routing of an incident as the on-call's ``notify_log_entry`` (an explicit
``assign_log_entry`` comes only on reassignment), and on-call schedules are often named for a team, not
for the paged service, so the page is the evidence of who held the work. Fitted on: none (a priori)."""

PULL_ACTIONS = (actions.MENTIONED, actions.REASSIGNED)
"""Actions that pull a named person into an incident (a chat mention, a manual reassignment). Fitted on: none (a priori)."""

ACTING_ACTIONS = (
    actions.RESOLVED,
    actions.FIX_SHARED,
    actions.ANNOTATED,
    actions.ACKNOWLEDGED,
    actions.COMMANDER,
    actions.CHAT,
    *actions.TASK_ACTIONS,
)
"""Actions that show a pulled-in person actually worked the incident (not just being named). Fitted on: none (a priori)."""

SEVERITY_WEIGHT: dict[str | None, float] = {
    "critical": 1.0,
    "high": 0.8,
    "medium": 0.5,
    "low": 0.25,
    None: 0.4,
}
"""Severity factor of the risk formula (unknown severity sits between low and medium)."""

NON_INCIDENT_SEVERITY = 0.3
"""Severity factor for scopes with no incidents (repositories, paths, routine tasks). Fitted on: none (a priori)."""

CRITICAL_SEVERITIES = ("critical", "high")
"""Severities that make a scope a critical service for the dangerous label. Fitted on: none (a priori)."""

RECURRENCE_SCALE = 10.0
"""Occurrences (incidents, else events/5) at which recurrence reaches 1 - 1/e (0.63): ten incidents
in the window is a pattern, not an accident. Fitted on: none (a priori)."""

NON_INCIDENT_EVENTS_PER_OCCURRENCE = 5.0
"""For scopes without incidents, this many events count as one occurrence for recurrence. Fitted on: none (a priori)."""

OFF_HOURS_FLOOR = 0.5
"""Off-hours factor of the risk formula is FLOOR + (1 - FLOOR) * off_hours_share, so daytime-only
concentration still ranks (half as high as the same concentration worked entirely at night). Fitted on: none (a priori)."""

BUSINESS_START_HOUR = 8
"""Business hours start 08:00 local time, Monday to Friday. Fitted on: none (a priori)."""

BUSINESS_END_HOUR = 18
"""Business hours end 18:00 local time; 18-22 on weekdays and all weekend daytime are off-hours. Fitted on: none (a priori)."""

SLEEP_START_HOUR = 22
"""Sleep hours are 22:00-08:00 local time, every day. Fitted on: none (a priori)."""

MEANINGFUL_SHARE = 0.05
"""A person with at least this share of a scope's weighted activity counts as capable there (what-if, team). Fitted on: none (a priori)."""

ORG_DEFAULT_WINDOW_DAYS: int | None = None
"""The map covers all history unless --since/--until narrow it. Fitted on: none (a priori)."""


class HeroRule(BaseModel):
    """When a concentration names a hero, and how it is labelled; every number documented."""

    min_events: int = Field(
        default=10,
        description="Scope events needed before anyone can be its hero (no hero from three events). Fitted on: none (a priori).",
    )
    min_person_events: int = Field(
        default=5,
        description="Events the hero must have done in the scope themself. Fitted on: none (a priori).",
    )
    min_task_events: int = Field(
        default=6,
        description=(
            "Runs of a task scope (task:...) enough for a hero when one person did nearly all of them: "
            "each task event is one run of a whole operation (a failover, a rollback), which happens a "
            "handful of times a year, while a service incident leaves five or more events; six runs, "
            "twice the 'three events' the issue rules out, with min_person_events still required."
        ),
    )
    task_nearly_all: float = Field(
        default=0.75,
        description=(
            "Share of a small task scope's runs the top person must have done themself (3 of 4): "
            "with a rotation of three or more, one person doing 5 of 6 runs has p < 0.02 (binomial, 1/3)."
        ),
    )
    min_top_share: float = Field(
        default=0.5,
        description="Weighted share at or above which the top person dominates a scope (half the work). Fitted on: none (a priori).",
    )
    max_effective_responders: float = Field(
        default=2.5,
        description="A dominated scope is a hero scope only if fewer than this many people effectively respond. Fitted on: none (a priori).",
    )
    min_dominance: float = Field(
        default=3.0,
        description=(
            "...or if the top person's share is at least this many times the next person's: with half the "
            "work and nobody within a third of it there is no backup, however thinly the rest is spread "
            "(effective responders rise when the other half is split among many occasional helpers)."
        ),
    )
    min_rescues: int = Field(
        default=3,
        description="Rescues in a scope that make the rescuer a hero (a pattern). Fitted on: none (a priori).",
    )
    min_rescue_share: float = Field(
        default=0.5,
        description="...when they made at least this share of the scope's rescues. Fitted on: none (a priori).",
    )
    min_rescue_incident_share: float = Field(
        default=0.2,
        description=(
            "...and their rescues are at least this share of the scope's incidents in the window (one in "
            "five): a handful of rescues among dozens of incidents is cover, not a dependence pattern. "
            "On the eval matrix non-heroes rescued at most 0.02 of a scope's incidents, planted "
            "rescuers 0.39 or more. Fitted on: hero_matrix.v1 (all nine orgs: the figures above come from "
            "it; five of them are v2's tuning set, the rest retired)."
        ),
    )
    min_escalations_in: int = Field(
        default=5,
        description="Escalations/reassignments received in a scope that make the receiver a hero. Fitted on: none (a priori).",
    )
    min_escalation_share: float = Field(
        default=0.5,
        description="...when they received at least this share of the scope's escalations. Fitted on: none (a priori).",
    )
    min_escalation_incident_share: float = Field(
        default=0.25,
        description=(
            "...and those escalations reach at least this share of the scope's incidents (one in four): "
            "five escalations over a year of forty incidents is the normal second line of any rotation. "
            "On the eval matrix non-heroes received at most 0.17 per incident, planted gatekeepers 0.44 "
            "or more. Fitted on: hero_matrix.v1 (all nine orgs: the figures above come from it; five of "
            "them are v2's tuning set, the rest retired)."
        ),
    )
    recurring_incidents: int = Field(
        default=3,
        description="Incidents (or risky task runs) in the window that make it recurring. Fitted on: none (a priori).",
    )
    night_min_events: int = Field(
        default=3,
        description="Sleep-hours events of the hero that count as paging at night... Fitted on: none (a priori).",
    )
    night_min_share: float = Field(
        default=0.15,
        description="...when they are at least this share of the hero's events there. Fitted on: none (a priori).",
    )
    max_rotation_team: int = Field(
        default=2,
        description="A scope whose team (on-call schedule, else capable people) is this small cannot rotate. Fitted on: none (a priori).",
    )
    min_loaded_share: float = Field(
        default=0.25,
        description="Share each member of a small team must carry for the scope to be understaffed. Fitted on: none (a priori).",
    )
    min_team_cover: float = Field(
        default=0.85,
        description=(
            "Without a schedule, the team is the fewest people (largest shares first) carrying at least "
            "this share of the work: others together doing at most 15% (under one week in six: holiday "
            "cover, a stray second identity of a member) do not make a rotation."
        ),
    )
    rescue_bonus: float = Field(
        default=RESCUE_BONUS, description="Weight a rescue adds to the rescuer. Fitted on: none (a priori)."
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides of the action weights (ingest.actions.DEFAULT_WEIGHTS). Fitted on: none (a priori).",
    )

    def weight_table(self) -> dict[str, float]:
        """The action weights in force: the defaults with this rule's overrides."""
        return {**DEFAULT_WEIGHTS, **self.weights}
