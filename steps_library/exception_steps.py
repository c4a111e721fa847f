"""Steps that stop, skip or pause an execution (``ExceptionSteps``), as in Metalus.

In an evaluation pipeline, ``throw_skip_execution_exception`` makes the execution SKIPPED (its
children still run) and ``throw_pipeline_exception`` makes it STOPPED; in a main pipeline the
latter fails it. ``pause`` and ``error`` record a step message on the context instead of
raising: the engine checks messages when the pipeline ends (PAUSED, or ERROR).
"""

from __future__ import annotations

from typing import Any, NoReturn

from metalus_py.base.exceptions import PauseException, PipelineException, SkipExecutionException


def throw_skip_execution_exception(message: str = "Execution should be skipped") -> NoReturn:
    """Skip the current execution (``SkipExecutionException``); its children still run.

    Args:
        message: why the execution is skipped.
    """
    raise SkipExecutionException(message)


def throw_pipeline_exception(
    message: str, cause: Any = None, step_id_override: str | None = None
) -> NoReturn:
    """Fail the pipeline with a ``PipelineException`` (STOP when raised by an evaluation pipeline).

    Args:
        message: why.
        cause: the underlying exception, or a text describing it.
        step_id_override: report this step id instead of the raising step's.
    """
    error = cause if isinstance(cause, BaseException) or cause is None else Exception(str(cause))
    exception = PipelineException(message, step_id=step_id_override, cause=error)
    if error is not None:
        raise exception from error
    raise exception


def throw_pause_exception(message: str = "Execution paused") -> NoReturn:
    """Pause the execution at once with a ``PauseException``.

    Args:
        message: why the execution pauses.
    """
    raise PauseException(message)


def pause(message: str, pipeline_context: Any) -> str:
    """Record a pause message: the execution pauses when this pipeline ends.

    Args:
        message: why the execution pauses.
        pipeline_context: the live context.

    Returns:
        The message.
    """
    pipeline_context.add_step_message(message, "pause")
    return message


def error(message: str, pipeline_context: Any) -> str:
    """Record an error message: the execution fails (ERROR) when this pipeline ends.

    Args:
        message: what went wrong.
        pipeline_context: the live context.

    Returns:
        The message.
    """
    pipeline_context.add_step_message(message, "error")
    return message


class ExceptionSteps:
    """Skip, stop, pause or fail an execution (Metalus's ExceptionSteps plus pause/error messages)."""

    throw_skip_execution_exception = staticmethod(throw_skip_execution_exception)
    throw_pipeline_exception = staticmethod(throw_pipeline_exception)
    throw_pause_exception = staticmethod(throw_pause_exception)
    pause = staticmethod(pause)
    error = staticmethod(error)
