"""Fixtures for the standard step library tests: a clean ``memory://`` filesystem and sample frames."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import fsspec
import polars as pl
import pytest

# Make the repository root importable when pytest is run as a script (not ``python -m pytest``).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


@pytest.fixture(autouse=True)
def clean_memory_fs() -> Iterator[fsspec.AbstractFileSystem]:
    """Empty the process-wide ``memory://`` filesystem before and after each test."""
    memory = fsspec.filesystem("memory")
    memory.store.clear()
    memory.pseudo_dirs.clear()
    memory.pseudo_dirs.append("")
    yield memory
    memory.store.clear()
    memory.pseudo_dirs.clear()
    memory.pseudo_dirs.append("")


@pytest.fixture
def orders() -> pl.DataFrame:
    """Six orders of three customers."""
    return pl.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5, 6],
            "customer_id": [10, 20, 10, 30, 20, 10],
            "amount": [5.0, 15.5, 20.0, 7.25, 30.0, 1.0],
            "status": ["open", "closed", "open", "open", "closed", "open"],
        }
    )


@pytest.fixture
def customers() -> pl.DataFrame:
    """Three customers (30 has no region)."""
    return pl.DataFrame(
        {"customer_id": [10, 20, 30], "name": ["Ann", "Bob", "Cy"], "region": ["EU", "US", None]}
    )


@pytest.fixture(params=["local", "memory"])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A directory URL on local disk (``tmp_path``) or on the ``memory://`` filesystem."""
    return str(tmp_path / "data") if request.param == "local" else "memory://data"
