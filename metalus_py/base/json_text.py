"""JSON for documents that can be large: application files read, result documents written.

:func:`loads` reads with orjson where it gives exactly what ``json.loads`` gives: orjson turns
integers beyond 64 bits into floats and refuses ``NaN`` and lone surrogates, so text with a long
run of digits, or text orjson refuses, goes to the standard parser (which also words every
syntax error with its line and column).

:func:`dumps_indented`: the standard library's encoder falls back to pure Python as soon as
``indent`` is given, which made writing the result document of a big run cost as much as the
run's own step loop. orjson writes the same JSON (two-space indent, values it cannot encode
passed to ``str``) many times faster; the standard encoder remains the fallback for what orjson
refuses (integers beyond 64 bits, for one).
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A run of digits orjson might not read as ``json`` does (a big integer, a long fraction).
_LONG_DIGITS = re.compile(r"\d{19,}")
#: Below this many characters the standard parser is as quick, and orjson is not worth importing.
_ORJSON_FROM = 32_768


def loads(text: str) -> Any:
    """``json.loads(text)``, parsed by orjson when the text is large and the result is sure to be the same."""
    if len(text) >= _ORJSON_FROM and _LONG_DIGITS.search(text) is None:
        import orjson  # on first use, as below

        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # the standard parser decides: it accepts NaN and lone surrogates, and words the error
    return json.loads(text)


def dumps_indented(value: Any) -> str:
    """``json.dumps(value, indent=2, default=str)``, without its pure-Python cost."""
    import orjson  # on first use: it imports uuid and platform, which a run without a document never needs

    options = (
        orjson.OPT_INDENT_2
        | orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )
    try:
        return orjson.dumps(value, default=str, option=options).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, indent=2, default=str)
