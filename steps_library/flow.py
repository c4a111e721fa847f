"""Flow helpers for branch steps (``FlowSteps``): comparisons, emptiness, counts, retry, sleep.

Branch steps match their primary return against the names of their ``result`` parameters,
so these steps return short words: ``equal``/``not_equal``, ``less``/``equal``/``greater``,
``true``/``false``, ``retry``/``stop``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.response import StepResponse


def compare(left: Any, right: Any, case_insensitive: bool = False) -> str:
    """Compare two values for equality: ``"equal"`` or ``"not_equal"``.

    Args:
        left: the first value.
        right: the second value.
        case_insensitive: compare strings ignoring case.
    """
    if case_insensitive and isinstance(left, str) and isinstance(right, str):
        return "equal" if left.casefold() == right.casefold() else "not_equal"
    return "equal" if left == right else "not_equal"


def compare_values(left: Any, right: Any) -> str:
    """Order two values: ``"less"``, ``"equal"`` or ``"greater"`` (numeric strings compare as numbers).

    Args:
        left: the first value.
        right: the second value.
    """

    def number(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value

    a, b = number(left), number(right)
    try:
        return "less" if a < b else "greater" if a > b else "equal"
    except TypeError as error:
        raise PipelineException(f"compare_values: cannot order {left!r} and {right!r}") from error


def is_empty(value: Any) -> str:
    """Whether a value is empty: ``"true"`` for None, ``""``, empty collections and frames with no rows.

    Args:
        value: any value; a LazyFrame is counted with a ``len`` query.
    """
    if value is None:
        return "true"
    rows = _frame_rows(value)
    if rows is not None:
        return "true" if rows == 0 else "false"
    try:
        return "true" if len(value) == 0 else "false"
    except TypeError:
        return "false"


def count(data_frame: Any) -> int:
    """Number of rows of a frame (or items of a list).

    Args:
        data_frame: a DataFrame, LazyFrame (counted with a ``len`` query), Arrow table or list.
    """
    rows = _frame_rows(data_frame)
    return len(data_frame) if rows is None else rows


def _frame_rows(value: Any) -> int | None:
    """Rows of a polars or Arrow frame, ``None`` for any other value.

    Neither library is imported to tell: a frame exists only once its library has been imported.
    """
    pl, pa = sys.modules.get("polars"), sys.modules.get("pyarrow")
    is_polars = pl is not None and isinstance(value, pl.DataFrame | pl.LazyFrame)
    if not is_polars and (pa is None or not isinstance(value, pa.Table)):
        return None
    from steps_library._frames import row_count

    return row_count(value)


def sleep(seconds: float) -> float:
    """Wait for a number of seconds.

    Args:
        seconds: how long to wait (fractions allowed).

    Returns:
        The seconds slept.
    """
    time.sleep(max(0.0, float(seconds)))
    return float(seconds)


def simple_retry(counter_name: str, max_retries: int, pipeline_context: Any) -> StepResponse:
    """Decide ``"retry"`` (and count it in a global) or ``"stop"`` once the count reaches ``max_retries``.

    Args:
        counter_name: the global holding the count of retries so far.
        max_retries: the most retries allowed.
        pipeline_context: the live context (read for the counter's value).

    Returns:
        ``"retry"`` or ``"stop"``; named return ``$globals.<counter_name>`` with the new count.
    """
    current = int((getattr(pipeline_context, "globals", None) or {}).get(counter_name) or 0)
    decision = "retry" if current < int(max_retries) else "stop"
    return StepResponse(
        decision, {f"$globals.{counter_name}": current + 1 if decision == "retry" else current}
    )


#: The answers these steps give, so the step catalogue offers them as branch steps with one
#: ``result`` parameter per answer.
compare.branch_results = ("equal", "not_equal")  # type: ignore[attr-defined]
compare_values.branch_results = ("less", "equal", "greater")  # type: ignore[attr-defined]
is_empty.branch_results = ("true", "false")  # type: ignore[attr-defined]
simple_retry.branch_results = ("retry", "stop")  # type: ignore[attr-defined]


class FlowSteps:
    """Comparison and branch helpers, counts, retry decisions and sleep."""

    compare = staticmethod(compare)
    compare_values = staticmethod(compare_values)
    is_empty = staticmethod(is_empty)
    count = staticmethod(count)
    sleep = staticmethod(sleep)
    simple_retry = staticmethod(simple_retry)
