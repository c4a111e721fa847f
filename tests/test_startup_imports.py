"""Start-up: a command imports only what it needs (no timing here: bench/ measures the speed).

Each check runs in a fresh interpreter and reads its ``sys.modules``, since the test process has
imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Never imported to run a one-step ``StringSteps`` application with ``--state none``.
HEAVY = ("polars", "pyarrow", "networkx", "dask", "distributed", "fsspec")
#: metalus_py packages a ``run`` does not use.
UNUSED_LAYERS = ("metalus_py.ui", "metalus_py.notebook", "metalus_py.schedule", "metalus_py.state")

ONE_STEP = {
    "id": "one-step",
    "stepPackages": ["steps_library"],
    "pipelines": [
        {
            "id": "One",
            "name": "One",
            "steps": [
                {
                    "id": "Upper",
                    "type": "Pipeline",
                    "engineMeta": {"command": "StringSteps.toUpperCase"},
                    "params": [{"name": "value", "type": "text", "value": "hello"}],
                }
            ],
        }
    ],
    "executions": [{"id": "One", "pipelineIds": ["One"]}],
}


def _modules_after(code: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after ``code`` (which must not print)."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _offending(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def test_metalus_run_of_a_string_step_imports_no_data_library(tmp_path: Path) -> None:
    app = tmp_path / "one.json"
    app.write_text(json.dumps(ONE_STEP))
    code = (
        "from metalus_py.cli.main import main\n"
        f"assert main(['run', {str(app)!r}, '--state', 'none', '--quiet']) == 0"
    )
    modules = _modules_after(code, tmp_path)
    assert "steps_library.strings" in modules  # the step did run
    assert _offending(modules, HEAVY + UNUSED_LAYERS) == []
    assert (tmp_path / ".metalus" / "events").is_dir()  # the default local event log was written


def test_importing_the_command_line_imports_no_heavy_module(tmp_path: Path) -> None:
    modules = _modules_after("import metalus_py.cli.main", tmp_path)
    assert _offending(modules, HEAVY + UNUSED_LAYERS) == []


def test_import_metalus_py_is_lazy_and_keeps_its_public_names(tmp_path: Path) -> None:
    modules = _modules_after("import metalus_py", tmp_path)
    assert sorted(m for m in modules if m.startswith("metalus_py.")) == []
    code = (
        "import metalus_py\n"
        "from metalus_py import ApplicationError, PipelineContext, RunResult, run_application\n"
        "assert set(metalus_py.__all__) <= set(dir(metalus_py))\n"
        "assert run_application is metalus_py.run_application"
    )
    modules = _modules_after(code, tmp_path)
    assert _offending(modules, ("polars", "pyarrow", "metalus_py.notebook")) == []


def test_step_objects_import_only_their_own_module(tmp_path: Path) -> None:
    code = (
        "import steps_library\n"
        "assert steps_library.StringSteps.to_upper_case('a') == 'A'\n"
        "assert steps_library.FlowSteps.is_empty([]) == 'true'\n"
        "assert 'StringSteps' in dir(steps_library) and 'readers' in dir(steps_library)"
    )
    modules = _modules_after(code, tmp_path)
    assert _offending(modules, ("polars", "pyarrow", "fsspec", "steps_library.readers")) == []
    modules = _modules_after("import steps_library\nassert len(steps_library.STEP_OBJECTS) == 11", tmp_path)
    assert "steps_library.readers" in modules and "polars" in modules
