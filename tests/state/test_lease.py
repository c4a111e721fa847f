"""Run leases: acquire, renew, release, expiry and takeover; the LeaseKeeper thread."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from metalus_py.state import LeaseHeldError, LeaseKeeper, StateStore

from .conftest import Backend, FakeClock


def test_acquire_renew_release(store: StateStore, make_run: Callable[..., str], clock: FakeClock) -> None:
    run_id = make_run()
    first = store.acquire_lease(run_id=run_id, owner="a", ttl_seconds=30)
    assert first.acquired and first.lease.owner == "a" and first.previous_owner is None
    assert first.lease.expires_at == pytest.approx(clock.now + 30)
    refused = store.acquire_lease(run_id=run_id, owner="b", ttl_seconds=30)
    assert not refused.acquired and refused.lease.owner == "a"
    clock.advance(20)
    assert store.renew_lease(run_id=run_id, owner="a", ttl_seconds=30)
    assert not store.renew_lease(run_id=run_id, owner="b", ttl_seconds=30)
    again = store.acquire_lease(run_id=run_id, owner="a", ttl_seconds=30)  # re-entrant for its owner
    assert again.acquired and again.lease.acquired_at == first.lease.acquired_at
    clock.advance(20)  # still alive thanks to the renewal
    assert not store.acquire_lease(run_id=run_id, owner="b", ttl_seconds=30).acquired
    assert store.release_lease(run_id=run_id, owner="a")
    assert not store.release_lease(run_id=run_id, owner="a")
    lease = store.get_lease(run_id=run_id)
    assert lease is not None and lease.released and not lease.alive(clock.now)
    taken = store.acquire_lease(run_id=run_id, owner="b", ttl_seconds=30)
    assert taken.acquired and taken.previous_owner == "a"


def test_expired_lease_is_taken_over_and_cannot_be_renewed(
    store: StateStore, make_run: Callable[..., str], clock: FakeClock
) -> None:
    run_id = make_run()
    store.acquire_lease(run_id=run_id, owner="a", ttl_seconds=10)
    clock.advance(10.5)
    assert not store.renew_lease(run_id=run_id, owner="a", ttl_seconds=10)
    taken = store.acquire_lease(run_id=run_id, owner="b", ttl_seconds=10)
    assert taken.acquired and taken.previous_owner == "a"
    assert store.get_lease(run_id=run_id).owner == "b"  # type: ignore[union-attr]
    assert not store.release_lease(run_id=run_id, owner="a")


def test_keeper_refuses_a_live_run(store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run()
    with LeaseKeeper(store, run_id=run_id, owner="first", ttl_seconds=60) as keeper:
        assert keeper.running and not keeper.lost
        with pytest.raises(LeaseHeldError) as info:
            LeaseKeeper(store, run_id=run_id, owner="second", ttl_seconds=60).start()
        assert info.value.holder == "first" and info.value.run_id == run_id
        assert "first" in str(info.value)
    lease = store.get_lease(run_id=run_id)
    assert lease is not None and lease.released  # released on exit


def test_keeper_takes_over_a_dead_owner(
    store: StateStore, make_run: Callable[..., str], clock: FakeClock
) -> None:
    run_id = make_run()
    dead = LeaseKeeper(store, run_id=run_id, owner="dead", ttl_seconds=60)
    dead.start()
    dead.stop(release=False)  # the process "died": nobody renews
    clock.advance(61)
    keeper = LeaseKeeper(store, run_id=run_id, owner="alive", ttl_seconds=60)
    result = keeper.start()
    try:
        assert result.previous_owner == "dead"
    finally:
        keeper.stop()


def test_keeper_renews_in_background(backend: Backend, make_run: Callable[..., str]) -> None:
    real = backend.open()
    run_id = make_run()
    with LeaseKeeper(real, run_id=run_id, owner="me", ttl_seconds=3):
        first = real.get_lease(run_id=run_id)
        assert first is not None
        deadline = time.monotonic() + 60
        while real.get_lease(run_id=run_id).renewed_at == first.renewed_at:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the keeper never renewed the lease"
            time.sleep(0.05)
        assert real.get_lease(run_id=run_id).owner == "me"  # type: ignore[union-attr]


def test_keeper_reports_a_lost_lease(backend: Backend, make_run: Callable[..., str]) -> None:
    real = backend.open()
    run_id = make_run()
    calls: list[str] = []
    keeper = LeaseKeeper(
        real, run_id=run_id, owner="me", ttl_seconds=0.3, on_lost=lambda: calls.append("lost")
    )
    keeper.start()
    try:
        real.release_lease(run_id=run_id, owner="me")  # someone else ended our lease
        assert keeper.wait_lost(timeout=60)
        assert keeper.lost and calls == ["lost"]
    finally:
        keeper.stop()


def test_keeper_rejects_bad_ttl(store: StateStore) -> None:
    with pytest.raises(ValueError):
        LeaseKeeper(store, run_id="r", owner="o", ttl_seconds=0)
