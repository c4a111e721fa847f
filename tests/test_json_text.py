"""Indented JSON for documents: the same JSON the standard library writes, fallbacks included."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from metalus_py.base.json_text import dumps_indented


@dataclass
class Point:
    x: int


def test_same_json_as_the_standard_library() -> None:
    value = {
        "text": "héllo \"quoted\" \n",
        "numbers": [1, 2.5, -0.0, 10**15, True, None],
        "nested": {"a": {"b": [{"c": "d"}]}},
        "empty": {},
        "nothing": [],
        3: "a non-string key",
    }
    text = dumps_indented(value)
    assert json.loads(text) == json.loads(json.dumps(value, indent=2, default=str))
    assert text.splitlines()[1].startswith('  "text"')  # two-space indent


def test_values_json_cannot_hold_become_their_str() -> None:
    when = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
    value = {"when": when, "point": Point(1), "path": Path("/tmp/x"), "set": {1}}
    assert json.loads(dumps_indented(value)) == json.loads(json.dumps(value, indent=2, default=str))


def test_integers_beyond_64_bits_fall_back_to_the_standard_encoder() -> None:
    value = {"big": 2**80}
    assert json.loads(dumps_indented(value)) == {"big": 2**80}
