"""Scheduled scans: ingest what is new, compare with the last snapshot, report new concentrations.

Public API: ``run_scan(ws, paths=None, by=None, wait_seconds=0.0, drafter=None, notify=True) -> ScanReport``
(raises ``ScanBusy`` or ``SourcesError``), ``last_scans(ws, n=2) -> list[dict]``.
"""

from agent.scan.lock import ScanBusy
from agent.scan.service import ScanReport, last_scans, run_scan
from agent.scan.sources import SourcesError

__all__ = ["ScanBusy", "ScanReport", "SourcesError", "last_scans", "run_scan"]
