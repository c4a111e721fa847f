"""Running measurements in fresh processes and summarising repetitions."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.child import MARKER

Spec = dict[str, Any]
#: Builds a child spec given the scratch directory of that one run.
SpecFactory = Callable[[Path], Spec]

CHILD_TIMEOUT_SECONDS = 900.0


class MeasurementError(RuntimeError):
    """A measured process failed or printed no result."""


@dataclass
class Sample:
    """One process: timed section (``seconds``), whole-process wall time and peak RSS."""

    seconds: float
    wall: float
    rss_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Series:
    """The repetitions of one measurement."""

    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)

    def values(self, attribute: str = "seconds") -> list[float]:
        return [float(getattr(sample, attribute)) for sample in self.samples]

    def median(self, attribute: str = "seconds") -> float:
        return statistics.median(self.values(attribute))

    def min(self, attribute: str = "seconds") -> float:
        return min(self.values(attribute))

    def max(self, attribute: str = "seconds") -> float:
        return max(self.values(attribute))

    def extra_median(self, name: str) -> float | None:
        found = [float(s.extra[name]) for s in self.samples if name in s.extra]
        return statistics.median(found) if found else None


@dataclass
class Measurement:
    """What to run for one series: a child spec factory or a command line."""

    key: str
    label: str
    spec: SpecFactory | None = None
    command: Sequence[str] | None = None


class Harness:
    """Starts every measurement as a fresh process from the repository root."""

    def __init__(self, repo: Path, work: Path, repetitions: int, log: Callable[[str], None]) -> None:
        self.repo = repo
        self.work = work
        self.repetitions = repetitions
        self.log = log
        self.scratch = work / "tmp"

    def python(self) -> str:
        return sys.executable

    def spawn(self, argv: Sequence[str], timeout: float) -> tuple[float, float, int, str, str]:
        """Run ``argv``; return (wall seconds, peak RSS MB, exit code, stdout, stderr).

        The RSS from ``os.wait4`` is floored at this process's own peak (Linux keeps the parent's
        high-water mark across fork and exec), so children report their own (``VmHWM``).
        """
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            start = time.perf_counter()
            process = subprocess.Popen(list(argv), cwd=self.repo, stdout=out, stderr=err, env=env)
            timer = threading.Timer(timeout, process.kill)
            timer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            # ru_maxrss is in KiB on Linux.
            return wall, usage.ru_maxrss / 1024, process.returncode, out.read(), err.read()

    def run_child(self, factory: SpecFactory, *, profile: Path | None = None) -> Sample:
        """One ``python -m bench.child`` process with a fresh scratch directory."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        try:
            spec = factory(scratch)
            if profile is not None:
                spec["profile"] = str(profile)
            argv = [self.python(), "-m", "bench.child", json.dumps(spec)]
            wall, rss, code, stdout, stderr = self.spawn(argv, CHILD_TIMEOUT_SECONDS)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
        if code != 0 or not lines:
            raise MeasurementError(
                f"child {spec.get('kind')} failed (exit {code}):\n{stderr[-3000:]}\n{stdout[-1000:]}"
            )
        payload = json.loads(lines[-1][len(MARKER) :])
        return Sample(
            float(payload["seconds"]), wall, float(payload["rssMb"]), dict(payload.get("extra", {}))
        )

    def run_script(self, argv: Sequence[str]) -> str:
        """Run a helper process (not measured); return its stdout."""
        _, _, code, stdout, stderr = self.spawn(argv, CHILD_TIMEOUT_SECONDS)
        if code != 0:
            raise MeasurementError(f"{' '.join(argv)} failed (exit {code}):\n{stderr[-3000:]}")
        return stdout

    def run_command(self, argv: Sequence[str]) -> Sample:
        """A whole process timed from outside (start-up measurements), spawned by ``bench.launch``."""
        _, _, code, stdout, stderr = self.spawn(
            [self.python(), "-m", "bench.launch", *argv], CHILD_TIMEOUT_SECONDS
        )
        if code != 0 or not stdout.strip():
            raise MeasurementError(
                f"{' '.join(argv)} failed (exit {code}):\n{stderr[-3000:]}\n{stdout[-500:]}"
            )
        payload = json.loads(stdout.strip().splitlines()[-1])
        return Sample(float(payload["wall"]), float(payload["wall"]), float(payload["rssMb"]))

    def measure(self, workload: str, measurements: list[Measurement]) -> dict[str, Series]:
        """Run every measurement ``repetitions`` times, round-robin (drift hits all alike)."""
        series = {m.key: Series(m.key, m.label) for m in measurements}
        for repetition in range(1, self.repetitions + 1):
            for m in measurements:
                if m.spec is not None:
                    sample = self.run_child(m.spec)
                else:
                    assert m.command is not None
                    sample = self.run_command(m.command)
                series[m.key].samples.append(sample)
                self.log(
                    f"[{workload}] {repetition}/{self.repetitions} {m.label}: {sample.seconds:.4f} s "
                    f"(process {sample.wall:.2f} s, {sample.rss_mb:.0f} MB)"
                )
        return series
