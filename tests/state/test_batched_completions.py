"""Completions recorded in batches: with the next claim (one round trip) or alone, seen by other connections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metalus_py.state import ClaimLostError, ClaimOutcome, StateStore, StepCompletion, StepStatus

from .conftest import Backend, FakeClock


def _claim(store: StateStore, run_id: str, path: str, owner: str = "me", **kwargs: object) -> ClaimOutcome:
    return store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path=path, owner=owner,
                            **kwargs).outcome  # type: ignore[arg-type]


def _status(store: StateStore, run_id: str, path: str) -> StepStatus | None:
    record = store.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path=path)
    return None if record is None else record.status


def _done(path: str, value: int) -> StepCompletion:
    return StepCompletion("E", "P", path, output_ref={"primary": {"value": value}}, named_return_keys=("n",),
                          metrics={"rows": value}, ended_at="2026-01-01T00:00:00.000000+00:00")


def test_claim_records_the_completions_given_first(
    store: StateStore, make_run: Callable[..., str], backend: Backend
) -> None:
    run_id = make_run()
    assert store.acquire_lease(run_id=run_id, owner="me", ttl_seconds=60).acquired
    assert _claim(store, run_id, "S1") is ClaimOutcome.CLAIMED
    assert _claim(store, run_id, "S2") is ClaimOutcome.CLAIMED
    result = store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S3", owner="me",
                              completions=[_done("S1", 1), _done("S2", 2)])
    assert result.claimed and result.record is not None and result.record.attempts == 1
    other = backend.open()  # another connection (another process would see the same)
    assert [_status(other, run_id, p) for p in ("S1", "S2", "S3")] == [
        StepStatus.COMPLETE, StepStatus.COMPLETE, StepStatus.RUNNING
    ]
    first = other.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S1")
    assert first is not None and first.output_ref == {"primary": {"value": 1}}
    assert first.named_return_keys == ("n",) and first.metrics == {"rows": 1}
    assert first.ended_at == "2026-01-01T00:00:00.000000+00:00"
    # A step recorded COMPLETE that way is never claimed again.
    assert _claim(other, run_id, "S1", owner="me") is ClaimOutcome.ALREADY_COMPLETE


def test_complete_steps_alone_is_seen_by_another_connection(
    store: StateStore, make_run: Callable[..., str], backend: Backend
) -> None:
    run_id = make_run()
    for path in ("A", "B"):
        _claim(store, run_id, path)
    store.complete_steps(run_id=run_id, owner="me", completions=[_done("A", 1), _done("B", 2)])
    other = backend.open()
    assert [_status(other, run_id, p) for p in ("A", "B")] == [StepStatus.COMPLETE, StepStatus.COMPLETE]


def test_lost_completion_refuses_the_claim_and_keeps_the_others(
    store: StateStore, make_run: Callable[..., str], clock: FakeClock
) -> None:
    run_id = make_run()
    store.acquire_lease(run_id=run_id, owner="old", ttl_seconds=30)
    _claim(store, run_id, "KEPT", owner="old")
    _claim(store, run_id, "TAKEN", owner="old")
    clock.advance(31)  # the old owner's lease expired: a new owner takes its RUNNING step over
    assert store.acquire_lease(run_id=run_id, owner="new", ttl_seconds=30).acquired
    assert _claim(store, run_id, "TAKEN", owner="new") is ClaimOutcome.CLAIMED
    store.release_lease(run_id=run_id, owner="new")
    with pytest.raises(ClaimLostError) as info:
        store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="NEXT", owner="old",
                         completions=[_done("KEPT", 1), _done("TAKEN", 2)])
    assert "TAKEN" in info.value.step and info.value.owner == "old"
    assert _status(store, run_id, "KEPT") is StepStatus.COMPLETE
    assert _status(store, run_id, "TAKEN") is StepStatus.RUNNING  # still the new owner's
    assert _status(store, run_id, "NEXT") is None  # nothing claimed
    with pytest.raises(ClaimLostError):
        store.complete_steps(run_id=run_id, owner="old", completions=[_done("TAKEN", 3)])


def test_claim_with_completions_still_respects_the_lease(
    store: StateStore, make_run: Callable[..., str]
) -> None:
    run_id = make_run()
    _claim(store, run_id, "S1", owner="me")  # claimed before another owner took the lease
    assert store.acquire_lease(run_id=run_id, owner="driver", ttl_seconds=60).acquired
    fenced = store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S2", owner="me",
                              completions=[_done("S1", 1)])
    assert fenced.outcome is ClaimOutcome.HELD and fenced.holder == "driver"
    assert _status(store, run_id, "S1") is StepStatus.COMPLETE  # its own step: recorded
    assert _status(store, run_id, "S2") is None
