"""What a scorer returns: named metrics with values, thresholds and the cases behind them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CLAUDE_REPLAY = "cassette replay"
"""What the Claude column says when no key re-recorded the cassettes (the numbers come from replay)."""


@dataclass
class Metric:
    """One measured figure; ``status`` is pass, fail, missing (counts as failed) or info (no threshold)."""

    name: str
    value: float | None
    description: str
    threshold: float | None = None
    direction: str = "min"
    claude: float | None = None
    claude_note: str = ""
    unit: str = ""
    dataset: str = ""
    failing_cases: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    status: str = "info"

    def judge(self) -> Metric:
        """Set ``status`` from the value and the threshold."""
        if self.threshold is None:
            self.status = "info"
        elif self.value is None:
            self.status = "missing"
        elif self.direction == "max":
            self.status = "pass" if self.value <= self.threshold else "fail"
        else:
            self.status = "pass" if self.value >= self.threshold else "fail"
        return self

    @property
    def counted(self) -> bool:
        """Whether the metric is gated by a threshold (info metrics are not)."""
        return self.threshold is not None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (an empty prediction against an empty truth is perfect)."""
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
