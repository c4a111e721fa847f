"""Helpers for the example application tests: where the examples are, and the ``metalus`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "application_configs"


def run_cli(application: Path, *pairs: str, result_file: Path) -> tuple[int, dict[str, Any], str]:
    """``metalus run APP PAIRS --output-json F`` from the repository root, as the README shows it.

    Returns the exit code, the result document and stderr. Runs without a state store so nothing
    is written under the repository.
    """
    process = subprocess.run(
        [sys.executable, "-m", "metalus_py.cli", "run", str(application.relative_to(ROOT)), *pairs,
         "--output-json", str(result_file), "--state", "none", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    document = json.loads(result_file.read_text()) if result_file.exists() else {}
    return process.returncode, document, process.stderr


def statuses(document: dict[str, Any]) -> dict[str, str]:
    """Execution key -> status from a result document."""
    return {key: execution["status"] for key, execution in document["executions"].items()}
