"""Fixtures for the monitor tests: recorded runs made by real ``metalus`` processes, a real server.

``metalus`` (SQLite and PostgreSQL) and ``sqlite_metalus`` come from the durable-run tests: the
command line as a real process on a fresh store. ``serve`` starts ``metalus ui`` as a real
uvicorn process on a free 127.0.0.1 port over the same store.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.durable.apps import chain, linear_application, write
from tests.durable.conftest import Metalus, metalus, sqlite_metalus  # noqa: F401 - fixtures

#: Safety limit when waiting for something (never a timing assertion).
WAIT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def fork_application() -> dict[str, Any]:
    """ROOT -> FORK (3 values) -> JOIN, and LATE after JOIN: a small plan with a fork."""
    return {
        "id": "ui_fork",
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s", "values": ["a", "b", "c"]},
        "pipelines": [chain("P_ROOT", "!seed", ["R1", "R2"]), chain("P_FORK", "!executionForkValue", ["F1"]),
                      chain("P_JOIN", "!seed", ["J1"]), chain("P_LATE", "!seed", ["L1"])],
        "executions": [
            {"id": "ROOT", "pipelineIds": ["P_ROOT"]},
            {"id": "FORK", "pipelineIds": ["P_FORK"], "parents": ["ROOT"], "executionType": "fork",
             "forkByValues": "values"},
            {"id": "JOIN", "pipelineIds": ["P_JOIN"], "parents": ["FORK"], "executionType": "join"},
            {"id": "LATE", "pipelineIds": ["P_LATE"], "parents": ["JOIN"]},
        ],
    }


def slow_application(steps: int = 6) -> dict[str, Any]:
    """One execution of ``steps`` work steps; each sleeps ``!sleepMs``."""
    return linear_application("ui_slow", *[f"S{i}" for i in range(1, steps + 1)])


def finished_run(runner: Metalus, document: dict[str, Any], run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an application to its end with ``metalus run`` (returns the completed process)."""
    path = write(document, runner.cwd, f"{run_id}.json")
    return runner("run", str(path), "--run-id", run_id, "--quiet", *args)


def start_running(runner: Metalus, document: dict[str, Any], run_id: str, *args: str) -> subprocess.Popen[str]:
    """Start ``metalus run`` and return once the store shows the run RUNNING."""
    path = write(document, runner.cwd, f"{run_id}.json")
    proc = runner.popen("run", str(path), "--run-id", run_id, "--quiet", *args,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = runner.store()

    def running() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"metalus run ended early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        record = store.get_run(run_id=run_id)
        return record is not None and str(record.status) == "RUNNING"

    wait_for(running, f"run {run_id} to be RUNNING")
    return proc


class Server:
    """A ``metalus ui`` process and a client for it."""

    def __init__(self, proc: subprocess.Popen[str], base: str, log: Path) -> None:
        self.proc, self.base, self.log = proc, base, log

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, **kwargs)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start ``metalus ui`` for a runner (extra arguments and environment allowed); stopped afterwards."""
    started: list[Server] = []

    def start(runner: Metalus, *args: str, env: dict[str, str] | None = None) -> Server:
        port = free_port()
        log = tmp_path / f"ui-{port}.log"
        handle = log.open("w")
        command = runner.command("ui", "--host", "127.0.0.1", "--port", str(port), *args)
        proc = subprocess.Popen(command, cwd=runner.cwd, env={**runner.environment(), **(env or {})},
                                stdout=handle, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        server = Server(proc, base, log)
        started.append(server)

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"metalus ui ended ({proc.returncode}): {log.read_text()}")
            try:
                httpx.get(base + "/static/app.css", timeout=2)
                return True
            except httpx.HTTPError:
                return False

        wait_for(up, "metalus ui to answer")
        return server

    yield start
    for server in started:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.proc.kill()


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parse a server-sent event stream into ``{"id", "event", "data"}`` dicts (comments skipped)."""
    current: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "event" in current or "data" in current:
                if "data" in current:
                    current["data"] = json.loads(current["data"])
                yield current
            current = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data" and "data" in current:
            current["data"] += "\n" + value
        elif name in ("id", "event", "data"):
            current[name] = value
