"""One settings object for the whole product (environment prefix ``UNDERSTUDY_``)."""

from __future__ import annotations

import contextlib
import os
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = ".understudy"
"""Workspace folder used when neither ``--home`` nor ``$UNDERSTUDY_HOME`` is given."""


class Settings(BaseSettings):
    """Everything configurable; nothing else in the code reads ``os.environ``."""

    model_config = SettingsConfigDict(env_prefix="UNDERSTUDY_", extra="ignore")

    home: Path = Field(default=Path(DEFAULT_HOME), description="Workspace folder holding all state.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite inside the workspace."
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); default is a PersistentClient."
    )
    chroma_collection: str = Field(
        default="chunks",
        description="Chroma collection name; give each workspace its own on a shared server.",
    )
    embedding_model: str | None = Field(
        default=None,
        description="sentence-transformers model name or path; default is the bundled all-MiniLM-L6-v2.",
    )
    embedding_backend: str = Field(
        default="torch",
        description=(
            "Embedding backend: torch (default), onnx or onnx-int8 (ONNX Runtime on a local export), "
            "static (a token table distilled locally), openvino. An index records the backend it was "
            "built with and refuses another."
        ),
    )
    embedding_batch_size: int = Field(default=64, description="Texts per encode call.")
    read_child_min_bytes: int | None = Field(
        default=None,
        description="Source-group size (bytes) from which facts are parsed in a child process; 0 always, unset never (see ingest.childread).",
    )
    org_timezone: str = Field(default="UTC", description="IANA zone used when a person has none configured.")
    anthropic_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("UNDERSTUDY_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
    )
    anthropic_model: str = Field(default="claude-sonnet-4-5", description="Claude model for drafting.")
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("UNDERSTUDY_ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL"),
        description="Messages API base URL, for gateways.",
    )
    anthropic_max_retries: int = Field(default=4, description="Retries with backoff on 429/529.")
    webhook_url: str | None = Field(default=None, description="Slack incoming-webhook URL for scan findings.")
    review_url: str = Field(
        default="http://127.0.0.1:8501", description="Link to the review queue in reports."
    )
    offline: bool = Field(default=False, description="Force the offline drafter even when a key is set.")
    reviewer_token: str | None = Field(
        default=None,
        description="A reviewer's personal token: the CLI decides and confirms as that reviewer (for scripts).",
    )

    @cached_property
    def home_path(self) -> Path:
        """The workspace folder, absolute."""
        return self.home.expanduser().resolve()

    @property
    def sqlite_path(self) -> Path:
        return self.home_path / "understudy.db"

    @property
    def db_url(self) -> str:
        """The facts-and-ledger database URL."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def chroma_path(self) -> Path:
        return self.home_path / "chroma"

    @property
    def checkpoint_path(self) -> Path:
        return self.home_path / "checkpoints.db"

    @property
    def exports_path(self) -> Path:
        return self.home_path / "exports"

    @property
    def reports_path(self) -> Path:
        return self.home_path / "reports"

    @property
    def quarantine_path(self) -> Path:
        return self.home_path / "quarantine"

    @property
    def use_llm(self) -> bool:
        """Whether drafting goes to Claude (a key is set and offline is not forced)."""
        return bool(self.anthropic_api_key) and not self.offline


def load_settings(home: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment, with ``home`` (from ``--home``) taking precedence."""
    if home is not None:
        overrides["home"] = Path(home)
    return Settings(**overrides)  # type: ignore[arg-type]


def ensure_workspace(settings: Settings) -> Path:
    """Create the workspace folder (owner-only permissions) and return it."""
    home = settings.home_path
    old = os.umask(0o077)
    try:
        home.mkdir(parents=True, exist_ok=True)
        for sub in (settings.exports_path, settings.reports_path, settings.quarantine_path):
            sub.mkdir(parents=True, exist_ok=True)
    finally:
        # files made later (SQLite WAL/SHM, Chroma, checkpoints, exports, logs) must be owner-only too:
        # keep the process umask at least as strict as 077 (found by tests/reliability).
        os.umask(old | 0o077)
    with contextlib.suppress(OSError):
        home.chmod(0o700)
    return home
