"""Indented JSON text for documents that can be large (result documents, ``show --json``).

The standard library's encoder falls back to pure Python as soon as ``indent`` is given, which
made writing the result document of a big run cost as much as the run's own step loop. orjson
writes the same JSON (two-space indent, values it cannot encode passed to ``str``) many times
faster; the standard encoder remains the fallback for what orjson refuses (integers beyond 64
bits, for one).
"""

from __future__ import annotations

import json
from typing import Any


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
