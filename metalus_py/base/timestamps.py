"""The one timestamp form of every output: ISO-8601 UTC with milliseconds and ``Z``.

``2026-05-01T12:00:00.123Z`` appears in the result document, events, ``metalus show``,
``metalus runs`` (text and ``--json``) and the web monitor's JSON API. The state store keeps
its own sortable microsecond form internally; :func:`iso_text` converts it on the way out.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache


def iso(ts: float | None) -> str | None:
    """Epoch seconds as the output timestamp (``None`` stays ``None``).

    Rounded to the millisecond, so a timestamp read back (:func:`epoch`) prints the same again.
    """
    if ts is None:
        return None
    # As datetime.fromtimestamp(round(ts, 3)) then isoformat(timespec="milliseconds"), with the
    # date and time of day formatted once per second (a result document holds thousands).
    fraction, seconds = math.modf(round(ts, 3))
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    elif micros < 0:
        seconds, micros = seconds - 1, micros + 1_000_000
    return f"{_second(int(seconds))}.{micros // 1000:03d}Z"


@lru_cache(maxsize=256)
def _second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "")


def parse(text: str) -> datetime:
    """Any ISO-8601 timestamp (``Z`` or ``+00:00``) as an aware datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def epoch(text: str | None) -> float | None:
    """An ISO-8601 timestamp as epoch seconds (``None`` stays ``None``)."""
    return parse(text).timestamp() if text else None


def iso_text(text: str | None) -> str | None:
    """A stored timestamp (any ISO-8601 form) in the output form."""
    return iso(epoch(text)) if text else None


def duration(start: float | None, end: float | None) -> float | None:
    """Seconds from ``start`` to ``end`` as every output shows them (rounded to microseconds)."""
    if start is None or end is None:
        return None
    return round(end - start, 6)
