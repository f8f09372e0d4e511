"""Business, off-hours and sleep-hours bands in each person's own time zone, computed inside SQL.

Activities are stored in UTC. A zone's UTC offset is constant between its DST transitions, so for
every zone in use we find its transitions over the data's time span in Python (zoneinfo, cheap) and
turn them into a SQL ``CASE`` that gives each row its offset from its epoch second. Local minute of
day and day of week are then integer arithmetic that SQLite and PostgreSQL evaluate alike, so the
band of a million activities is classified by the database, not by Python.

:func:`hour_band_expr` is the same classification for a map over many rows: the offset is chosen by
comparing the timestamp column with each transition (no per-row date parsing), the epoch is computed
once, and the band is read from a 168-character table indexed by the local hour of the week (the
bands' edges are whole local hours).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, Integer, String, case, cast, extract, func, literal

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


def _period_case(epoch: Any, periods: list[tuple[int, int]], ts_col: Any = None) -> Any:
    if len(periods) == 1:
        return literal(periods[0][1], Integer)

    def before(i: int) -> Any:
        if ts_col is None:
            return epoch < periods[i + 1][0]
        return ts_col < datetime.fromtimestamp(periods[i + 1][0], UTC)

    whens = [(before(i), literal(periods[i][1], Integer)) for i in range(len(periods) - 1)]
    return case(*whens, else_=literal(periods[-1][1], Integer))


def offset_expr(
    epoch: Any,
    zone_col: Any,
    zones: set[str | None],
    org_zone: str,
    start: datetime,
    end: datetime,
    ts_col: Any = None,
) -> Any:
    """SQL: the UTC offset in seconds of each row, by its person's zone (``zone_col``) and time.

    With ``ts_col`` (the timestamp column ``epoch`` is computed from) the transitions are found by comparing it with
    timestamps rather than ``epoch`` with seconds: the same offsets, without converting every row.
    """
    org = zone_or_none(org_zone) or ZoneInfo("UTC")
    org_case = _period_case(epoch, offset_periods(org, start, end), ts_col)
    whens: dict[str, Any] = {}
    for name in sorted(z for z in zones if z):
        zone = zone_or_none(name)
        if zone is None or name == org_zone:
            continue
        whens[name] = _period_case(epoch, offset_periods(zone, start, end), ts_col)
    if not whens:
        return org_case
    # CASE zone WHEN ... : the zone is read once per row, not once per zone compared
    return case(whens, value=zone_col, else_=org_case)


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


HOURS_PER_WEEK = 168
"""Local hours in a week: the size of :func:`week_hour_bands`."""


def _band_at(weekday: int, minute: int) -> int:
    """The band of a local weekday (Monday 0) and minute of day (the rule band_expr and band_of share)."""
    if weekday < 5 and BUSINESS_START_HOUR * 60 <= minute < BUSINESS_END_HOUR * 60:
        return BUSINESS
    if minute >= SLEEP_START_HOUR * 60 or minute < BUSINESS_START_HOUR * 60:
        return SLEEP
    return OFF_HOURS


def week_hour_bands() -> str:
    """Band codes as digits, one per local hour of the week counted from Thursday 00:00 (as epoch hours are)."""
    return "".join(str(_band_at((h // 24 + EPOCH_WEEKDAY) % 7, (h % 24) * 60)) for h in range(HOURS_PER_WEEK))


def hour_band_expr(epoch: Any, offset: Any) -> Any:
    """SQL: the band code of each row, read from :func:`week_hour_bands` at its local hour of the week."""
    hour_of_week = cast(((epoch + offset) // 3600) % HOURS_PER_WEEK + 1, Integer)
    return cast(func.substr(literal(week_hour_bands(), String), hour_of_week, 1), Integer)


PACK_BASE = 1_000_000
"""Radix of :func:`packed_band_expr`'s sums: each count packed must stay below it (a million rows per group)."""


def packed_band_expr(epoch: Any, offset: Any) -> Any:
    """SQL: one integer per row whose sum is off + sleep·PACK_BASE (band computed once, from the 168-hour
    table: a short string, since SQLite's ``substr`` walks a text from its start on every row).

    Unpack a group's sum with :func:`unpack_bands`.
    """
    band = hour_band_expr(epoch, offset)
    return case(
        (band == OFF_HOURS, literal(1, BigInteger)),
        (band == SLEEP, literal(PACK_BASE, BigInteger)),
        else_=literal(0, BigInteger),
    )


def unpack_bands(total: int) -> tuple[int, int]:
    """(off-hours events, sleep events) from a sum of :func:`packed_band_expr`."""
    sleep, off = divmod(int(total), PACK_BASE)
    return off, sleep


def band_of(ts: datetime, zone_name: str | None, org_zone: str = "UTC") -> int:
    """The band of one aware timestamp in a zone (the Python reference the SQL is tested against)."""
    zone = zone_or_none(zone_name) or zone_or_none(org_zone) or ZoneInfo("UTC")
    local = ts.astimezone(zone)
    return _band_at(local.weekday(), local.hour * 60 + local.minute)
