"""The facts phase collects garbage less often, and leaves the collector as it found it."""

from __future__ import annotations

import gc

import pytest

from ingest.pipeline import GC_YOUNG_THRESHOLD, fewer_collections


def test_thresholds_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        inside = gc.get_threshold()
    assert inside == (max(GC_YOUNG_THRESHOLD, before[0]), *before[1:])
    assert gc.get_threshold() == before


def test_restored_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_a_higher_threshold_is_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD * 2, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD * 2
    finally:
        gc.set_threshold(*before)
