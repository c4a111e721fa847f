"""One real ``LocalCluster(processes=True)`` of 2 workers shared by the executor tests.

The cluster is started once per test process (module ``tests/executors``) with Dask's own
retries off (``distributed.scheduler.allowed-failures=0``), as ``metalus`` starts its own. Its
workers are spawned after ``tests/stepsrc`` is on ``sys.path``, so they import the test steps.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1",
            silence_logs=logging.ERROR, env={"POLARS_MAX_THREADS": "1"},
        )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_client(dask_cluster: Any) -> Iterator[Any]:
    client = distributed.Client(dask_cluster.scheduler_address, set_as_default=False)
    try:
        client.wait_for_workers(2, timeout=240)
        yield client
    finally:
        client.close()


def worker_pids(client: Any) -> set[int]:
    return set(client.run(os.getpid).values())


from tests.durable.conftest import metalus, sqlite_metalus  # noqa: E402,F401  (the command line on SQLite/PostgreSQL)
