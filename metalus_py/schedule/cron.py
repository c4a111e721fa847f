"""Cron expressions read in a time zone, with Debian cron's daylight-saving rules (via ``cronsim``).

* A fixed time that does not exist on a spring-forward day fires right after the change
  (``30 2 * * *`` fires at 03:00 on that day).
* A fixed time that occurs twice on a fall-back day (``30 1 * * *``) fires once, at the first.
* An expression with a wildcard minute or hour (``30 * * * *``) fires in both repeated hours.

Every tick is returned as an aware UTC datetime; a tick is identified by that instant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from cronsim import CronSim, CronSimError

__all__ = ["check_cron", "latest_ticks", "next_ticks", "normalize", "ticks_between"]

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

#: How far back ``latest_ticks`` looks when nothing bounds it (covers a yearly Feb-29 expression).
_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=32),
            timedelta(days=367), timedelta(days=4 * 366 + 1))


def normalize(expression: str) -> str:
    """The 5-field form of an expression (macros expanded)."""
    text = " ".join(expression.split())
    return _MACROS.get(text.lower(), text)


def check_cron(expression: str) -> str | None:
    """What is wrong with an expression, or ``None`` when it is a valid 5-field cron expression."""
    text = normalize(expression)
    if text.startswith("@"):
        return f"unknown macro {expression.strip()!r} (use one of {', '.join(sorted(_MACROS))})"
    if len(text.split()) != 5:
        return (f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(text.split())} "
                f"in {expression!r}")
    try:
        CronSim(text, datetime(2000, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError) as exc:
        return f"invalid cron expression {expression!r}: {exc}"
    return None


def ticks_between(expression: str, zone: tzinfo, after: datetime, until: datetime) -> Iterator[datetime]:
    """Ticks ``t`` with ``after < t <= until``, in order, as UTC datetimes."""
    after_utc, until_utc = after.astimezone(UTC), until.astimezone(UTC)
    if until_utc <= after_utc:
        return
    iterator = CronSim(normalize(expression), after_utc.astimezone(zone).replace(microsecond=0))
    for local in iterator:
        tick = local.astimezone(UTC)
        if tick > until_utc:
            return
        if tick > after_utc:  # a naive fall-back walk may yield a time before the start: never again
            yield tick


def next_ticks(expression: str, zone: tzinfo, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` ticks strictly after ``after``."""
    found: list[datetime] = []
    for tick in ticks_between(expression, zone, after, after + timedelta(days=4 * 366 + 1)):
        found.append(tick)
        if len(found) >= count:
            break
    return found


def latest_ticks(
    expression: str, zone: tzinfo, until: datetime, count: int, after: datetime | None = None
) -> tuple[list[datetime], bool]:
    """The most recent ``count`` ticks in ``(after, until]``, oldest first.

    Searches backwards in growing windows, so a long gap of a frequent expression costs no more
    than ``count`` ticks. Without ``after`` the search stops about four years back.

    Returns:
        ``(ticks, more)``: ``more`` is true when older ticks exist in the range beyond those.
    """
    until_utc = until.astimezone(UTC)
    for window in _WINDOWS:
        start = until_utc - window
        bounded = after is not None and start <= after.astimezone(UTC)
        if bounded:
            assert after is not None
            start = after.astimezone(UTC)
        recent: deque[datetime] = deque(maxlen=count)
        total = 0
        for tick in ticks_between(expression, zone, start, until_utc):
            recent.append(tick)
            total += 1
        if total >= count or bounded or window is _WINDOWS[-1]:
            return list(recent), total > count or (not bounded and total >= count)
    raise AssertionError("unreachable")
