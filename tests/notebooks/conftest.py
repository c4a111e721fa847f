"""Notebook tests record their runs in a store of their own (never ``.metalus/`` of the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_state_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "metalus-state" / "state.db"
    monkeypatch.setenv("METALUS_STATE", str(path))
    return path
