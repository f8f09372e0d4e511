"""The risk ranking: which concentration to transfer first.

risk = recurrence x severity x concentration x off-hours load, each factor in 0..1, so risk is in 0..1:

- recurrence  = 1 - exp(-occurrences / RECURRENCE_SCALE); occurrences are the scope's incidents in the
  window, or (scopes without incidents) its events / NON_INCIDENT_EVENTS_PER_OCCURRENCE;
- severity    = the mean SEVERITY_WEIGHT of the scope's incidents (NON_INCIDENT_SEVERITY without incidents);
- concentration = the top person's weighted share;
- off-hours   = OFF_HOURS_FLOOR + (1 - OFF_HOURS_FLOOR) x off_hours_share.
"""

from __future__ import annotations

import math

from agent.analytics.rules import (
    NON_INCIDENT_EVENTS_PER_OCCURRENCE,
    NON_INCIDENT_SEVERITY,
    OFF_HOURS_FLOOR,
    RECURRENCE_SCALE,
    SEVERITY_WEIGHT,
)


def recurrence_factor(incidents: int, events: int) -> float:
    """0..1: how often the scope's work comes back."""
    occurrences = incidents if incidents > 0 else events / NON_INCIDENT_EVENTS_PER_OCCURRENCE
    return 1.0 - math.exp(-occurrences / RECURRENCE_SCALE)


def severity_factor(by_severity: dict[str | None, int]) -> float:
    """0..1: the mean severity weight of the scope's incidents."""
    n = sum(by_severity.values())
    if n == 0:
        return NON_INCIDENT_SEVERITY
    return sum(SEVERITY_WEIGHT.get(sev, SEVERITY_WEIGHT[None]) * k for sev, k in by_severity.items()) / n


def off_hours_factor(off_hours_share: float) -> float:
    """0.5..1: daytime-only work still counts, night work counts double."""
    return OFF_HOURS_FLOOR + (1.0 - OFF_HOURS_FLOOR) * off_hours_share


def risk_score(
    incidents: int, events: int, by_severity: dict[str | None, int], top_share: float, off_hours_share: float
) -> float:
    """The product of the four factors (0..1)."""
    return (
        recurrence_factor(incidents, events)
        * severity_factor(by_severity)
        * max(0.0, min(1.0, top_share))
        * off_hours_factor(off_hours_share)
    )
