"""The output timestamp form: ``iso`` formats each second once and must print what datetime prints."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from metalus_py.base.timestamps import epoch, iso


def _datetime_form(ts: float) -> str:
    return datetime.fromtimestamp(round(ts, 3), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_iso_prints_what_datetime_prints_at_every_millisecond_boundary() -> None:
    rng = random.Random(16)
    base = 1_764_750_545.0
    values = [rng.uniform(0, 4e9) for _ in range(20_000)]
    values += [base + ms / 1000 + nudge for ms in range(1000) for nudge in (0.0, 1e-7, -1e-7, 0.0004999, 0.0005)]
    values += [0.0, 0.9995, 0.9994999, 86_399.9996, base + 0.9999]
    assert [iso(v) for v in values] == [_datetime_form(v) for v in values]


def test_iso_reads_back_to_the_same_text() -> None:
    text = iso(1_764_750_545.1234)
    assert text == "2025-12-03T08:29:05.123Z"
    assert iso(epoch(text)) == text
    assert iso(None) is None
