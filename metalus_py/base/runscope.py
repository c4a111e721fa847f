"""The process-wide changes a run needs, undone when the last run of the process ends.

A run puts the step-package folders on ``sys.path``, stamps log records with the running ids
(the log-record factory), relaxes the garbage collector and remembers secret values for
redaction. :func:`run_scope` makes each of them last only while a run is active: scopes are
ref-counted (nested runs, concurrent runs in threads), and the last one to end restores what
the first one found.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import ParamSpec, TypeVar

from metalus_py.base.gctuning import relaxed_gc
from metalus_py.base.logcontext import record_ids
from metalus_py.base.secrets import secrets_scope

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_stack: contextlib.ExitStack | None = None
_added: list[str] = []


def step_paths() -> list[str]:
    """The folders step packages are imported from: the current directory and ``METALUS_STEPS_PATH``.

    The application's own folder never is (DESIGN §14): a file cannot bring the code it runs.
    """
    extra = [p for p in os.environ.get("METALUS_STEPS_PATH", "").split(os.pathsep) if p]
    return [os.path.abspath(p) for p in [os.getcwd(), *reversed(extra)]]


def _add_paths(paths: Sequence[str]) -> None:
    for path in paths:
        if path not in sys.path:
            sys.path.insert(0, path)
            _added.append(path)


def _remove_added() -> None:
    for path in _added:
        with contextlib.suppress(ValueError):
            sys.path.remove(path)
    _added.clear()


@contextlib.contextmanager
def run_scope(paths: Sequence[str] | None = None) -> Iterator[None]:
    """Within the block: ``paths`` (default :func:`step_paths`) importable, log records stamped with
    the running ids, a relaxed garbage collector, secret values remembered. The last scope of the
    process to end puts back ``sys.path`` entries it added, the log-record factory, the collector's
    thresholds and freeze state, and the remembered secrets as the first scope found them.
    """
    global _depth, _stack
    with _lock:
        if _depth == 0:
            stack = contextlib.ExitStack()
            stack.enter_context(relaxed_gc())
            stack.enter_context(record_ids())
            stack.enter_context(secrets_scope())
            stack.callback(_remove_added)
            _stack = stack
        _depth += 1
        _add_paths(step_paths() if paths is None else paths)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _stack is not None:
                stack, _stack = _stack, None
                stack.close()


def active() -> bool:
    """Whether a run scope is open in this process."""
    return _depth > 0


def in_run_scope(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate an entry point that runs applications: its whole call is one :func:`run_scope`."""

    @functools.wraps(function)
    def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        with run_scope():
            return function(*args, **kwargs)

    return scoped
