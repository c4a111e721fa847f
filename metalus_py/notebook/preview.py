"""Previews of frame results: the first rows and the schema, never the whole frame.

A LazyFrame is previewed as ``lazy.head(n).collect()``, so only ``n`` rows are computed; a
recorded frame that is not loaded yet is scanned from its artifact file (or re-planned from its
stored query plan) with the same limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import pyarrow as pa

#: Rows shown per frame in the HTML view.
PREVIEW_ROWS = 5


def preview(value: Any, rows: int = PREVIEW_ROWS) -> tuple[pl.DataFrame, dict[str, str]] | None:
    """``(first rows, schema)`` of a frame value, or ``None`` when it is not a frame."""
    if isinstance(value, pl.LazyFrame):
        schema = value.collect_schema()
        return value.head(rows).collect(), {n: str(t) for n, t in schema.items()}
    if isinstance(value, pl.DataFrame):
        return value.head(rows), {n: str(t) for n, t in value.schema.items()}
    if isinstance(value, pa.Table):
        head = pl.from_arrow(value.slice(0, rows))
        assert isinstance(head, pl.DataFrame)
        return head, {f.name: str(f.type) for f in value.schema}
    return None


def preview_ref(ref: Mapping[str, Any], rows: int = PREVIEW_ROWS) -> tuple[pl.DataFrame, dict[str, str]] | None:
    """The preview of a recorded frame output, read from a local artifact file with a row limit."""
    url = ref.get("url")
    kind = str(ref.get("$type") or "")
    if ref.get("format") == "plan" and isinstance(url, str):
        from metalus_py.state import load_artifact

        return preview(load_artifact(ref), rows)  # a stored query plan: re-planned, head only
    if not isinstance(url, str) or ref.get("format") not in ("arrow", "parquet") or not kind.startswith(
        ("polars.", "pyarrow.")
    ):
        return None
    path = url[len("file://") :] if url.startswith("file://") else url
    if "://" in path:
        return None
    scan = pl.scan_ipc(path) if ref.get("format") == "arrow" else pl.scan_parquet(path)
    return preview(scan, rows)
