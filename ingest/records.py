"""What an adapter produces: pydantic records that cross the boundary into storage.

An adapter reads files of one source kind and yields :class:`Record` objects (or
:class:`Problem` objects for input it cannot read).  A record is the unit of
replacement: when a record's content changes, its old activities, chunks,
incidents and shifts are removed and the new ones stored.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _encode_ascii
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, Field, field_validator

_NEGATIVE_EXPONENT = re.compile(rb"[0-9]e-[0-9]")
"""A float such as ``1e-7`` in orjson's output, which Python's ``json`` writes as ``1e-07``."""

_FLOAT_FORMS = re.compile(rb"[0-9][eE][-+]?[0-9]|[0-9]\.0000")
"""Any number orjson may write unlike Python's ``json``: an exponent (``1e-7``; an integer beyond 64 bits,
which orjson reads as a float) or a float below 1e-4 written without one (``0.00001``, ``1e-05`` in ``json``)."""

SOURCE_KINDS = ("slack", "pagerduty", "opsgenie", "jira", "github", "git", "markdown", "oncall", "deploys")
"""The source kinds of DESIGN.md, in the order ``--source`` lists them."""


class PersonRef(BaseModel):
    """One observation of an identity in a source (a Slack user, a git author, a PagerDuty user...)."""

    source: str = Field(description="Source kind the observation comes from.")
    key: str | None = Field(
        default=None, description="Source-local id: Slack U-id, PagerDuty user id, login."
    )
    name: str | None = None
    email: str | None = None
    handle: str | None = Field(default=None, description="Chat or forge handle without '@'.")
    is_bot: bool = False
    timezone: str | None = Field(default=None, description="IANA zone if the source knows it.")
    links: list[str] = Field(default_factory=list, description="Further aliases explicitly linked (mailmap).")

    def label(self) -> str:
        return self.name or self.email or self.handle or self.key or "?"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return value


class ActivityIn(BaseModel):
    """A person did something in a scope at a time."""

    person: PersonRef
    scope: str
    action: str
    ts: datetime
    incident: str | None = Field(default=None, description="Incident key this activity belongs to.")
    detail: dict[str, Any] = Field(default_factory=dict)
    chunk_locator: str | None = Field(default=None, description="Locator of the chunk that evidences this.")

    _check_ts = field_validator("ts")(_aware)


TIME_UNKNOWN = "time_unknown"
"""``ActivityIn.detail`` key, true when the source does not give the activity's time of day: a document's act
timed by a bare date (midnight) or, with no date at all, by its file. Analysis decides what such a time may
count for (``agent.analytics.metrics``: never for off-hours or sleep load)."""


class ChunkIn(BaseModel):
    """A unit of text to embed: a chat thread, a document section, an incident with its log."""

    text: str
    kind: str = Field(description="chat_thread, postmortem, runbook, incident, ticket, commit, note ...")
    locator: str = Field(description="Where in the source the text sits, unique within the record.")
    scope: str | None = None
    title: str | None = None
    ts: datetime | None = None


class IncidentIn(BaseModel):
    """An incident as a fact: for rescue detection, severity and classes."""

    key: str
    scope: str
    title: str
    severity: str | None = Field(default=None, description="Normalised: critical, high, medium, low.")
    created_at: datetime
    resolved_at: datetime | None = None
    status: str | None = None
    chunk_locator: str | None = None

    _check_ts = field_validator("created_at")(_aware)


class ShiftIn(BaseModel):
    """An on-call shift."""

    person: PersonRef
    schedule: str
    scope: str | None = None
    level: int = 1
    start: datetime
    end: datetime

    _check_start = field_validator("start", "end")(_aware)


class DocumentIn(BaseModel):
    """Knowledge documents (runbooks, postmortems): who wrote and who last changed them matters."""

    doc_kind: str = Field(description="runbook or postmortem (or note).")
    title: str
    path: str
    authors: list[PersonRef] = Field(default_factory=list)
    last_editor: PersonRef | None = None
    updated_at: datetime | None = None
    scope: str | None = None


class Record(BaseModel):
    """The unit an adapter yields and storage replaces as a whole."""

    kind: str = Field(description="Source kind.")
    key: str = Field(description="Stable key, unique within the kind (e.g. 'incident:PABC123').")
    path: str = Field(description="The file the record came from (first one if several).")
    title: str | None = None
    occurred_at: datetime | None = None
    people: list[PersonRef] = Field(default_factory=list, description="Directory entries (users lists).")
    activities: list[ActivityIn] = Field(default_factory=list)
    chunks: list[ChunkIn] = Field(default_factory=list)
    incidents: list[IncidentIn] = Field(default_factory=list)
    shifts: list[ShiftIn] = Field(default_factory=list)
    document: DocumentIn | None = None

    def content_hash(self) -> str:
        """A hash of everything in the record; unchanged hash means nothing to redo.

        The hash is of the record's canonical JSON (keys sorted, compact, ASCII-escaped). orjson writes
        the same bytes about five times faster whenever its output is plain ASCII with no DEL and no
        float in exponent form below one (where the two differ). Output with DEL or non-ASCII characters,
        which orjson leaves raw, is escaped as the standard library escapes them (:func:`ascii_escaped`)
        when it holds no number the two could write differently (:data:`_FLOAT_FORMS`). Otherwise the
        standard library writes it.

        orjson reads the record's models' fields directly (:func:`_plain_fields`), which spares pydantic's
        JSON-mode conversion (half the hash's time on a commit); a value it cannot take that way goes
        through pydantic as before. One corner differs from the canonical JSON: a datetime nested in a
        free-form value (an activity's ``detail``) whose UTC offset is not whole minutes (local mean time,
        before 1900 in most zones) has its offset rounded, not truncated. The hash is still one per
        content; such a record, if any, is stored again once after an upgrade.
        """
        blob = b""  # when no writer can (lone surrogates, integers beyond 64 bits): json writes it below
        for write in _ORJSON_WRITERS:
            try:
                blob = write(self)
                break
            except (TypeError, ValueError):
                continue
        # the pattern needs "e-": a substring test (a fast byte search) first spares most blobs the regex
        if (
            blob
            and (blob.isascii() and b"\x7f" not in blob)
            and not (b"e-" in blob and _NEGATIVE_EXPONENT.search(blob))
        ):
            pass  # the bytes json writes
        elif blob and not _FLOAT_FORMS.search(blob):
            blob = ascii_escaped(blob)
        else:
            payload = self.model_dump(mode="json")
            blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
        return hashlib.sha256(blob).hexdigest()


_PLAIN_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_DATACLASS
"""orjson's options for :meth:`Record.content_hash`'s first try: pydantic writes a zero UTC offset as ``Z``."""

_PLAIN_MODELS = (PersonRef, ActivityIn, ChunkIn, IncidentIn, ShiftIn, DocumentIn, Record)
"""The record models: no aliases, serializers or computed fields, so pydantic's JSON mode is their fields."""

_DATETIME_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(
        name for name, info in cls.model_fields.items() if info.annotation in (datetime, datetime | None)
    )
    for cls in _PLAIN_MODELS
}
"""Each record model's datetime fields, whose offsets :func:`_plain_fields` checks."""


def _plain_fields(obj: object) -> dict[str, Any]:
    """orjson's ``default`` for a record model inside a record: its fields as they are.

    Raises ``TypeError`` (the hash then goes through pydantic) for anything else orjson cannot write
    (sets, bytes, paths, other models) and for a datetime field whose UTC offset is not whole minutes
    (local mean time before standard time), which pydantic truncates and orjson rounds. orjson writes
    what pydantic's JSON mode gives for the rest: strings, numbers, lists, tuples, dicts with string keys,
    datetimes (``Z`` for UTC, by ``OPT_UTC_Z``), dates, UUIDs and enums."""
    fields = _DATETIME_FIELDS.get(type(obj))
    if fields is None:
        raise TypeError(type(obj).__name__)
    values: dict[str, Any] = obj.__dict__
    for name in fields:
        value = values[name]
        if value is not None and value.tzinfo is not None:
            offset = value.utcoffset()
            if offset is not None and (offset.seconds % 60 or offset.microseconds):
                raise TypeError("offset not in whole minutes")
    return values


_ORJSON_WRITERS: tuple[Callable[[Record], bytes], ...] = (
    # the record's own values straight to orjson, where they are what pydantic's JSON mode gives
    lambda rec: orjson.dumps(rec, default=_plain_fields, option=_PLAIN_OPTIONS),
    # the JSON-mode values model_dump_json writes, without writing and re-reading them
    lambda rec: orjson.dumps(
        rec.__pydantic_serializer__.to_python(rec, mode="json"), option=orjson.OPT_SORT_KEYS
    ),
    # what orjson cannot take from Python: as the first form of the hash went
    lambda rec: orjson.dumps(orjson.loads(rec.model_dump_json()), option=orjson.OPT_SORT_KEYS),
)
"""The ways :meth:`Record.content_hash` asks orjson for the canonical JSON, fastest first; each one that
raises ``TypeError`` or ``ValueError`` hands over to the next."""


def _json_escapes(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a run of non-ASCII characters as ``json``'s ``\\uXXXX`` escapes."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return _encode_ascii(exc.object[exc.start : exc.end])[1:-1], exc.end


codecs.register_error("understudy.json_escapes", _json_escapes)


def ascii_escaped(blob: bytes) -> bytes:
    """orjson's JSON output as Python's ``json.dumps`` (``ensure_ascii=True``) writes the same value.

    The two differ only in the characters orjson leaves raw inside strings: DEL and everything beyond
    ASCII, which ``json`` writes as lower-case ``\\uXXXX`` escapes (surrogate pairs beyond the BMP).
    Those never occur outside a string, and a run of them holds no quote, backslash or control
    character, so ``json``'s own string escaper gives exactly its escapes for each run.
    """
    text = blob.decode("utf-8")
    if "\x7f" in text:
        text = text.replace("\x7f", "\\u007f")
    return text.encode("ascii", "understudy.json_escapes")


ModelT = TypeVar("ModelT", bound=BaseModel)

_FIELD_DEFAULTS: dict[type[BaseModel], tuple[tuple[str, Any, Any], ...]] = {}


def trusted(cls: type[ModelT], **values: Any) -> ModelT:
    """``cls(**values)`` without validation: the same instance (fields in order, defaults, fields set).

    Only for values an adapter built itself already of the fields' types (strings it formatted, aware
    datetimes it parsed, lists and dicts it owns and no longer changes), where validation could neither
    fail nor change anything; it costs more than the rest of building a commit's record."""
    defaults = _FIELD_DEFAULTS.get(cls)
    if defaults is None:
        defaults = _FIELD_DEFAULTS[cls] = tuple(
            (name, info.default_factory, info.default) for name, info in cls.model_fields.items()
        )
    data = {}
    for name, factory, default in defaults:
        if name in values:
            data[name] = values[name]
        else:
            data[name] = factory() if factory is not None else default
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", data)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class Problem(BaseModel):
    """Input that could not be read: quarantined with a one-line reason."""

    path: str
    reason: str
    record: str | None = Field(default=None, description="The record within the file, where known.")

    def line(self) -> str:
        where = f"{self.path}" + (f" [{self.record}]" if self.record else "")
        return f"{where}: {self.reason}"


SLUG_CACHE = 1 << 16
"""Distinct texts whose slug is remembered (service, folder and channel names repeat across records)."""


@lru_cache(maxsize=SLUG_CACHE)
def slug(text: str) -> str:
    """Lower-case slug for scope names: 'Payments API' -> 'payments-api'."""
    out: list[str] = []
    prev_dash = False
    for ch in text.strip().lower():
        if ch.isalnum():
            out.append(ch)
            prev_dash = False
        elif not prev_dash:
            out.append("-")
            prev_dash = True
    return "".join(out).strip("-") or "unknown"


def file_hash(path: Path, bufsize: int = 1 << 20) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(bufsize):
            h.update(chunk)
    return h.hexdigest()
