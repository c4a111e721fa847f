"""Seeded generation of the W3 input files (orders CSV and products CSV) into ``bench/work/``.

Run by the harness as ``python -m bench.data WORK_DIR ROWS`` so the harness process itself never
holds the data (its memory high-water mark would otherwise leak into its children's RSS).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported only where data is made: the harness process stays small
    import polars as pl

SEED = 20240601
CUSTOMERS = 100_000
PRODUCTS = 5_000
CATEGORIES = 20


def _uniform(rng: random.Random, count: int, modulus: int) -> pl.Series:
    """``count`` seeded integers in ``[0, modulus)`` (bytes from the Mersenne twister, no numpy needed)."""
    import polars as pl
    import pyarrow as pa

    buffer = pa.py_buffer(rng.randbytes(4 * count))
    array = pa.Array.from_buffers(pa.uint32(), count, [None, buffer])
    return (pl.Series(array).cast(pl.Int64) % modulus).rename("u")


def orders_path(work: Path, rows: int) -> Path:
    return work / f"orders_{rows}.csv"


def products_path(work: Path) -> Path:
    return work / "products.csv"


def ensure_data(work: Path, rows: int) -> tuple[Path, Path]:
    """Write the orders (``rows`` rows) and products CSVs once; return their paths."""
    import polars as pl

    work.mkdir(parents=True, exist_ok=True)
    orders, products = orders_path(work, rows), products_path(work)
    if not products.exists():
        rng = random.Random(SEED + 1)
        categories = _uniform(rng, PRODUCTS, CATEGORIES)
        frame = pl.DataFrame(
            {
                "product_id": pl.int_range(1, PRODUCTS + 1, eager=True),
                "category": categories.map_elements(lambda c: f"category_{c:02d}", return_dtype=pl.String),
            }
        )
        _write_atomically(frame, products)
    if not orders.exists():
        rng = random.Random(SEED)
        start = dt.date(2024, 1, 1)
        frame = pl.DataFrame(
            {
                "order_id": pl.int_range(1, rows + 1, eager=True),
                "customer_id": _uniform(rng, rows, CUSTOMERS) + 1,
                "product_id": _uniform(rng, rows, PRODUCTS) + 1,
                "quantity": _uniform(rng, rows, 10) + 1,
                "price": (_uniform(rng, rows, 49_901) + 100) / 100,
                "day": _uniform(rng, rows, 366),
            }
        ).select(pl.exclude("day"), order_date=pl.lit(start) + pl.duration(days=pl.col("day")))
        _write_atomically(frame, orders)
    return orders, products


def _write_atomically(frame: pl.DataFrame, path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    frame.write_csv(temporary)
    temporary.replace(path)


if __name__ == "__main__":
    for written in ensure_data(Path(sys.argv[1]), int(sys.argv[2])):
        print(written)
