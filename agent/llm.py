"""Claude through the ``anthropic`` SDK: the only module in Understudy that imports it.

Structured output is a forced tool call whose input the caller validates with a pydantic model.
Retries on 429 (rate limited) and 529 (overloaded) are ours, with exponential backoff and the
server's ``retry-after`` when given; the SDK's own retries are off (``max_retries=0``) so tests and
settings control them. The evidence block is marked for prompt caching (``cache_control``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
from anthropic.types import MessageParam, ToolParam

RETRY_STATUSES = (429, 529)
"""HTTP statuses retried with backoff: rate limited, overloaded (Anthropic API error docs)."""

BACKOFF_BASE_SECONDS = 1.0
"""First backoff; doubles on each retry."""

BACKOFF_MAX_SECONDS = 30.0
"""Longest single wait, whatever ``retry-after`` says."""

MAX_TOKENS = 4096
"""Output budget for one draft."""


class LLMError(RuntimeError):
    """The model could not produce a usable answer (after retries)."""


@dataclass
class ToolCall:
    """The tool input the model produced, with what the API said about the call."""

    name: str
    input: dict[str, Any]
    tool_use_id: str
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1


class ClaudeClient:
    """A thin client for structured drafting calls."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        http_client: Any | None = None,
    ) -> None:
        self.model = model
        self.max_retries = max_retries
        self.sleep = sleep
        self.sleeps: list[float] = []
        kwargs: dict[str, Any] = {"api_key": api_key, "max_retries": 0}
        if base_url:
            kwargs["base_url"] = base_url
        if http_client is not None:
            kwargs["http_client"] = http_client
        self._client = anthropic.Anthropic(**kwargs)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> ClaudeClient:
        """A client configured from :class:`ingest.settings.Settings`."""
        return cls(
            api_key=settings.anthropic_api_key or "",
            model=settings.anthropic_model,
            base_url=settings.anthropic_base_url,
            max_retries=settings.anthropic_max_retries,
            **kwargs,
        )

    def _backoff(self, attempt: int, exc: anthropic.APIStatusError) -> float:
        wait = BACKOFF_BASE_SECONDS * (2**attempt)
        retry_after = exc.response.headers.get("retry-after") if exc.response is not None else None
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                wait = float(retry_after)
        return min(max(wait, 0.0), BACKOFF_MAX_SECONDS)

    def call_tool(
        self,
        *,
        system: str,
        cached_context: str,
        task: str,
        tool: ToolParam,
        history: Sequence[MessageParam] | None = None,
    ) -> ToolCall:
        """Force one call of ``tool`` and return its input; retries 429/529 up to ``max_retries`` times."""
        messages: list[MessageParam] = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": cached_context, "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": task},
                ],
            },
            *(history or []),
        ]
        attempt = 0
        while True:
            try:
                response = self._client.messages.create(
                    model=self.model,
                    max_tokens=MAX_TOKENS,
                    system=system,
                    messages=messages,
                    tools=[tool],
                    tool_choice={"type": "tool", "name": tool["name"]},
                )
                break
            except anthropic.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise LLMError(
                        f"Claude API error {exc.status_code} after {attempt + 1} attempt(s): {exc.message}"
                    ) from exc
                wait = self._backoff(attempt, exc)
                self.sleeps.append(wait)
                self.sleep(wait)
                attempt += 1
            except anthropic.APIConnectionError as exc:
                raise LLMError(f"cannot reach the Claude API: {exc}") from exc
        for block in response.content:
            if block.type == "tool_use" and block.name == tool["name"]:
                raw = block.input if isinstance(block.input, dict) else {}
                usage = response.usage.model_dump() if getattr(response, "usage", None) is not None else {}
                return ToolCall(
                    name=block.name,
                    input=dict(raw),
                    tool_use_id=block.id,
                    model=response.model,
                    usage=usage,
                    attempts=attempt + 1,
                )
        raise LLMError(
            f"the model answered without calling {tool['name']} (stop_reason {response.stop_reason})"
        )
