"""What a file may execute (DESIGN §14; issue 9, finding 1): the evil files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _metalus(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METALUS_")}
    environ.update(PYTHONPATH=str(TESTS / "stepsrc"), **env)
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


def _app(steps: list[dict[str, Any]], *, packages: list[str] | None = None,
         globals_: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": "evil", "stepPackages": packages if packages is not None else ["steps_library"],
            "globals": globals_ or {},
            "pipelines": [{"id": "P", "name": "P", "steps": steps}],
            "executions": [{"id": "E", "pipelineIds": ["P"]}]}


def _step(command: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {"id": "S", "type": "Pipeline", "engineMeta": {"command": command}, "params": list(params)}


def _write(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "app.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(("command", "packages"), [
    ("os.system", ["steps_library"]),
    ("os.system", ["os"]),
    ("system", ["os"]),
    ("subprocess.Popen", ["steps_library"]),
    ("builtins.eval", ["steps_library"]),
    ("builtins.eval", ["builtins"]),
    ("posix.system", ["steps_library"]),
])
def test_standard_library_is_never_a_step(tmp_path: Path, command: str, packages: list[str]) -> None:
    flag = tmp_path / "pwned"
    app = _write(tmp_path, _app([_step(command, {"name": "command", "type": "text", "value": f"touch {flag}"},
                                       {"name": "source", "type": "text", "value": "1"})], packages=packages))
    for verb in ("validate", "plan", "run"):
        done = _metalus(verb, str(app), "--state", "none", cwd=tmp_path)
        assert done.returncode == 2, (verb, done.stdout, done.stderr)
        assert "pipelines[0].steps[0]" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not flag.exists()
    assert not (tmp_path / ".metalus").exists()


def test_a_step_package_that_imports_os_does_not_lend_it(tmp_path: Path) -> None:
    # durable_steps imports os and subprocess at module level: `os.system` must not be found through it
    app = _write(tmp_path, _app([_step("os.system", {"name": "command", "type": "text", "value": "true"})],
                                packages=["durable_steps"]))
    done = _metalus("validate", str(app), cwd=tmp_path)
    assert done.returncode == 2 and "pipelines[0].steps[0]" in done.stderr, done.stderr


def test_private_names_are_never_steps(tmp_path: Path) -> None:
    app = _write(tmp_path, _app([_step("DurableSteps._hidden")], packages=["durable_steps"]))
    done = _metalus("validate", str(app), cwd=tmp_path)
    assert done.returncode == 2 and "private name" in done.stderr, done.stderr


@pytest.mark.parametrize("verb", ["validate", "plan"])
def test_class_name_constructors_never_run_on_validate_or_plan(tmp_path: Path, verb: str) -> None:
    flag = tmp_path / "pwned"
    evil = {"className": "subprocess.Popen", "object": {"args": ["touch", str(flag)]}}
    app = _write(tmp_path, _app([_step("StringSteps.toUpperCase", {"name": "value", "type": "text", "value": "x"})],
                                globals_={"evil": evil}))
    done = _metalus(verb, str(app), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "globals.evil" in done.stderr and "standard library" in done.stderr, done.stderr
    assert not flag.exists() and not (tmp_path / ".metalus").exists()


def test_allowed_class_is_checked_by_signature_not_called(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    good = {"className": "class_info_objects.TouchOnInit", "object": {"path": str(marker)}}
    bad = {"className": "class_info_objects.TouchOnInit", "object": {"nope": 1}}
    base = [_step("StringSteps.toUpperCase", {"name": "value", "type": "text", "value": "x"})]
    ok = _write(tmp_path, _app(base, packages=["steps_library", "class_info_objects"], globals_={"obj": good}))
    for verb in ("validate", "plan"):
        done = _metalus(verb, str(ok), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert not marker.exists()
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_app(base, packages=["steps_library", "class_info_objects"], globals_={"obj": bad})))
    done = _metalus("validate", str(broken), cwd=tmp_path)
    assert done.returncode == 2 and "globals.obj" in done.stderr and "path" in done.stderr, done.stderr
    ran = _metalus("run", str(ok), "--state", "none", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert marker.exists()  # the run builds it


def test_class_outside_allowed_packages_is_refused(tmp_path: Path) -> None:
    obj = {"className": "class_info_objects.TouchOnInit", "object": {"path": "x"}}
    app = _write(tmp_path, _app([_step("StringSteps.toUpperCase", {"name": "value", "type": "text", "value": "x"})],
                                globals_={"obj": obj}))
    done = _metalus("validate", str(app), cwd=tmp_path)
    assert done.returncode == 2 and "not in an allowed package" in done.stderr, done.stderr
    widened = _metalus("validate", str(app), cwd=tmp_path, METALUS_ALLOWED_PACKAGES="class_info_objects")
    assert widened.returncode == 0, widened.stderr


def test_trusted_packages_cannot_be_widened_by_the_file(tmp_path: Path) -> None:
    app = _write(tmp_path, _app([_step("DurableSteps.work", {"name": "value", "type": "text", "value": "x"})],
                                packages=["durable_steps"]))
    assert _metalus("validate", str(app), cwd=tmp_path).returncode == 0
    done = _metalus("validate", str(app), cwd=tmp_path, METALUS_TRUSTED_PACKAGES="other_pkg")
    assert done.returncode == 2 and "METALUS_TRUSTED_PACKAGES" in done.stderr, done.stderr
    trusted = _metalus("validate", str(app), cwd=tmp_path, METALUS_TRUSTED_PACKAGES="durable_steps")
    assert trusted.returncode == 0, trusted.stderr


def test_the_application_folder_is_not_on_the_import_path(tmp_path: Path) -> None:
    folder = tmp_path / "appdir"
    folder.mkdir()
    flag = tmp_path / "imported"
    (folder / "sneaky.py").write_text(f"open({str(flag)!r}, 'w').close()\ndef go():\n    return 1\n")
    app = _write(folder, _app([_step("sneaky.go")], packages=["sneaky"]))
    done = _metalus("run", str(app), "--state", "none", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert not flag.exists()
    given = _metalus("run", str(app), "--state", "none", "--steps-path", str(folder), cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert flag.exists()
    flag.unlink()
    by_env = _metalus("run", str(app), "--state", "none", cwd=tmp_path, METALUS_STEPS_PATH=str(folder))
    assert by_env.returncode == 0 and flag.exists(), by_env.stderr
