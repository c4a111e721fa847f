"""Functions run in child processes (spawn) by the concurrency and crash tests."""

from __future__ import annotations

import os
import random
from typing import Any

from metalus_py.state import open_store


def claim_all(
    url: str,
    run_id: str,
    owner: str,
    keys: list[str],
    complete: bool,
    barrier: Any,
    results: Any,
) -> None:
    """Claim every key (in a random order) once; report the keys this process claimed."""
    store = open_store(url)
    assert store is not None
    order = list(keys)
    random.Random(os.getpid()).shuffle(order)
    claimed: list[str] = []
    outcomes: dict[str, int] = {}
    try:
        barrier.wait(timeout=120)
        for key in order:
            result = store.claim_step(
                run_id=run_id, execution_key="E", pipeline_id="P", step_path=key, owner=owner
            )
            outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
            if result.claimed:
                claimed.append(key)
                if complete:
                    store.complete_step(
                        run_id=run_id,
                        execution_key="E",
                        pipeline_id="P",
                        step_path=key,
                        owner=owner,
                        output_ref={"by": owner},
                    )
        results.put((owner, claimed, outcomes, None))
    except BaseException as exc:  # report instead of hanging the parent
        results.put((owner, claimed, outcomes, repr(exc)))
    finally:
        store.close()


def write_forever(url: str, run_id: str, artifact_root: str, progress: Any) -> None:
    """Write events, step claims/completions and artifacts until killed, reporting progress."""
    import polars as pl

    from metalus_py.state import ArtifactStore

    store = open_store(url)
    assert store is not None
    artifacts = ArtifactStore(artifact_root)
    frame = pl.DataFrame({"i": list(range(20_000)), "s": [f"row {i}" for i in range(20_000)]})
    i = 0
    while True:
        store.append_events(run_id=run_id, events=[{"i": i, "k": k} for k in range(5)])
        claim = store.claim_step(
            run_id=run_id, execution_key="E", pipeline_id="P", step_path=f"S{i}", owner="writer"
        )
        ref = artifacts.persist_step_output(
            execution_key="E", pipeline_id="P", step_path="SAME", primary=frame, named={"n": {"i": i}}
        )
        if claim.claimed:
            store.complete_step(
                run_id=run_id,
                execution_key="E",
                pipeline_id="P",
                step_path=f"S{i}",
                owner="writer",
                output_ref=ref,
            )
        i += 1
        progress.put(i)
