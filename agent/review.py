"""Every human-in-the-loop contract in one place: what a paused draft asks, what a reviewer answers.

A drafting workflow pauses with a :class:`ReviewRequest` (the ``interrupt()`` value) and is resumed
with a :class:`ReviewResponse` naming an applied decision in the ledger. Anything else given on
resume is refused with :class:`UnexpectedReviewResponse`: the graph never guesses.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator


class Action(StrEnum):
    """What a reviewer can decide on a draft version."""

    APPROVE = "approve"
    APPROVE_WITH_EDITS = "approve-with-edits"
    REQUEST_CHANGES = "request-changes"
    REJECT = "reject"


class Status(StrEnum):
    """Where a draft stands in the review gate."""

    DRAFTING = "drafting"
    PENDING = "pending"
    AWAITING_NON_HERO = "awaiting-non-hero-approval"
    CHANGES_REQUESTED = "changes-requested"
    APPROVED = "approved"
    REJECTED = "rejected"


DECIDABLE = (Status.PENDING, Status.AWAITING_NON_HERO)
"""Statuses in which a draft takes a decision."""


class Decision(BaseModel):
    """A reviewer's decision on one draft version (the reviewer and version travel beside it)."""

    action: Action
    text: str | None = Field(default=None, description="Reason for a rejection, or what to change.")
    edited_markdown: str | None = Field(default=None, description="The edited draft, for approve-with-edits.")

    @model_validator(mode="after")
    def _complete(self) -> Decision:
        if self.action in (Action.REJECT, Action.REQUEST_CHANGES) and not (self.text or "").strip():
            raise ValueError(f"{self.action.value} needs a reason")
        if self.action is Action.APPROVE_WITH_EDITS and not (self.edited_markdown or "").strip():
            raise ValueError("approve-with-edits needs the edited text")
        return self


class ReviewRequest(BaseModel):
    """What a paused draft surfaces to reviewers (the value passed to ``interrupt()``)."""

    type: Literal["review-request"] = "review-request"
    draft_id: str
    version: int
    kind: str
    scope: str
    hero: str | None = None
    status: str
    flags: int = 0
    question: str = "Approve, approve with edits, request changes, or reject this version."


class ReviewResponse(BaseModel):
    """What resumes a paused draft: an applied decision already recorded in the ledger."""

    type: Literal["review-response"] = "review-response"
    draft_id: str
    decision_id: int
    seq: int
    version: int
    action: Action
    status_after: Status


class UnexpectedReviewResponse(TypeError):
    """A paused draft was resumed with something that is not a :class:`ReviewResponse`."""


def parse_review_response(value: Any) -> ReviewResponse:
    """The resume value as a :class:`ReviewResponse`, or raise :class:`UnexpectedReviewResponse`."""
    if isinstance(value, ReviewResponse):
        return value
    if not isinstance(value, dict) or value.get("type") != "review-response":
        raise UnexpectedReviewResponse(
            f"a draft can only be resumed with a review response, got {type(value).__name__}"
        )
    try:
        return ReviewResponse.model_validate(value)
    except ValidationError as exc:
        raise UnexpectedReviewResponse(f"malformed review response: {exc.errors()[0]['msg']}") from exc


class DecisionResult(BaseModel):
    """The outcome of :func:`agent.ledger.decide`: ``ok``, ``conflict`` (stale or already decided) or ``refused``."""

    outcome: Literal["ok", "conflict", "refused"]
    draft_id: str
    id: int | None = Field(default=None, description="The decision row (conflicts are recorded too).")
    version: int | None = None
    action: Action | None = None
    reviewer: str | None = None
    status: str | None = Field(default=None, description="The draft's status after this decision.")
    message: str = ""
    rule: str | None = Field(default=None, description="The rule that refused the action, if any.")
    at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
