"""Step claims and completions: one statement on the common path; PostgreSQL commit modes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from metalus_py.state import ClaimOutcome, StateStore, StepStatus, open_store
from metalus_py.state.errors import StateError
from tests.state.conftest import drop_schema, postgres_url_or_skip


def _count_transactions(store: StateStore) -> list[bool]:
    """Record every multi-statement transaction the store opens (``write`` flag of each)."""
    opened: list[bool] = []
    original: Callable[..., AbstractContextManager[Any]] = store._transaction  # type: ignore[attr-defined]

    def counting(*, write: bool) -> AbstractContextManager[Any]:
        opened.append(write)
        return original(write=write)

    store._transaction = counting  # type: ignore[attr-defined]
    return opened


def test_new_step_is_claimed_and_completed_without_a_transaction_block(
    store: StateStore, make_run: Callable[..., str]
) -> None:
    run_id = make_run()
    assert store.acquire_lease(run_id=run_id, owner="me", ttl_seconds=60).acquired
    opened = _count_transactions(store)
    claim = store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S", owner="me")
    assert claim.outcome is ClaimOutcome.CLAIMED and claim.record is not None
    assert claim.record.attempts == 1 and claim.record.owner == "me"
    done = store.complete_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S", owner="me")
    assert done.status is StepStatus.COMPLETE
    assert opened == []  # one statement each, no BEGIN ... COMMIT around them


def test_claim_refused_on_the_short_path_falls_back_to_the_locked_decision(
    store: StateStore, make_run: Callable[..., str]
) -> None:
    run_id = make_run()
    assert store.acquire_lease(run_id=run_id, owner="other", ttl_seconds=60).acquired
    opened = _count_transactions(store)
    claim = store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S", owner="me")
    assert claim.outcome is ClaimOutcome.HELD and claim.holder == "other"
    assert opened == [True]
    assert store.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S") is None


def test_retry_of_a_failed_step_is_claimed_again(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    key = {"run_id": run_id, "execution_key": "E", "pipeline_id": "P", "step_path": "S"}
    store.claim_step(**key, owner="me")
    store.fail_step(**key, owner="me", error={"type": "X", "message": "boom"})
    again = store.claim_step(**key, owner="me")
    assert again.outcome is ClaimOutcome.CLAIMED and again.record is not None
    assert again.record.attempts == 2 and again.record.error is None


@pytest.fixture
def pg_schema_url() -> Iterator[tuple[str, str]]:
    url = postgres_url_or_skip()
    schema = f"metalus_test_{uuid.uuid4().hex[:12]}"
    try:
        yield url, schema
    finally:
        drop_schema(url, schema)


def _setting(store: StateStore, name: str) -> str:
    conn = store._connections.get()  # type: ignore[attr-defined]
    row = conn.execute(f"SHOW {name}").fetchone()
    return str(row[0])


def test_postgres_step_writes_are_asynchronous_by_default_and_transactions_wait(
    pg_schema_url: tuple[str, str],
) -> None:
    url, schema = pg_schema_url
    sep = "&" if "?" in url else "?"
    store = open_store(f"{url}{sep}schema={schema}")
    assert store is not None
    try:
        assert _setting(store, "synchronous_commit") == "off"
        with store._transaction(write=True) as tx:  # type: ignore[attr-defined]
            assert tx.one("SHOW synchronous_commit") == ("on",)
        # Visible to another session at once, though not waited for.
        store.create_run(run_id="r1", application_id="a", application_json="{}", parameters={})
        store.claim_step(run_id="r1", execution_key="E", pipeline_id="P", step_path="S", owner="me")
        other = open_store(f"{url}{sep}schema={schema}")
        assert other is not None
        try:
            seen = other.get_step(run_id="r1", execution_key="E", pipeline_id="P", step_path="S")
            assert seen is not None and seen.status is StepStatus.RUNNING
        finally:
            other.close()
    finally:
        store.close()


def test_postgres_step_commit_durable_and_libpq_options_with_spaces(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    sep = "&" if "?" in url else "?"
    # libpq options hold spaces: they must reach the server intact (not as "+").
    store = open_store(
        f"{url}{sep}schema={schema}&step_commit=durable&options=-c%20application_name%3Dmetalus_probe"
    )
    assert store is not None
    try:
        assert _setting(store, "synchronous_commit") == "on"
        assert _setting(store, "application_name") == "metalus_probe"
        assert "step_commit" not in store.url
    finally:
        store.close()


def test_postgres_step_commit_rejects_unknown_modes(pg_schema_url: tuple[str, str]) -> None:
    url, schema = pg_schema_url
    sep = "&" if "?" in url else "?"
    with pytest.raises(StateError, match="step_commit must be 'async' or 'durable', not 'sometimes'"):
        open_store(f"{url}{sep}schema={schema}&step_commit=sometimes")
