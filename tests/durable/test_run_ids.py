"""Run ids that would build paths outside the state or artifact folder are refused (DESIGN §14)."""

from __future__ import annotations

import pytest

from metalus_py.base.run_ids import InvalidRunIdError, check_run_id
from tests.durable.apps import linear_application, write
from tests.durable.conftest import Metalus


@pytest.mark.parametrize("bad", ["", ".hidden", "../../../x", "/abs/path", "a/b", "a\\b", "x" * 129, "sp ace",
                                 "new\nline", "é"])
def test_bad_run_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidRunIdError, match="invalid run id"):
        check_run_id(bad)


@pytest.mark.parametrize("good", ["a", "x" * 128, "nightly__20260101T000000Z", "a.b:c-d_e", "0"])
def test_good_run_ids_pass(good: str) -> None:
    assert check_run_id(good) == good


@pytest.mark.parametrize("bad", ["../../../escaped", "/tmp/abs-run", ".dot"])
def test_run_id_traversal_exits_2_and_writes_nothing(sqlite_metalus: Metalus, bad: str) -> None:
    app = write(linear_application("ids", "A"), sqlite_metalus.cwd)
    done = sqlite_metalus("run", str(app), "--run-id", bad)
    assert done.returncode == 2, done.stderr
    assert "invalid run id" in done.stderr and "Traceback" not in done.stderr
    assert not (sqlite_metalus.cwd / ".metalus").exists()
    assert not (sqlite_metalus.cwd.parent / "escaped.jsonl").exists()
    for command in ("resume", "show", "kill"):
        other = sqlite_metalus(command, bad)
        assert other.returncode == 2 and "invalid run id" in other.stderr, (command, other.stderr)


def test_python_api_refuses_a_bad_run_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from metalus_py.api import run_application

    with pytest.raises(InvalidRunIdError):
        run_application(linear_application("ids", "A"), run_id="../x", events=str(tmp_path / "e.jsonl"))
    assert not (tmp_path / "e.jsonl").exists()
