"""Execution-attempt claims: a task run twice by the engine finds its attempt taken."""

from __future__ import annotations

from collections.abc import Callable

from metalus_py.state import StateStore


def test_an_attempt_is_claimed_once(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    assert store.claim_execution_attempt(run_id=run_id, execution_key="F[3]", attempt=1, worker="a:1") is None
    assert store.claim_execution_attempt(run_id=run_id, execution_key="F[3]", attempt=1, worker="b:2") == "a:1"
    assert store.claim_execution_attempt(run_id=run_id, execution_key="F[3]", attempt=2, worker="b:2") is None
    assert store.claim_execution_attempt(run_id=run_id, execution_key="G", attempt=1, worker="b:2") is None
    assert store.execution_attempts(run_id=run_id) == {"F[3]": 2, "G": 1}


def test_attempts_go_with_their_run(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.claim_execution_attempt(run_id=run_id, execution_key="E", attempt=1, worker="a:1")
    assert store.delete_run(run_id=run_id)
    assert store.execution_attempts(run_id=run_id) == {}
