"""Business, off-hours and sleep-hours bands in each person's own time zone, computed inside SQL.

Activities are stored in UTC. A zone's UTC offset is constant between its DST transitions, so for
every zone in use we find its transitions over the data's time span in Python (zoneinfo, cheap) and
turn them into a SQL ``CASE`` that gives each row its offset from its epoch second. Local minute of
day and day of week are then integer arithmetic that SQLite and PostgreSQL evaluate alike, so the
band of a million activities is classified by the database, not by Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, Integer, case, cast, extract, literal

from agent.analytics.rules import BUSINESS_END_HOUR, BUSINESS_START_HOUR, SLEEP_START_HOUR

BUSINESS, OFF_HOURS, SLEEP = 0, 1, 2
"""Band codes: business hours, off-hours (evenings, weekend days), sleep hours (22-08)."""

BAND_NAMES = {BUSINESS: "business", OFF_HOURS: "off_hours", SLEEP: "sleep"}

EPOCH_WEEKDAY = 3
"""1970-01-01 was a Thursday: weekday 3 when Monday is 0."""


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset(zone: ZoneInfo, epoch: int) -> int:
    off = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def offset_periods(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(from_epoch, offset_seconds)...] covering start..end: the zone's offset and where each one begins."""
    lo = int((start - timedelta(days=2)).timestamp())
    hi = int((end + timedelta(days=2)).timestamp())
    periods = [(lo, _offset(zone, lo))]
    step = 6 * 3600
    t = lo
    while t < hi:
        nxt = min(t + step, hi)
        if _offset(zone, nxt) != periods[-1][1]:
            a, b = t, nxt  # offset at a is the old one, at b the new one: bisect to the second
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == periods[-1][1]:
                    a = mid
                else:
                    b = mid
            periods.append((b, _offset(zone, b)))
        t = nxt
    return periods


def epoch_seconds(ts_col: Any) -> Any:
    """Seconds since 1970 of a naive-UTC timestamp column, as a SQL integer (SQLite and PostgreSQL)."""
    return cast(extract("epoch", ts_col), BigInteger)


def _period_case(epoch: Any, periods: list[tuple[int, int]]) -> Any:
    if len(periods) == 1:
        return literal(periods[0][1], Integer)
    whens = [(epoch < periods[i + 1][0], literal(periods[i][1], Integer)) for i in range(len(periods) - 1)]
    return case(*whens, else_=literal(periods[-1][1], Integer))


def offset_expr(
    epoch: Any, zone_col: Any, zones: set[str | None], org_zone: str, start: datetime, end: datetime
) -> Any:
    """SQL: the UTC offset in seconds of each row, by its person's zone (``zone_col``) and time."""
    org = zone_or_none(org_zone) or ZoneInfo("UTC")
    org_case = _period_case(epoch, offset_periods(org, start, end))
    whens = []
    for name in sorted(z for z in zones if z):
        zone = zone_or_none(name)
        if zone is None or name == org_zone:
            continue
        whens.append((zone_col == name, _period_case(epoch, offset_periods(zone, start, end))))
    if not whens:
        return org_case
    return case(*whens, else_=org_case)


def band_expr(epoch: Any, offset: Any) -> Any:
    """SQL: the band code (BUSINESS, OFF_HOURS, SLEEP) of each row from its epoch and UTC offset."""
    local_minutes = (epoch + offset) // 60
    minute_of_day = local_minutes % 1440
    weekday = (local_minutes // 1440 + EPOCH_WEEKDAY) % 7
    return case(
        (
            (weekday < 5)
            & (minute_of_day >= BUSINESS_START_HOUR * 60)
            & (minute_of_day < BUSINESS_END_HOUR * 60),
            literal(BUSINESS, Integer),
        ),
        (
            (minute_of_day >= SLEEP_START_HOUR * 60) | (minute_of_day < BUSINESS_START_HOUR * 60),
            literal(SLEEP, Integer),
        ),
        else_=literal(OFF_HOURS, Integer),
    )


def band_of(ts: datetime, zone_name: str | None, org_zone: str = "UTC") -> int:
    """The band of one aware timestamp in a zone (the Python reference the SQL is tested against)."""
    zone = zone_or_none(zone_name) or zone_or_none(org_zone) or ZoneInfo("UTC")
    local = ts.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if local.weekday() < 5 and BUSINESS_START_HOUR * 60 <= minute < BUSINESS_END_HOUR * 60:
        return BUSINESS
    if minute >= SLEEP_START_HOUR * 60 or minute < BUSINESS_START_HOUR * 60:
        return SLEEP
    return OFF_HOURS
