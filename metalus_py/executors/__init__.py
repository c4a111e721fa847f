"""Where execution instances run: ``local`` (threads of this process) or ``dask`` (a cluster).

The planner (:mod:`metalus_py.plan.runner`) decides what is ready; an :class:`Executor` opens an
:class:`~metalus_py.plan.runner.ExecutionBackend` for one run that runs each ready instance.
To add an executor, implement :class:`Executor` (``name``, ``open_backend``, ``close``).
"""

from __future__ import annotations

from metalus_py.executors.choice import (
    EXECUTOR_CHOICES,
    Executor,
    ExecutorChoice,
    WorkerSetupError,
    choose_executor,
    executor_scope,
    make_executor,
)
from metalus_py.executors.local import LocalBackend, LocalExecutor

__all__ = [
    "EXECUTOR_CHOICES",
    "Executor",
    "ExecutorChoice",
    "LocalBackend",
    "LocalExecutor",
    "WorkerSetupError",
    "choose_executor",
    "executor_scope",
    "make_executor",
]
