"""The journal that claims every step in the state store and restores finished ones."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.base.loaded_modules import loaded
from metalus_py.base.records import StepRecord, error_info
from metalus_py.base.secrets import Secret, known_secrets
from metalus_py.base.status import StepStatus as RecordStatus
from metalus_py.durable.background import BackgroundWriter, StepOutputError, frozen_frames
from metalus_py.durable.completions import CompletionBuffer
from metalus_py.state import ArtifactStore, ClaimOutcome, StateStore, StepCompletion, StepStatus
from metalus_py.state.errors import ClaimLostError, StaleArtifactError
from metalus_py.state.records import iso_timestamp
from metalus_py.steps.response import StepResponse
from metalus_py.steps.runtime import StepKey
from metalus_py.steps.summary import summarize_value

_LOG = logging.getLogger("metalus_py.durable")


class StepHeldError(PipelineException):
    """Another live process holds this step of the run."""

    terminal = True


class StoreJournal:
    """Claims each step before it runs; a step completed earlier is restored from its artifacts.

    With persistence off (run policy ``none`` or step ``persist: false``) nothing is stored for
    a step, so a resume runs it again. Only steps claimed through :meth:`begin` (function
    steps) are recorded: the engine also reports structural steps (step groups, forks, splits)
    as completed or failed, and those are rebuilt from their recorded sub-steps on a resume.

    A step's completion is recorded once its outputs are durable, with the next claim (one round
    trip for both) or within ``max_delay`` seconds (:mod:`metalus_py.durable.completions`);
    :meth:`flush` records what is left.

    Eager frames (:mod:`metalus_py.durable.background`) are written on a writer thread while the
    run goes on; their completion is queued once the write has finished. A failed background
    write records the step ERROR in the store and in its record, and fails the step's execution:
    the execution's next :meth:`begin` raises :class:`StepOutputError` naming the step and the
    cause, and so does :meth:`settle` (called when an execution ends), whichever comes first.
    :meth:`flush` and :meth:`end_unfinished` wait for the writes first.
    """

    def __init__(
        self, store: StateStore, artifacts: ArtifactStore | None, *, run_id: str, owner: str, max_delay: float = 0.1
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.run_id = run_id
        self.owner = owner
        self._unclaimed: set[StepKey] = set()
        self._claimed: set[StepKey] = set()
        self._lock = threading.Lock()
        self._stale: dict[StepKey, str] = {}
        self.restored = 0
        self.executed = 0
        self._completions = CompletionBuffer(store, run_id=run_id, owner=owner, max_delay=max_delay)
        self._writer = BackgroundWriter(f"artifacts-{run_id}")
        self._write_errors: dict[str, tuple[str, Exception]] = {}  # execution key -> (message, cause)

    def begin(self, key: StepKey, record: StepRecord, *, persist: bool) -> StepResponse | None:
        self._raise_write_error(key.execution_key)
        done = self._completions.take()  # recorded in the claim's round trip
        try:
            claim = self.store.claim_step(
                run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                step_path=key.path, owner=self.owner, completions=done,
            )
        except ClaimLostError as exc:  # another process took over this run's steps
            raise StepHeldError(f"step {key} not started: {exc}") from exc
        except BaseException:
            self._completions.put_back(done)
            raise
        if claim.outcome is ClaimOutcome.CLAIMED:
            # The store counted this claim: the attempts before it are the earlier processes'.
            record.attempts = claim.record.attempts - 1 if claim.record is not None else 0
            with self._lock:
                self._claimed.add(key)
                self.executed += 1
            return None
        if claim.outcome is ClaimOutcome.ALREADY_COMPLETE and claim.record is not None:
            ref = claim.record.output_ref
            if ref and ref.get("primary") is not None and self.artifacts is not None:
                try:
                    primary, named = self.artifacts.load_step_output(ref)
                except StaleArtifactError as exc:
                    self._reopen_stale(key, exc)
                    return None
                record.attempts = claim.record.attempts
                with self._lock:
                    self.restored += 1
                return StepResponse(primary, named or None)
            # Completed without a stored output (persistence off): run it again, unrecorded.
            with self._lock:
                self._unclaimed.add(key)
                self.executed += 1
            return None
        raise StepHeldError(f"step {key} of run {self.run_id} is held by {claim.holder}; not running it twice")

    def _reopen_stale(self, key: StepKey, error: StaleArtifactError) -> None:
        """Claim a completed step again because its stored plan reads a source that changed."""
        claim = self.store.claim_step(
            run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
            step_path=key.path, owner=self.owner, reopen_complete=True,
        )
        if claim.outcome is not ClaimOutcome.CLAIMED:
            raise StepHeldError(f"step {key} of run {self.run_id} is held by {claim.holder}; not running it twice")
        with self._lock:
            self._claimed.add(key)
            self.executed += 1
            self._stale[key] = str(error)

    def take_stale(self, key: StepKey) -> str | None:
        """Why the step is being computed again (its stored plan was stale), once; else ``None``."""
        with self._lock:
            return self._stale.pop(key, None)

    def retried(self, key: StepKey, record: StepRecord, error: BaseException) -> None:
        """Count the failed attempt in the store (the claim stays with this process)."""
        with self._lock:
            if key not in self._claimed:
                return
        try:
            self.store.record_retry(
                run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                step_path=key.path, owner=self.owner, error=error_info(error).stored(),
            )
        except ClaimLostError:
            _LOG.warning("step %s: claim lost before its retry could be recorded", key)

    def _release(self, key: StepKey) -> bool:
        """Forget a step's claim; True when this journal claimed it (so the store must hear the end)."""
        with self._lock:
            self._unclaimed.discard(key)
            if key not in self._claimed:
                return False
            self._claimed.discard(key)
            return True

    def completed(
        self, key: StepKey, record: StepRecord, response: StepResponse, *, persist: bool
    ) -> StepResponse | None:
        """Record the step once its outputs are durable.

        A LazyFrame is stored as its query plan when it only reads files (and is passed on
        unchanged: the pipeline stays one lazy query); otherwise it is streamed to a file and a
        scan of that file is returned for the flow to pass on, so no later step recomputes it.
        """
        with self._lock:
            self._unclaimed.discard(key)
            if key not in self._claimed:
                return None
        # The claim is kept until the outputs are durable: when persisting fails, the flow's
        # ``failed`` (or :meth:`end_unfinished`) still records the step's end.
        output_ref = None
        replacement = None
        if persist and self.artifacts is not None and not _holds_secret(response):
            # An output holding a secret is not persisted (it could only be restored redacted):
            # the step runs again on resume (DESIGN §14).
            frames = frozen_frames(response)
            if frames is not None:  # eager frames: written while the next step runs
                self._persist_later(key, record, frames)
                return None
            output_ref = self.artifacts.persist_step_output(
                execution_key=key.execution_key, pipeline_id=key.pipeline_id, step_path=key.path,
                primary=response.primary_return, named=response.named_returns,
            )
            replacement = _streamed(response, output_ref, self.artifacts)
        self._completions.add(dataclasses.replace(self._completion(key, record, response), output_ref=output_ref))
        self._release(key)
        return replacement

    def _completion(self, key: StepKey, record: StepRecord, response: StepResponse) -> StepCompletion:
        """The step's completion as of now (its output reference is set once it is stored)."""
        return StepCompletion(
            execution_key=key.execution_key, pipeline_id=key.pipeline_id, step_path=key.path,
            named_return_keys=tuple(str(k) for k in response.named_returns or ()),
            metrics=summarize_value(record.metrics), ended_at=iso_timestamp(self.store.now()),
        )

    def _persist_later(self, key: StepKey, record: StepRecord, frames: StepResponse) -> None:
        """Write the step's frames on the writer thread; queue its completion once they are durable."""
        assert self.artifacts is not None
        artifacts, completion = self.artifacts, self._completion(key, record, frames)

        def write() -> None:
            try:
                output_ref = artifacts.persist_step_output(
                    execution_key=key.execution_key, pipeline_id=key.pipeline_id, step_path=key.path,
                    primary=frames.primary_return, named=frames.named_returns,
                )
            except Exception as exc:  # noqa: BLE001 - reported by the execution's next begin or settle
                self._write_failed(key, record, exc)
                return
            self._completions.add(dataclasses.replace(completion, output_ref=output_ref))
            self._release(key)

        self._writer.submit(write)

    def _write_failed(self, key: StepKey, record: StepRecord, cause: Exception) -> None:
        """Record a step whose background write failed as ERROR; its execution fails at the next call."""
        message = f"the output of step {key} could not be stored: {type(cause).__name__}: {cause}"
        _LOG.error("run %s: %s", self.run_id, message)
        info = error_info(StepOutputError(message, step_id=record.step_id, pipeline_id=key.pipeline_id, cause=cause))
        record.status, record.error = RecordStatus.ERROR, info
        with self._lock:
            self._write_errors.setdefault(key.execution_key, (message, cause))
        if not self._release(key):
            return
        try:
            self.store.fail_step(
                run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                step_path=key.path, owner=self.owner, error=info.stored(), status=StepStatus.ERROR,
                metrics=summarize_value(record.metrics),
            )
        except Exception:  # noqa: BLE001 - the step stays RUNNING under this owner: it runs again on resume
            _LOG.warning("step %s: could not record its failed write", key, exc_info=True)

    def _raise_write_error(self, execution_key: str, *, forget: bool = False) -> None:
        with self._lock:
            failure = self._write_errors.pop(execution_key, None) if forget else self._write_errors.get(execution_key)
        if failure is not None:
            message, cause = failure
            raise StepOutputError(message, cause=cause) from cause

    def settle(self, execution_key: str) -> None:
        """Wait for the outputs still being written (an execution is ending).

        Raises:
            StepOutputError: the output of a step of this execution could not be stored.
        """
        self._writer.wait()
        self._raise_write_error(execution_key, forget=True)  # reported once: the execution ends with it

    def flush(self) -> None:
        """Record the completions still queued, once the outputs being written are stored (the run,
        or this worker's task, is ending)."""
        self._writer.drain()
        try:
            self._completions.flush()
        except ClaimLostError as exc:
            _LOG.warning("run %s: %s", self.run_id, exc)

    def end_unfinished(self, *, killed: bool, reason: str) -> list[StepKey]:
        """Record every step this journal claimed and never ended as KILLED (``killed``) or ERROR.

        Called when the run ends, whatever ended it, so no step is left RUNNING in a finished run.
        Queued completions are recorded first.
        """
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - those steps stay RUNNING under a dead owner: they run again
            _LOG.warning("run %s: could not record step completions", self.run_id, exc_info=True)
        with self._lock:
            left = sorted(self._claimed, key=str)
            self._claimed.clear()
        for key in left:
            try:
                self.store.fail_step(
                    run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                    step_path=key.path, owner=self.owner, error={"type": "RunEnded", "message": reason},
                    status=StepStatus.KILLED if killed else StepStatus.ERROR,
                )
            except Exception:  # noqa: BLE001 - best effort: the claim then goes stale with the lease
                _LOG.warning("step %s: could not record its end", key, exc_info=True)
        return left

    def failed(self, key: StepKey, record: StepRecord) -> None:
        if not self._release(key):
            return
        error = record.error
        try:
            self.store.fail_step(
                run_id=self.run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                step_path=key.path, owner=self.owner,
                error=error.stored() if error else {},
                status=StepStatus.KILLED if record.status == StepStatus.KILLED else StepStatus.ERROR,
                metrics=summarize_value(record.metrics),
            )
        except ClaimLostError:
            _LOG.warning("step %s: claim lost before its failure could be recorded", key)


def _holds_secret(response: StepResponse) -> bool:
    """True when an output holds a secret (a ``Secret``, or a known secret value inside a string)."""
    known = known_secrets()
    stack: list[Any] = [response.primary_return, *(response.named_returns or {}).values()]
    while stack:
        value = stack.pop()
        if isinstance(value, Secret):
            return True
        if isinstance(value, str):
            if any(secret in value for secret in known):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)
    return False


def _streamed(response: StepResponse, output_ref: dict[str, Any], artifacts: ArtifactStore) -> StepResponse | None:
    """The response with each LazyFrame that was streamed to a file replaced by a scan of it, or ``None``."""
    pl = loaded("polars")
    if pl is None:
        return None
    changed = False

    def scanned(value: Any, ref: Any) -> Any:
        nonlocal changed
        if isinstance(value, pl.LazyFrame) and isinstance(ref, dict) and ref.get("format") in ("arrow", "parquet"):
            changed = True  # just written: its sources' fingerprints need no check now
            return artifacts.load({k: v for k, v in ref.items() if k != "sources"})
        return value

    named_refs = output_ref.get("named") or {}
    primary = scanned(response.primary_return, output_ref.get("primary"))
    named = (
        {k: scanned(v, named_refs.get(str(k))) for k, v in response.named_returns.items()}
        if response.named_returns is not None else None
    )
    return StepResponse(primary, named) if changed else None
