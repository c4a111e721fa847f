"""Fixtures for the durable-run tests: the ``metalus`` command as a real process, on SQLite or PostgreSQL.

The SQLite variant uses the default store (``./.metalus/state.db`` under the test's working
directory). The PostgreSQL variant reads ``METALUS_TEST_POSTGRES_URL``, runs in a schema of its
own (dropped afterwards) and skips, saying why, when the server is not configured or not
reachable -- unless ``METALUS_REQUIRE_POSTGRES=1``, where it fails instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from metalus_py.state import StateStore, open_store
from tests.state.conftest import drop_schema, postgres_url_or_skip

TESTS = Path(__file__).resolve().parents[1]
STEPSRC = TESTS / "stepsrc"
#: Safety limit for one command (never a timing assertion).
COMMAND_TIMEOUT = 120


@dataclass
class Metalus:
    """Runs ``python -m metalus_py.cli`` in ``cwd`` against one state store."""

    backend: str
    cwd: Path
    state_url: str | None
    env: dict[str, str] = field(default_factory=dict)
    _stores: list[StateStore] = field(default_factory=list)

    def environment(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("METALUS_STATE", "METALUS_PERSIST",
                                                                         "METALUS_ARTIFACTS", "METALUS_CREDENTIAL"))}
        env["PYTHONPATH"] = os.pathsep.join([str(STEPSRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        if self.state_url:
            env["METALUS_STATE"] = self.state_url
        env.update(self.env)
        env.update(extra)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "metalus_py.cli", *args]

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.command(*args), cwd=self.cwd, env=self.environment(), text=True, **kwargs)

    def __call__(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), cwd=self.cwd, env=self.environment(), capture_output=True,
                              text=True, timeout=timeout)

    def store(self) -> StateStore:
        """A store on the same database, for looking at what the processes recorded."""
        store = open_store(self.state_url or str(self.cwd / ".metalus" / "state.db"))
        assert store is not None
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def metalus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Metalus]:
    """The command line on a fresh store: the default SQLite file, or a PostgreSQL schema."""
    work = tmp_path / "work"
    work.mkdir()
    if request.param == "sqlite":
        runner = Metalus("sqlite", work, None)
        try:
            yield runner
        finally:
            runner.close()
        return
    url = postgres_url_or_skip()
    schema = f"metalus_durable_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in url else "?"
    runner = Metalus("postgres", work, f"{url}{sep}schema={schema}")
    try:
        yield runner
    finally:
        runner.close()
        drop_schema(url, schema)


@pytest.fixture
def sqlite_metalus(tmp_path: Path) -> Iterator[Metalus]:
    """The command line on the default SQLite store only (tests that inspect the database file)."""
    work = tmp_path / "work"
    work.mkdir()
    runner = Metalus("sqlite", work, None)
    try:
        yield runner
    finally:
        runner.close()


def side_effect_counts(path: Path) -> dict[str, int]:
    """How many times each step key was written to the side-effect file."""
    counts: dict[str, int] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line:
                counts[line] = counts.get(line, 0) + 1
    return counts


def step_key(record: Any) -> str:
    return f"{record.execution_key}.{record.pipeline_id}.{record.step_path}"
