"""Choosing an executor from options and the environment (``--executor``, ``--dask-scheduler``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from metalus_py.base.exceptions import ApplicationError, MetalusError

if TYPE_CHECKING:
    from metalus_py.plan.runner import ExecutionBackend
    from metalus_py.plan.setup import PreparedApplication
    from metalus_py.steps.runtime import RunServices

class WorkerSetupError(MetalusError):
    """The workers cannot run this application (e.g. a step package does not import there).

    The run is recorded FAILED (exit 1) and can be resumed once the workers are fixed.
    """


#: The accepted ``--executor`` values.
EXECUTOR_CHOICES = ("local", "dask")


class Executor(Protocol):
    """Opens one backend per run; ``close`` releases what it holds (a cluster it started)."""

    name: str

    def open_backend(
        self, prepared: PreparedApplication, services: RunServices, durable: Any = None
    ) -> ExecutionBackend: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ExecutorChoice:
    """The executor asked for: its name and, for ``dask``, the scheduler address (``None``: a LocalCluster)."""

    name: str = "local"
    scheduler: str | None = None


def choose_executor(
    executor: str | None = None, scheduler: str | None = None, environ: Mapping[str, str] | None = None
) -> ExecutorChoice:
    """Options first, then ``METALUS_EXECUTOR`` / ``METALUS_DASK_SCHEDULER``; an address alone means dask.

    Raises:
        ApplicationError: an unknown executor name, or ``local`` given together with an address.
    """
    env = os.environ if environ is None else environ
    address = (scheduler or "").strip() or None
    name = (executor or "").strip().lower() or None
    if name is None:
        env_address = (env.get("METALUS_DASK_SCHEDULER") or "").strip() or None
        address = address or env_address
        name = (env.get("METALUS_EXECUTOR") or "").strip().lower() or ("dask" if address else "local")
    elif address is None:
        address = (env.get("METALUS_DASK_SCHEDULER") or "").strip() or None if name == "dask" else None
    if name not in EXECUTOR_CHOICES:
        raise ApplicationError(f"unknown executor {name!r}: expected one of {', '.join(EXECUTOR_CHOICES)}")
    if name == "local" and scheduler:
        raise ApplicationError(f"--dask-scheduler {scheduler} needs --executor dask (not local)")
    return ExecutorChoice(name, address if name == "dask" else None)


def secret_environment(parameters: Mapping[str, Any]) -> dict[str, str]:
    """``METALUS_CREDENTIAL_<NAME>`` variables for the parameters a task would carry redacted.

    Only for worker processes metalus starts itself on this host (a LocalCluster).
    """
    import re

    from metalus_py.base.secrets import redact_secrets

    found: dict[str, str] = {}
    for name, value in parameters.items():
        if isinstance(value, str) and redact_secrets({name: value})[name] != value:
            found["METALUS_CREDENTIAL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()] = str.__str__(value)
    return found


def make_executor(
    choice: ExecutorChoice, *, workers: int | None = None, parameters: Mapping[str, Any] | None = None
) -> Executor:
    """Build (and for dask, connect) the executor of a choice.

    Raises:
        ApplicationError: the dask scheduler cannot be reached (naming its address).
    """
    if choice.name == "dask":
        try:
            from metalus_py.executors.dask import DaskExecutor
        except ImportError as exc:
            raise ApplicationError(f"--executor dask needs dask.distributed: pip install 'metalus_py[dask]' ({exc})") from exc
        return DaskExecutor(choice.scheduler, workers=workers, secrets=secret_environment(parameters or {}))
    from metalus_py.executors.local import LocalExecutor

    return LocalExecutor()


@contextmanager
def executor_scope(
    executor: str | Executor | ExecutorChoice | None, *, workers: int | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Iterator[Executor]:
    """The executor to use for one run: a name or choice is built here and closed after."""
    if executor is None or isinstance(executor, str | ExecutorChoice):
        choice = executor if isinstance(executor, ExecutorChoice) else choose_executor(executor)
        built = make_executor(choice, workers=workers, parameters=parameters)
        try:
            yield built
        finally:
            built.close()
    else:
        yield executor
