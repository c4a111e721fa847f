"""Times and durations of schedules: ISO 8601 instants, ``7d``-style durations, the injectable clock."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, tzinfo

__all__ = ["Clock", "format_tick", "parse_duration", "parse_instant", "utc_iso"]

_DURATION = re.compile(r"(\d+)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_instant(text: str, default_zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime (no offset: in ``default_zone``).

    Raises:
        ValueError: not ISO 8601.
    """
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_zone)
    return value.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``1d12h``, ``30m``, ``2w``, ``90s`` as a timedelta.

    Raises:
        ValueError: anything else.
    """
    cleaned = text.strip()
    parts = _DURATION.findall(cleaned)
    if not cleaned or _DURATION.sub("", cleaned).strip():
        raise ValueError(f"expected a duration such as 7d, 12h, 1d12h, 30m or 2w, got {text!r}")
    return timedelta(seconds=sum(int(n) * _UNITS[u.lower()] for n, u in parts))


def format_tick(instant: datetime) -> str:
    """A tick time as stored and as the ``scheduledTime`` global: ``2024-03-10T07:00:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_iso(instant: datetime) -> str:
    """An instant as ISO 8601 UTC with microseconds (cursor values)."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


class Clock:
    """Now, possibly shifted and sped up: ``start`` is "now" when created; it runs ``speed`` times faster.

    Args:
        start: the clock's first reading (default: the real time).
        speed: how many clock seconds pass per real second.
    """

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self.speed = float(speed)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """The clock's current reading (aware, UTC)."""
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    def real_seconds(self, clock_seconds: float) -> float:
        """How long ``clock_seconds`` of this clock last in real time."""
        return clock_seconds / self.speed
