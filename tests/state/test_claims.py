"""Atomic step claims: exactly once across threads and processes, takeover of dead owners."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from metalus_py.state import ClaimLostError, ClaimOutcome, StateStore, StepStatus

from . import _workers
from .conftest import Backend, FakeClock

KEY: dict[str, Any] = {"execution_key": "E", "pipeline_id": "P", "step_path": "S"}


def _seed_errors(store: StateStore, run_id: str, keys: list[str]) -> None:
    """Leave steps in ERROR, as a failed earlier attempt would: claiming them is an UPDATE race."""
    for key in keys:
        store.claim_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path=key, owner="seed")
        store.fail_step(
            run_id=run_id, execution_key="E", pipeline_id="P", step_path=key, owner="seed", error=None
        )


def test_same_owner_cannot_claim_twice(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    assert store.claim_step(run_id=run_id, **KEY, owner="o1").outcome is ClaimOutcome.CLAIMED
    again = store.claim_step(run_id=run_id, **KEY, owner="o1")
    assert again.outcome is ClaimOutcome.HELD and again.holder == "o1"


def test_claim_without_lease_is_held_by_its_owner(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.claim_step(run_id=run_id, **KEY, owner="o1")
    held = store.claim_step(run_id=run_id, **KEY, owner="o2")
    assert held.outcome is ClaimOutcome.HELD and held.holder == "o1"


def test_live_lease_fences_other_owners(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    assert store.acquire_lease(run_id=run_id, owner="driver", ttl_seconds=60).acquired
    fenced = store.claim_step(run_id=run_id, **KEY, owner="zombie")
    assert fenced.outcome is ClaimOutcome.HELD and fenced.holder == "driver" and fenced.record is None
    assert store.claim_step(run_id=run_id, **KEY, owner="driver").claimed
    store.complete_step(run_id=run_id, **KEY, owner="driver")
    # A completed step is reported complete to anyone, fenced or not.
    assert store.claim_step(run_id=run_id, **KEY, owner="zombie").outcome is ClaimOutcome.ALREADY_COMPLETE


def test_expired_lease_lets_a_new_owner_take_over(
    store: StateStore, make_run: Callable[..., str], clock: FakeClock
) -> None:
    run_id = make_run()
    store.acquire_lease(run_id=run_id, owner="dead", ttl_seconds=30)
    store.claim_step(run_id=run_id, **KEY, owner="dead", input_summary={"v": 1})
    assert store.claim_step(run_id=run_id, **KEY, owner="new").outcome is ClaimOutcome.HELD
    clock.advance(31)
    taken = store.claim_step(run_id=run_id, **KEY, owner="new")
    assert taken.outcome is ClaimOutcome.CLAIMED and taken.taken_over_from == "dead"
    assert taken.record is not None and taken.record.owner == "new" and taken.record.attempts == 2
    with pytest.raises(ClaimLostError) as info:
        store.complete_step(run_id=run_id, **KEY, owner="dead", output_ref={"stale": True})
    assert info.value.owner == "dead"
    done = store.complete_step(run_id=run_id, **KEY, owner="new", output_ref={"fresh": True})
    assert done.output_ref == {"fresh": True}


def test_lease_holder_takes_over_claims_of_other_owners(
    store: StateStore, make_run: Callable[..., str]
) -> None:
    run_id = make_run()
    store.claim_step(run_id=run_id, **KEY, owner="crashed")  # never leased
    assert store.acquire_lease(run_id=run_id, owner="resumer", ttl_seconds=60).acquired
    taken = store.claim_step(run_id=run_id, **KEY, owner="resumer")
    assert taken.claimed and taken.taken_over_from == "crashed"


def test_released_lease_makes_claims_stale(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    store.acquire_lease(run_id=run_id, owner="o1", ttl_seconds=60)
    store.claim_step(run_id=run_id, **KEY, owner="o1")
    store.release_lease(run_id=run_id, owner="o1")
    taken = store.claim_step(run_id=run_id, **KEY, owner="o2")
    assert taken.claimed and taken.taken_over_from == "o1"


def test_concurrent_claims_threads(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    keys = [f"S{i}" for i in range(30)]
    _seed_errors(store, run_id, keys[::2])
    barrier = threading.Barrier(8)
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(owner: str) -> None:
        try:
            barrier.wait(timeout=60)
            for key in keys:
                result = store.claim_step(
                    run_id=run_id, execution_key="E", pipeline_id="P", step_path=key, owner=owner
                )
                if result.claimed:
                    with lock:
                        claimed.append(key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Counter(claimed) == Counter(keys)


def _run_claimers(
    backend: Backend, run_id: str, owners: list[str], keys: list[str], complete: bool
) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(owners))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_workers.claim_all, args=(backend.url, run_id, owner, keys, complete, barrier, results)
        )
        for owner in owners
    ]
    for p in procs:
        p.start()
    reports = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert [r[3] for r in reports] == [None] * len(procs), reports
    return reports


@pytest.mark.parametrize("complete", [True, False], ids=["complete", "leave-running"])
def test_concurrent_claims_processes_distinct_owners(
    backend: Backend, store: StateStore, make_run: Callable[..., str], complete: bool
) -> None:
    """4 processes x the same 50 steps (half left ERROR by an earlier attempt): each claimed once."""
    run_id = make_run()
    keys = [f"S{i:02d}" for i in range(50)]
    _seed_errors(store, run_id, keys[::2])
    reports = _run_claimers(backend, run_id, [f"w{i}" for i in range(4)], keys, complete)
    claimed = Counter(key for report in reports for key in report[1])
    assert claimed == Counter(keys)
    steps = {s.step_path: s for s in store.list_steps(run_id=run_id)}
    for key in keys:
        expected_attempts = 2 if key in keys[::2] else 1
        assert steps[key].attempts == expected_attempts
        assert steps[key].status is (StepStatus.COMPLETE if complete else StepStatus.RUNNING)


def test_concurrent_claims_processes_sharing_the_run_owner(
    backend: Backend, store: StateStore, make_run: Callable[..., str]
) -> None:
    """Workers of one leased run (same owner id) split the steps; a fenced owner gets none."""
    run_id = make_run()
    keys = [f"S{i:02d}" for i in range(50)]
    _seed_errors(store, run_id, keys[1::2])
    real_clock_store = backend.open()  # the workers compare the lease with the real clock
    assert real_clock_store.acquire_lease(run_id=run_id, owner="driver", ttl_seconds=3600).acquired
    reports = _run_claimers(backend, run_id, ["driver"] * 4 + ["zombie"], keys, complete=False)
    claimed = Counter(
        key for owner, keys_claimed, _, _ in reports if owner == "driver" for key in keys_claimed
    )
    assert claimed == Counter(keys)
    zombie = [r for r in reports if r[0] == "zombie"][0]
    assert zombie[1] == [] and zombie[2] == {"HELD": 50}
