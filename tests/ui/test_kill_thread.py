"""The monitor's background kill thread when the monitor stops under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from metalus_py.state import open_store
from metalus_py.state.errors import StoreClosedError
from metalus_py.ui.api import enforce_kill


def test_a_monitor_stopping_while_it_enforces_a_kill_ends_the_kill_thread_quietly(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    assert store is not None
    store.create_run(run_id="r1", application_id="a", application_json="{}", parameters={})
    store.close()
    enforce_kill(store, "r1", None, 0.0)  # no StoreClosedError escapes the thread
    with pytest.raises(StoreClosedError):
        store.get_run(run_id="r1")
