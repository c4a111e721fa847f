"""Secrets (DESIGN §14; issue 9, finding 4): secret-named globals and state URL passwords are in
nothing stored, logged, printed or served, while steps receive the real values, also in templates
and after a resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.durable.apps import SIDE, p, step, write
from tests.durable.conftest import Metalus

PASSWORD = "Pw-4471-dbPASS-x9"
TOKEN = "Tk-8812-apiTOKEN-q3"
CREDENTIAL = "Cr-5530-credVALUE-z1"
URL_PASSWORD = "UrlPw-7741-z"


def _record(step_id: str, value: str, label: str, next_: str | None) -> dict[str, Any]:
    return step(step_id, "RecordSteps.record", p("value", value), p("target", "!recordFile"), p("label", label),
                next_=next_)


def secrets_application() -> dict[str, Any]:
    steps = [
        _record("PW", "!dbPassword", "password", "TPL"),
        _record("TPL", "postgresql://app:!{dbPassword}@host/x", "template", "NESTED"),
        _record("NESTED", "!conn.apiToken", "nested", "CRED_TPL"),
        _record("CRED_TPL", "postgresql://app:%{dbCred.value}@host/x", "credential-template", "LOGIN"),
        step("LOGIN", "DurableSteps.use_credential", p("credential", "%dbCred"), SIDE, next_="FAIL"),
        step("FAIL", "DurableSteps.fail_when", p("value", "@LOGIN"), SIDE, p("failFlag", "!failFlag || false"),
             next_="USE"),
        _record("USE", "@LOGIN", "downstream", None),
    ]
    return {
        "id": "secret-globals",
        "stepPackages": ["durable_steps"],
        "globals": {"dbPassword": PASSWORD, "conn": {"host": "h", "apiToken": TOKEN}},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def _leaks(folder: Path, texts: list[str]) -> list[str]:
    found = []
    for secret in (PASSWORD, TOKEN, CREDENTIAL, URL_PASSWORD):
        found += [f"output #{i}: {secret}" for i, text in enumerate(texts) if secret in text]
        found += [f"{path}: {secret}" for path in folder.rglob("*") if path.is_file() and path.name != "app.json"
                  and secret.encode() in path.read_bytes()]
    return found


def _recorded(path: Path) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        label, _, value = line.partition("=")
        seen.setdefault(label, []).append(value)
    return seen


def test_secret_globals_and_credentials_are_hidden_but_real_in_steps(metalus: Metalus) -> None:
    metalus.env["METALUS_CREDENTIAL_DBCRED"] = CREDENTIAL
    if metalus.state_url:  # a password in the state URL (the server trusts; the password is unused)
        metalus.state_url = metalus.state_url.replace("postgresql://postgres@", f"postgresql://postgres:{URL_PASSWORD}@")
    records = metalus.cwd.parent / "received.txt"
    app = write(secrets_application(), metalus.cwd)
    side = metalus.cwd.parent / "side.txt"
    common = ("--recordFile", str(records), "--sideEffect", str(side), "--verbose")
    texts: list[str] = []
    first = metalus("run", str(app), "--run-id", "sec", "--failFlag", "true",
                    "--output-json", str(metalus.cwd / "out1.json"), *common)
    assert first.returncode == 1, first.stderr
    texts += [first.stdout, first.stderr]
    # Without METALUS_SECRET_KEY the secret-named globals were not stored: resume asks for them.
    refused = metalus("resume", "sec", "--failFlag", "false", *common)
    assert refused.returncode == 2, refused.stderr
    assert "dbPassword" in refused.stderr and "conn.apiToken" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    texts += [refused.stdout, refused.stderr]
    resumed = metalus("resume", "sec", "--failFlag", "false", "--dbPassword", PASSWORD, "--apiToken", TOKEN,
                      "--output-json", str(metalus.cwd / "out2.json"), *common)
    assert resumed.returncode == 0, resumed.stderr
    texts += [resumed.stdout, resumed.stderr]
    for command in (("show", "sec"), ("show", "sec", "--json"), ("runs", "--json")):
        shown = metalus(*command)
        texts += [shown.stdout, shown.stderr]

    seen = _recorded(records)
    assert seen["password"] == [PASSWORD]
    assert seen["template"] == [f"postgresql://app:{PASSWORD}@host/x"]
    assert seen["nested"] == [TOKEN]
    assert seen["credential-template"] == [f"postgresql://app:{CREDENTIAL}@host/x"]
    # LOGIN's output holds the credential: not persisted, so it ran again and the real value flowed on
    assert seen["downstream"] == [f"token-{CREDENTIAL}"]
    assert _leaks(metalus.cwd, texts) == []
    document = json.loads((metalus.cwd / "out2.json").read_text())
    assert document["status"] == "COMPLETE"


def test_with_a_secret_key_resume_needs_nothing_given_again(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    metalus.env["METALUS_CREDENTIAL_DBCRED"] = CREDENTIAL
    metalus.env["METALUS_SECRET_KEY"] = Fernet.generate_key().decode()
    records = metalus.cwd.parent / "received.txt"
    app = write(secrets_application(), metalus.cwd)
    common = ("--recordFile", str(records), "--sideEffect", str(metalus.cwd.parent / "side.txt"))
    first = metalus("run", str(app), "--run-id", "k", "--failFlag", "true", *common)
    assert first.returncode == 1, first.stderr
    resumed = metalus("resume", "k", "--failFlag", "false", *common)
    assert resumed.returncode == 0, resumed.stderr
    retriggered = metalus("retrigger", "k", "--from", "E.P.PW", *common)
    assert retriggered.returncode == 0, retriggered.stderr
    seen = _recorded(records)
    assert set(seen["password"]) == {PASSWORD} and set(seen["nested"]) == {TOKEN}
    assert seen["downstream"] == [f"token-{CREDENTIAL}"] * 2
    assert _leaks(metalus.cwd, [first.stderr, resumed.stderr, retriggered.stderr]) == []


def test_state_url_password_is_never_printed(sqlite_metalus: Metalus) -> None:
    app = write(secrets_application(), sqlite_metalus.cwd)
    url = f"postgresql://postgres:{URL_PASSWORD}@127.0.0.1:1/nothing"
    done = sqlite_metalus("run", str(app), "--state", url)
    assert done.returncode == 2, done.stderr
    assert "cannot open the state store" in done.stderr and URL_PASSWORD not in done.stderr, done.stderr


def test_resubmitting_the_same_run_id_takes_secret_globals_from_the_file(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    metalus.env["METALUS_CREDENTIAL_DBCRED"] = CREDENTIAL
    records = metalus.cwd.parent / "received.txt"
    app = write(secrets_application(), metalus.cwd)
    common = ("--recordFile", str(records), "--sideEffect", str(metalus.cwd.parent / "side.txt"))
    first = metalus("run", str(app), "--run-id", "again", "--failFlag", "true", *common)
    assert first.returncode == 1, first.stderr
    second = metalus("run", str(app), "--run-id", "again", "--failFlag", "false", *common)
    assert second.returncode == 0, second.stderr
    assert _recorded(records)["downstream"] == [f"token-{CREDENTIAL}"]
    assert _leaks(metalus.cwd, [first.stderr, second.stderr]) == []
