"""Secrets never reach state, artifacts or summaries; redact() removes known secret strings."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec

from metalus_py.base.secrets import REDACTED, Redactor, Secret, redact, redact_secrets
from metalus_py.state import ArtifactStore, StateStore, load_artifact, summarize_value
from metalus_py.state.secrets import Secret as StateSecret

from .conftest import Backend

PASSWORD = "hunter2-very-secret"


class Holder:
    """An object carrying a secret attribute (stored with pickle)."""

    def __init__(self, secret: Any) -> None:
        self.secret = secret

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Holder) and other.secret == self.secret


def test_secret_never_prints() -> None:
    secret = Secret(PASSWORD)
    assert str(secret) == "***" and repr(secret) == "Secret(***)"
    assert f"{secret}" == "***" and f"{secret:>10}" == "***" and "%s" % (secret,) == "***"  # noqa: UP031
    assert secret.reveal() == PASSWORD and type(secret.reveal()) is str
    assert secret.is_secret and isinstance(secret, str)
    assert Secret(secret).reveal() == PASSWORD
    assert pickle.loads(pickle.dumps(secret)).reveal() == PASSWORD
    assert isinstance(pickle.loads(pickle.dumps(secret)), Secret)
    assert StateSecret is Secret


def test_redact_by_type_and_by_value() -> None:
    data = {"user": "u", "pw": Secret(PASSWORD), "list": [Secret("x"), ("t", Secret("y"))]}
    assert redact_secrets(data) == {"user": "u", "pw": REDACTED, "list": [REDACTED, ("t", REDACTED)]}
    text = {"msg": f"login failed with {PASSWORD}!", PASSWORD: [f"a{PASSWORD}b", 3], "n": None}
    assert redact(text, {PASSWORD}) == {
        "msg": f"login failed with {REDACTED}!",
        REDACTED: [f"a{REDACTED}b", 3],
        "n": None,
    }
    assert redact(f"x {PASSWORD} y", [Secret(PASSWORD), ""]) == f"x {REDACTED} y"
    assert redact("abcdef", {"abc", "abcdef"}) == REDACTED  # the longer secret wins


def test_redactor_collects_secrets() -> None:
    redactor = Redactor()
    redactor.collect({"globals": {"db": {"password": Secret(PASSWORD)}, "n": 1}})
    redactor.add("")
    assert redactor.secrets == frozenset({PASSWORD})
    assert redactor({"error": f"bad password {PASSWORD}"}) == {"error": f"bad password {REDACTED}"}
    assert PASSWORD not in repr(redactor)


def test_summaries_redact_secrets() -> None:
    assert summarize_value(Secret(PASSWORD)) == REDACTED
    assert summarize_value({"pw": Secret(PASSWORD)}) == {"pw": REDACTED}
    assert PASSWORD not in json.dumps(summarize_value(Holder(Secret(PASSWORD))))


def test_artifacts_redact_secrets(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "arts"))
    ref = store.persist_step_output(
        execution_key="E",
        pipeline_id="P",
        step_path="S",
        primary={"conn": {"password": Secret(PASSWORD)}},
        named={"bare": Secret(PASSWORD), "obj": Holder(Secret(PASSWORD))},
    )
    primary, named = store.load_step_output(ref)
    assert primary == {"conn": {"password": REDACTED}}
    assert named["bare"] == REDACTED
    assert named["obj"] == Holder(REDACTED)
    fs = fsspec.filesystem("file")
    for path in fs.find(str(tmp_path / "arts")):
        assert PASSWORD.encode() not in fs.cat_file(path), path
    assert PASSWORD not in json.dumps(ref)
    assert load_artifact(ref["named"]["bare"]) == REDACTED


def test_store_redacts_secrets(backend: Backend, store: StateStore, make_run: Callable[..., str]) -> None:
    run_id = make_run(
        parameters={"password": Secret(PASSWORD), "user": "me"}, metadata={"s": Secret(PASSWORD)}
    )
    store.record_parameter_change(run_id=run_id, changes={"token": Secret(PASSWORD)})
    store.append_event(run_id=run_id, event={"globals": {"pw": Secret(PASSWORD)}})
    store.claim_step(
        run_id=run_id,
        execution_key="E",
        pipeline_id="P",
        step_path="S",
        owner="o",
        input_summary={"pw": Secret(PASSWORD)},
    )
    store.complete_step(
        run_id=run_id,
        execution_key="E",
        pipeline_id="P",
        step_path="S",
        owner="o",
        metrics={"m": Secret(PASSWORD)},
    )
    run = store.get_run(run_id=run_id)
    assert run is not None
    assert run.parameters == {"password": REDACTED, "user": "me"}
    assert run.effective_parameters["token"] == REDACTED and run.metadata == {"s": REDACTED}
    assert store.list_events(run_id=run_id)[0].event == {"globals": {"pw": REDACTED}}
    step = store.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S")
    assert step is not None and step.input_summary == {"pw": REDACTED} and step.metrics == {"m": REDACTED}
    if backend.name == "sqlite":
        store.close()
        db = Path(backend.url[len("sqlite:///") :])
        for path in db.parent.glob("state.db*"):  # the database, its WAL and shared memory
            assert PASSWORD.encode() not in path.read_bytes(), path
