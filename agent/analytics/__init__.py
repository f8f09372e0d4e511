"""Dependence analytics: the hero map, rescues, incident classes, what-if, risk and trends.

Importing this package is cheap: clustering imports scikit-learn and the embedder only when called.
"""

from agent.analytics.classes import classify_incidents
from agent.analytics.heromap import compute_map, hero_of, person_share
from agent.analytics.models import MapResult, PatternsResult, Rescue, WhatIfResult
from agent.analytics.patterns import patterns
from agent.analytics.rescues import escalation_graph, find_rescues
from agent.analytics.rules import HeroRule
from agent.analytics.trends import monthly_trends, window_trends
from agent.analytics.whatif import whatif

__all__ = [
    "HeroRule",
    "MapResult",
    "PatternsResult",
    "Rescue",
    "WhatIfResult",
    "classify_incidents",
    "compute_map",
    "escalation_graph",
    "find_rescues",
    "hero_of",
    "monthly_trends",
    "patterns",
    "person_share",
    "whatif",
    "window_trends",
]
