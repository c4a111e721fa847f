"""Exceptions that steps raise and the engine reports.

Every public exception takes its message as the first positional argument; other details are
keyword arguments. All of them pickle (executions may run in other processes or hosts), and
carry the ids of where they happened once the engine knows them.

A step that wants to stop the flow raises one of these; any other exception a step raises is
wrapped once, at the step boundary, in :class:`StepError` (``raise StepError(...) from exc``).
"""

from __future__ import annotations

from typing import Any


class MetalusError(Exception):
    """Base of every error metalus_py raises itself."""

    #: A terminal error is never retried (``retryLimit``/``retryPolicy`` do not apply).
    terminal: bool = False

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details, dict(self.__dict__)))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[MetalusError], message: str, details: dict[str, Any], state: dict[str, Any]) -> Any:
    obj = cls.__new__(cls)
    Exception.__init__(obj, message)
    obj.__dict__.update(state)
    return obj


class PipelineException(MetalusError):
    """A pipeline step failed on purpose; the execution stops (ERROR, or STOPPED in an evaluation).

    Args:
        message: what went wrong.
        step_id, pipeline_id, execution_id, group_id: where (filled in by the engine if absent).
        cause: the underlying exception, if any.
    """

    error_type = "pipelineException"

    def __init__(
        self,
        message: str = "",
        *,
        step_id: str | None = None,
        pipeline_id: str | None = None,
        execution_id: str | None = None,
        group_id: str | None = None,
        cause: BaseException | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.step_id = step_id
        self.pipeline_id = pipeline_id
        self.execution_id = execution_id
        self.group_id = group_id
        self.cause = cause
        # The context at the failure, with the results so far (set by the flow; not pickled).
        self.context: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        state = dict(self.__dict__)
        state["context"] = None
        return (_rebuild, (type(self), self.message, self.details, state))

    def set_progress(self, *, step_id: str | None, pipeline_id: str | None) -> None:
        """Record where the exception happened, keeping what a step set itself."""
        if self.step_id is None:
            self.step_id = step_id
        if self.pipeline_id is None:
            self.pipeline_id = pipeline_id


class PauseException(PipelineException):
    """The execution pauses: its remaining pipelines and its descendants do not run."""

    error_type = "pauseException"
    terminal = True


class SkipExecutionException(PipelineException):
    """The execution is skipped (its main pipelines do not run); its children still run."""

    error_type = "skipExecutionException"
    terminal = True

    def __init__(self, message: str = "Execution should be skipped", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


#: Metalus's name for :class:`SkipExecutionException`.
SkipExecutionPipelineStepException = SkipExecutionException


class ForkedPipelineStepException(PipelineException):
    """One or more values of a fork step failed; ``exceptions`` maps value index to its error."""

    def __init__(
        self,
        message: str = "One or more errors has occurred while processing fork step:\n",
        *,
        exceptions: dict[int, BaseException] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.exceptions: dict[int, BaseException] = dict(exceptions or {})

    def __str__(self) -> str:
        return self.message + "".join(
            f" Execution {index}: {_message_of(error)}\n" for index, error in sorted(self.exceptions.items())
        )


class SplitStepException(PipelineException):
    """One or more paths of a split step failed; ``exceptions`` maps the path's first step id to its error."""

    def __init__(
        self,
        message: str = "One or more errors has occurred while processing split step:\n",
        *,
        exceptions: dict[str, BaseException] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.exceptions: dict[str, BaseException] = dict(exceptions or {})

    def __str__(self) -> str:
        return self.message + "".join(
            f" Split Step {root}: {_message_of(error)}\n" for root, error in self.exceptions.items()
        )


class StepError(PipelineException):
    """Wraps an exception raised by a step function (the original is ``cause`` and ``__cause__``)."""

    @classmethod
    def wrap(cls, exc: BaseException, *, step_id: str | None, pipeline_id: str | None) -> StepError:
        error = cls(f"{type(exc).__name__}: {exc}", step_id=step_id, pipeline_id=pipeline_id, cause=exc)
        error.__cause__ = exc
        return error


class StepKilledException(PipelineException):
    """The step (or run) was killed from outside; never retried."""

    error_type = "killed"
    terminal = True


class StepDefinitionError(PipelineException):
    """A step or pipeline definition is unusable at run time (bad type, unknown function, ...)."""

    terminal = True


class MappingError(PipelineException):
    """A parameter could not be mapped or converted to its declared type."""


class ApplicationError(MetalusError):
    """The application file (or its parameters) is invalid; nothing ran."""

    terminal = True


def _message_of(error: BaseException) -> str:
    return error.message if isinstance(error, MetalusError) else str(error)
