"""Choosing the executor from options and environment (pure: nothing starts)."""

from __future__ import annotations

import pytest

from metalus_py.base.exceptions import ApplicationError
from metalus_py.executors import ExecutorChoice, choose_executor


def test_default_is_local() -> None:
    assert choose_executor(None, None, environ={}) == ExecutorChoice("local")


def test_an_address_alone_means_dask() -> None:
    assert choose_executor(None, "tcp://h:8786", environ={}) == ExecutorChoice("dask", "tcp://h:8786")
    assert choose_executor(None, None, environ={"METALUS_DASK_SCHEDULER": "tcp://e:1"}) == ExecutorChoice(
        "dask", "tcp://e:1")


def test_environment_gives_the_default_and_options_win() -> None:
    env = {"METALUS_EXECUTOR": "dask"}
    assert choose_executor(None, None, environ=env) == ExecutorChoice("dask")
    assert choose_executor("local", None, environ=env) == ExecutorChoice("local")
    assert choose_executor("dask", None, environ={"METALUS_DASK_SCHEDULER": "tcp://e:1"}).scheduler == "tcp://e:1"


def test_bad_choices_are_explained() -> None:
    with pytest.raises(ApplicationError, match="unknown executor 'ray': expected one of local, dask"):
        choose_executor("ray", None, environ={})
    with pytest.raises(ApplicationError, match="needs --executor dask"):
        choose_executor("local", "tcp://h:1", environ={})
