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


def test_loads_reads_what_the_standard_library_reads() -> None:
    from metalus_py.base.json_text import loads

    texts = [
        '{"a": 1, "a": 2, "b": [1.5, -0.0, 1e2, "\\u00e9", null, true]}',
        '{"big": 123456789012345678901234567890, "neg": -98765432109876543210}',
        '{"fraction": 0.1234567890123456789012}',
        '{"nan": NaN, "inf": Infinity}',
        '["\\ud800"]',
        '{"max64": 9223372036854775807, "min64": -9223372036854775808}',
        "[" * 200 + "]" * 200,
    ]
    filler = '"' + "x" * 40_000 + '"'  # large enough for orjson to be used
    for text in [*texts, *(f"[{t}, {filler}]" for t in texts)]:
        expected = json.loads(text)
        got = loads(text)
        assert json.dumps(got) == json.dumps(expected), text
        assert type(got) is type(expected)
    assert type(loads(f'[{{"big": 123456789012345678901234567890}}, {filler}]')[0]["big"]) is int


def test_loads_gives_the_standard_syntax_error() -> None:
    import pytest

    from metalus_py.base.json_text import loads

    filler = "x" * 40_000
    for text in ('{\n  "a": 1,\n  "b": }', f'{{\n  "a": "{filler}",\n  "b": }}'):
        with pytest.raises(json.JSONDecodeError) as caught:
            loads(text)
        assert (caught.value.lineno, caught.value.colno) == (3, 8)
