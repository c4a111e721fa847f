"""StringSteps, LoggingSteps, FlowSteps and ExceptionSteps."""

from __future__ import annotations

import logging
from typing import Any

import polars as pl
import pytest

from metalus_py.base.exceptions import PauseException, PipelineException, SkipExecutionException
from steps_library import ExceptionSteps, FlowSteps, FlowUtilsSteps, LoggingSteps, StringSteps


class FakeContext:
    """The part of the pipeline context the steps use."""

    def __init__(self, globals_: dict[str, Any] | None = None) -> None:
        self.globals = dict(globals_ or {})
        self.messages: list[tuple[str, str]] = []

    def add_step_message(self, message: str, kind: str) -> None:
        self.messages.append((message, kind))


def test_string_basics() -> None:
    assert StringSteps.to_string(True) == "true"
    assert StringSteps.to_string(None) == "None"
    assert StringSteps.to_string(12) == "12"
    assert StringSteps.list_to_string([1, "a", False]) == "1afalse"
    assert StringSteps.list_to_string([1, 2], separator=", ") == "1, 2"
    assert StringSteps.concat(["a", None, 3], "-") == "a-3"
    assert StringSteps.to_upper_case("abc") == "ABC"
    assert StringSteps.to_lower_case("AbC") == "abc"
    assert StringSteps.substring("abcdef", 1, 3) == "bc"
    assert StringSteps.substring("abcdef", 2) == "cdef"
    assert StringSteps.replace("a-b-c", "-", "+") == "a+b+c"
    assert StringSteps.replace("a1b22c", r"(\d+)", r"<\1>", regex=True) == "a<1>b<22>c"
    # ``new`` defaults to "" (removal): an empty string value in a step param maps to None.
    assert StringSteps.replace("data/sales_2024-01-02.csv", "^.*sales_|[.]csv$", regex=True) == "2024-01-02"


def test_format_string() -> None:
    assert StringSteps.format_string("{table}_{day}.csv", {"table": "orders", "day": "2024-01-01"}) == (
        "orders_2024-01-01.csv"
    )
    assert StringSteps.format_string("{}-{}", ["a", "b"]) == "a-b"
    assert StringSteps.format_string("{0}!", "x") == "x!"
    assert StringSteps.format_string("plain") == "plain"


def test_splits() -> None:
    assert StringSteps.string_split("a,b,,c,,", ",") == ["a", "b", "", "c"]
    assert StringSteps.string_split("a1b22c", r"\d+") == ["a", "b", "c"]
    assert StringSteps.string_split("a,b,c", ",", limit=2) == ["a", "b,c"]
    assert StringSteps.string_split("a,b,,", ",", limit=-1) == ["a", "b", "", ""]
    assert StringSteps.split(" a , b ,c", ",", strip=True) == ["a", "b", "c"]
    assert StringSteps.split("a.b", ".") == ["a", "b"]


def test_string_branch_helpers() -> None:
    assert StringSteps.string_equals("Abc", "abc") is False
    assert StringSteps.string_equals("Abc", "abc", case_insensitive=True) is True
    assert StringSteps.string_matches("2024-01-01", r"\d{4}-\d{2}-\d{2}") is True
    assert StringSteps.string_matches("x2024-01-01", r"\d{4}-\d{2}-\d{2}") is False


def test_log_message_levels_and_masking(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="steps_library.LoggingSteps"):
        assert LoggingSteps.log_message("hello", "warn") == "hello"
        LoggingSteps.log_message("connecting to postgresql://me:topsecret@db:5432/x", "INFO")
        LoggingSteps.log_message("trace me", "TRACE")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "hello"),
        (logging.INFO, "connecting to postgresql://me:***@db:5432/x"),
        (logging.DEBUG, "trace me"),
    ]
    with pytest.raises(PipelineException, match="unknown level"):
        LoggingSteps.log_message("x", "LOUD")


def test_compare_and_compare_values() -> None:
    assert FlowSteps.compare(1, 1) == "equal"
    assert FlowSteps.compare("a", "A") == "not_equal"
    assert FlowSteps.compare("a", "A", case_insensitive=True) == "equal"
    assert FlowSteps.compare([1, 2], [1, 2]) == "equal"
    assert FlowSteps.compare_values(1, 2) == "less"
    assert FlowSteps.compare_values("10", 9) == "greater"
    assert FlowSteps.compare_values("b", "b") == "equal"
    with pytest.raises(PipelineException, match="cannot order"):
        FlowSteps.compare_values("x", 1)


def test_is_empty_and_count(orders: pl.DataFrame) -> None:
    for empty in (
        None,
        "",
        [],
        {},
        orders.clear(),
        orders.lazy().filter(pl.col("amount") < 0),
        orders.to_arrow()[:0],
    ):
        assert FlowSteps.is_empty(empty) == "true", empty
    for full in ("x", [0], {"a": 1}, orders, orders.lazy(), 0, False):
        assert FlowSteps.is_empty(full) == "false", full
    assert FlowSteps.count(orders) == 6
    assert FlowSteps.count(orders.lazy().filter(pl.col("status") == "open")) == 4
    assert FlowSteps.count(orders.to_arrow()) == 6
    assert FlowSteps.count([1, 2, 3]) == 3


def test_sleep_returns_seconds() -> None:
    assert FlowSteps.sleep(0) == 0.0
    assert FlowSteps.sleep(-1) == -1.0


def test_simple_retry_counts_in_globals() -> None:
    first = FlowUtilsSteps.simple_retry("tries", 2, FakeContext())
    assert (first.primary_return, first.named_returns) == ("retry", {"$globals.tries": 1})
    second = FlowSteps.simple_retry("tries", 2, FakeContext({"tries": 1}))
    assert (second.primary_return, second.named_returns) == ("retry", {"$globals.tries": 2})
    third = FlowSteps.simple_retry("tries", 2, FakeContext({"tries": 2}))
    assert (third.primary_return, third.named_returns) == ("stop", {"$globals.tries": 2})


def test_exception_steps() -> None:
    with pytest.raises(SkipExecutionException, match="nothing new"):
        ExceptionSteps.throw_skip_execution_exception("nothing new")
    with pytest.raises(SkipExecutionException, match="Execution should be skipped"):
        ExceptionSteps.throw_skip_execution_exception()
    with pytest.raises(PipelineException) as raised:
        ExceptionSteps.throw_pipeline_exception("stop here", cause="disk full", step_id_override="CHECK")
    assert raised.value.message == "stop here"
    assert raised.value.step_id == "CHECK"
    assert str(raised.value.cause) == "disk full"
    original = ValueError("bad")
    with pytest.raises(PipelineException) as chained:
        ExceptionSteps.throw_pipeline_exception("wrapped", cause=original)
    assert chained.value.cause is original and chained.value.__cause__ is original
    with pytest.raises(PauseException, match="wait"):
        ExceptionSteps.throw_pause_exception("wait")


def test_pause_and_error_add_step_messages() -> None:
    context = FakeContext()
    assert ExceptionSteps.pause("waiting for approval", context) == "waiting for approval"
    ExceptionSteps.error("bad input", pipeline_context=context)
    assert context.messages == [("waiting for approval", "pause"), ("bad input", "error")]
