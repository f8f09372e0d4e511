"""The adapter interface and the registry of source kinds.

An adapter knows one source format and nothing about heroes.  It is handed every
file (or folder) of its kind in one call, so a dataset saved as several pages is
read as one, and yields :class:`~ingest.records.Record` objects, or
:class:`~ingest.records.Problem` objects for what it cannot read (the pipeline
quarantines those and goes on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import ijson
import orjson

from ingest.records import Problem, Record


@dataclass
class ReadContext:
    """What an adapter may know about the run."""

    name: str | None = None  # --name: the repository scope for git
    org_timezone: str = "UTC"
    options: dict[str, Any] = field(default_factory=dict)


class Adapter:
    """One source kind. Subclasses set ``kind`` and implement ``sniff`` and ``read``."""

    kind: ClassVar[str] = ""
    folder: ClassVar[bool] = False  # True when a unit is a folder (git repo, Slack export)

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """Whether this adapter claims ``path`` (``shape`` is the JSON outline for .json files)."""
        raise NotImplementedError

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Yield the records (and problems) found in ``paths``, all of this kind."""
        raise NotImplementedError


@dataclass
class Shape:
    """The outline of a JSON file, read from its first bytes without loading it."""

    top: str  # 'object' or 'array'
    keys: list[str]  # top-level keys seen (objects), in order
    item_keys: list[str]  # keys of the first object of the first array (top array or first array value)


def json_shape(path: Path, max_events: int = 4000) -> Shape | None:
    """Outline a JSON file by streaming its first events; None if it is not JSON (remembered within a run)."""
    if _SHAPES is None:
        return _read_shape(path, max_events)
    key = (str(path), max_events)
    if key not in _SHAPES:
        _SHAPES[key] = _read_shape(path, max_events)
    return _SHAPES[key]


_SHAPES: dict[tuple[str, int], Shape | None] | None = None
"""File outlines of the current run (discovery outlines every JSON file; the adapter reading it asks again)."""


@contextmanager
def remembered_shapes() -> Iterator[None]:
    """Within the block, each file is outlined once (an ingest run: its files do not change under it)."""
    global _SHAPES
    outer = _SHAPES
    _SHAPES = {} if outer is None else outer
    try:
        yield
    finally:
        _SHAPES = outer


def shapes_of(paths: list[Path]) -> dict[tuple[str, int], Shape | None]:
    """The outlines this run remembers of ``paths`` (to hand to a reader in another process)."""
    wanted = {str(p) for p in paths}
    return {k: v for k, v in (_SHAPES or {}).items() if k[0] in wanted}


def remember_shapes(shapes: dict[tuple[str, int], Shape | None]) -> None:
    """Remember outlines read elsewhere in this run (inside :func:`remembered_shapes`)."""
    if _SHAPES is not None:
        _SHAPES.update(shapes)


def _read_shape(path: Path, max_events: int) -> Shape | None:
    """The outline from the file's first ``max_events`` + 2 parser events."""
    try:
        with path.open("rb") as fh:
            events = islice(ijson.parse(fh), max_events + 2)
            top = ""
            keys: list[str] = []
            item_keys: list[str] = []
            item_prefix = ""
            in_first_item = False
            for n, (prefix, event, value) in enumerate(events):
                if n == 0:
                    if event == "start_map":
                        top = "object"
                    elif event == "start_array":
                        top, item_prefix = "array", "item"
                    else:
                        return None
                    continue
                if top == "object" and event == "map_key" and prefix == "":
                    keys.append(value)
                    item_prefix = f"{value}.item"
                if not item_prefix or prefix != item_prefix:
                    continue
                if event == "start_map" and not item_keys:
                    in_first_item = True
                elif in_first_item and event == "map_key":
                    item_keys.append(value)
                elif in_first_item and event == "end_map":
                    in_first_item = False
                    if top == "array":
                        break
                    if item_keys:  # the outline is whole but for later top-level keys
                        keys.extend(v for p, e, v in events if e == "map_key" and p == "")
                        break
            return Shape(top=top, keys=keys, item_keys=item_keys)
    except (ijson.JSONError, UnicodeDecodeError, ValueError, OSError):
        return None


LONG_DIGITS = 19
"""Digits in a row that may be an integer beyond 64 bits, which orjson reads as a float (``json`` and ijson
keep it an integer): input holding such a run takes the standard parsers."""

_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ZERO_RUN = b"0" * LONG_DIGITS


def has_long_digits(data: bytes) -> bool:
    """Whether ``data`` holds :data:`LONG_DIGITS` ASCII digits in a row (``re.search(rb"[0-9]{19,}")``).

    Every digit is mapped to ``0`` and the run searched for as a substring: two passes in C over the
    bytes, where the regular expression starts a match at every digit (JSON exports are full of digits:
    ids, timestamps, counts) and took longer than orjson's whole parse of the same file."""
    return _ZERO_RUN in data.translate(_DIGITS_AS_ZERO)


WHOLE_FILE_MAX_BYTES = 16 << 20
"""Files up to this size are parsed whole by orjson (a few times faster than streaming); larger ones stream
through ijson, so an export of any size is read in bounded memory."""


_NOT_PARSED = object()
"""What :func:`_orjson_value` returns for input it leaves to the standard parsers."""


def _orjson_value(data: bytes) -> Any:
    """orjson's value of ``data`` where it is the standard parsers' value too, else :data:`_NOT_PARSED`.

    Whatever orjson refuses (broken JSON, UTF-16 or a byte-order mark, ``NaN``, lone surrogates, numbers
    out of range) and any input holding an integer that might exceed 64 bits (:func:`has_long_digits`) is
    left to them."""
    if has_long_digits(data):
        return _NOT_PARSED
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _NOT_PARSED


def json_value(data: bytes) -> Any:
    """``json.loads(data)``, parsed by orjson where that gives the same value (about three times faster);
    the rest (see :func:`_orjson_value`) is parsed by ``json`` itself, so values and errors are ``json``'s."""
    value = _orjson_value(data)
    return json.loads(data) if value is _NOT_PARSED else value


def _at_prefix(doc: Any, prefix: str) -> list[Any]:
    """What ``ijson.items(…, prefix)`` yields from the parsed document ``doc``: map keys and ``item``
    (every element of an array), joined by dots."""
    nodes = [doc]
    for part in prefix.split("."):
        found: list[Any] = []
        for node in nodes:
            if isinstance(node, dict):
                if part in node:
                    found.append(node[part])
            elif isinstance(node, list) and part == "item":
                found.extend(node)
        nodes = found
    return nodes


def iter_json_items(path: Path, prefix: str) -> Iterator[Any]:
    """Stream the items of the array at ``prefix`` ('item' for a top-level array, 'incidents.item' ...).

    A file up to :data:`WHOLE_FILE_MAX_BYTES` that orjson parses to the same values (see :func:`_orjson_value`)
    is parsed whole; any other file, broken ones included, streams through ijson from its start, so
    the items before a parse error and the error itself are ijson's. (One difference: a top-level key
    repeated in one object yields only its last array whole, where ijson streams every one.)"""
    if path.stat().st_size <= WHOLE_FILE_MAX_BYTES:
        doc = _orjson_value(path.read_bytes())
        if doc is not _NOT_PARSED:
            yield from _at_prefix(doc, prefix)
            return
    with path.open("rb") as fh:
        yield from ijson.items(fh, prefix, use_float=True)


def load_json(path: Path) -> Any:
    """Load a small JSON file (users lists, day files of a chat export)."""
    return json_value(path.read_bytes())


REGISTRY: dict[str, Adapter] = {}


def register(adapter_cls: type[Adapter]) -> type[Adapter]:
    """Class decorator: make an adapter available to ``--source`` and auto-detection."""
    REGISTRY[adapter_cls.kind] = adapter_cls()
    return adapter_cls


ADAPTER_MODULES = ("slack", "pagerduty", "opsgenie", "jira", "github", "git", "markdown", "oncall", "deploys")
"""Modules under ``ingest.adapters`` that register an adapter each."""


def load_all() -> dict[str, Adapter]:
    """Import every adapter module so they register; return the registry."""
    import importlib

    for name in ADAPTER_MODULES:
        importlib.import_module(f"ingest.adapters.{name}")
    return REGISTRY
