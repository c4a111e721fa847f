"""Step functions for the durable-run tests (``tests/durable``).

Every step appends one line naming itself (``<execution key>.<pipeline>.<step path>``, the key
the state store records it under) to the side-effect file, so a test can count how often each
step really ran across crashes, resumes and re-triggers.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from metalus_py import PipelineContext, PipelineException, StepResponse


def step_key(ctx: PipelineContext) -> str:
    """The key the state store records the running step under."""
    return ctx.step_key


def mark(side_effect: str | None, ctx: PipelineContext) -> str:
    """Append this step's key to the side-effect file (one ``write`` with O_APPEND: never torn)."""
    key = step_key(ctx)
    if side_effect:
        fd = os.open(side_effect, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (key + "\n").encode())
        finally:
            os.close(fd)
    return key


class DurableSteps:
    @staticmethod
    def work(value: Any, sideEffect: str | None, pipeline_context: PipelineContext, sleepMs: Any = 25) -> str:
        """Record the run, sleep a little, and return a value derived from the input."""
        key = mark(sideEffect, pipeline_context)
        time.sleep(int(sleepMs or 0) / 1000)
        step_id = key.rsplit(".", 1)[-1]
        return f"{value}>{step_id}"

    @staticmethod
    def fail_when(value: Any, sideEffect: str | None, failFlag: Any, pipeline_context: PipelineContext) -> str:
        """Like ``work``, but fails while ``failFlag`` is true."""
        key = mark(sideEffect, pipeline_context)
        if failFlag is True or str(failFlag).lower() == "true":
            raise PipelineException(f"failing on purpose at {key}")
        return f"{value}>ok"

    @staticmethod
    def join_values(values: Any, sideEffect: str | None, pipeline_context: PipelineContext) -> str:
        """Join a list (a fork's results) into one string."""
        mark(sideEffect, pipeline_context)
        return "+".join(str(v) for v in (values or []))

    @staticmethod
    def sleep_process(sideEffect: str | None, pipeline_context: PipelineContext, seconds: Any = 30) -> str:
        """Wait on a child ``sleep`` process (its pid goes to ``<sideEffect>.pid``)."""
        mark(sideEffect, pipeline_context)
        child = subprocess.Popen(["sleep", str(seconds)])
        if sideEffect:
            Path(sideEffect + ".pid").write_text(str(child.pid))
        code = child.wait()
        if code != 0:
            raise PipelineException(f"sleep ended with {code}")
        return "slept"

    @staticmethod
    def busy_loop(sideEffect: str | None, pipeline_context: PipelineContext, seconds: Any = 30,
                  release: str | None = None) -> str:
        """Loop on ``time.sleep(0.1)`` checking nothing of the run: for ``seconds``, or with ``release``
        until that file exists (``seconds`` then only a safety limit)."""
        mark(sideEffect, pipeline_context)
        end = time.monotonic() + float(seconds)
        while time.monotonic() < end:
            if release and Path(release).exists():
                break
            time.sleep(0.1)
        return "looped"

    @staticmethod
    def use_credential(credential: Any, sideEffect: str | None, pipeline_context: PipelineContext,
                       failFlag: Any = False) -> StepResponse:
        """Build a value from a credential and put it in a global (what a careless step does)."""
        key = mark(sideEffect, pipeline_context)
        secret = getattr(credential, "value", credential)
        # String operations see a Secret's value: the token below holds the plain secret.
        token = "token-" + secret
        if failFlag is True or str(failFlag).lower() == "true":
            raise PipelineException("cannot log in with " + secret + " at " + key)
        return StepResponse(token, {"$globals.authToken": token, "raw": secret})


class MarkerSteps:
    @staticmethod
    def fail_while_file(value: Any, sideEffect: str | None, marker: str, pipeline_context: PipelineContext) -> str:
        """Fails while the file ``marker`` exists (a scheduler re-submits the same command line)."""
        key = mark(sideEffect, pipeline_context)
        if Path(marker).exists():
            raise PipelineException(f"{marker} exists: failing at {key}")
        return f"{value}>marker-ok"


class RecordSteps:
    @staticmethod
    def record(value: Any, target: str, label: str = "value") -> str:
        """Append ``label=<the real value received>`` to ``target`` (outside the run's folder)."""
        plain = str.__str__(value) if isinstance(value, str) else repr(value)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{label}={plain}\n")
        return "recorded"


class LoopSteps:
    @staticmethod
    def append_line(path: str, marker: str | None = None, failAt: Any = None) -> int:
        """Append a line to ``path`` and return how many it has; fails before writing line ``failAt + 1``
        while the file ``marker`` exists."""
        target = Path(path)
        count = len(target.read_text().splitlines()) if target.exists() else 0
        if marker and Path(marker).exists() and failAt is not None and count == int(failAt):
            raise PipelineException(f"{marker} exists: failing at line {count + 1}")
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"line {count + 1}\n")
        return count + 1

    @staticmethod
    def enough(count: Any, wanted: Any = 3) -> str:
        """``again`` until ``count`` reaches ``wanted``, then ``done``."""
        return "done" if int(count) >= int(wanted) else "again"


class SlowSteps:
    @staticmethod
    def sleep_then_mark(sideEffect: str | None, pipeline_context: PipelineContext, seconds: Any = 30) -> str:
        """Sleep in Python (nothing to interrupt from outside), then record ``<key>:done``."""
        key = mark(sideEffect, pipeline_context)
        time.sleep(float(seconds))
        if sideEffect:
            fd = os.open(sideEffect, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{key}:done\n".encode())
            finally:
                os.close(fd)
        return "slept"
