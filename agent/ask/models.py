"""What the Q&A engine returns: the answer, the evidence it cites, the tools it used."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """A piece of evidence: a chunk (id, source, file, excerpt) or a map/ledger reference."""

    chunk_id: str | None = Field(default=None, description="Chunk id in the index, for text evidence.")
    source: str | None = Field(
        default=None, description="Source kind of the chunk (slack, pagerduty, markdown ...)."
    )
    path: str | None = Field(default=None, description="File the chunk came from.")
    excerpt: str | None = Field(default=None, description="The start of the chunk's text.")
    ref: str | None = Field(
        default=None, description="A map or ledger reference, e.g. 'map:service:postgres'."
    )


class Answer(BaseModel):
    """An answer: every number and name in ``answer`` comes from a tool result in ``tool_results``."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    tools_used: list[str] = Field(default_factory=list)
    engine: str = Field(default="offline", description="offline (deterministic) or claude.")
    unverified: list[str] = Field(
        default_factory=list, description="Names or numbers no tool returned (should be empty)."
    )
    tool_results: list[dict[str, Any]] = Field(default_factory=list, exclude=True)

    def to_json(self) -> dict[str, Any]:
        """``ask --json``: answer, citations, tools_used (plus the engine and any unverified items)."""
        return {
            "answer": self.answer,
            "citations": [c.model_dump(exclude_none=True) for c in self.citations],
            "tools_used": self.tools_used,
            "engine": self.engine,
            "unverified": self.unverified,
        }
