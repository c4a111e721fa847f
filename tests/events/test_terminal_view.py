"""``metalus run`` on a terminal (a real pty): progress of steps, log lines kept, forks summarised, outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "application_configs" / "file_fork" / "application.json"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _terminal_run(arguments: list[str], cwd: Path) -> str:
    import pty

    env = dict(os.environ, COLUMNS="110", TERM="xterm")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "metalus_py.cli", *arguments], cwd=cwd, env=env,
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode("utf-8", "replace")
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_view_of_a_fork_run(tmp_path: Path) -> None:
    document = json.loads(APP.read_text())
    listing = document["pipelines"][0]["steps"]
    listing.insert(0, {"id": "HELLO", "type": "Pipeline", "nextStepId": "LISTFILESSTEP",
                       "params": [{"name": "message", "type": "text", "value": "hello from a step"}],
                       "engineMeta": {"command": "LoggingSteps.logMessage"}})
    app = tmp_path / "app.json"
    app.write_text(json.dumps(document))
    out = tmp_path / "out"
    screen = _terminal_run(["run", str(app), "--state", "none", "--events", "none",
                            "--inputPath", str(APP.parent / "data"), "--outputPath", str(out)], tmp_path)
    lines = [ANSI.sub("", part) for line in screen.splitlines() for part in line.split("\r")]
    text = "\n".join(lines)
    assert "hello from a step" in text  # a log line printed above the live view ...
    last_frame = [i for i, line in enumerate(lines) if line.startswith("metalus run")][-1]
    assert any("hello from a step" in line for line in lines[:last_frame])  # ... and never erased
    assert re.search(r"metalus run .* (\d+)/\1 steps \d+:\d\d:\d\d", text)  # done/total steps, elapsed
    summary = text[text.index("run ", text.rindex("steps")):]
    rows = summary.splitlines()
    assert rows[0].startswith("run ") and "COMPLETE" in rows[0]
    assert re.search(r"^  PROCESS\s+×3: 3 COMPLETE", summary, re.M)  # fork values on one line
    assert not re.search(r"PROCESS\[\d\]", summary)
    assert re.search(r"^  LIST\s+COMPLETE", summary, re.M) and re.search(r"^  COMBINE\s+COMPLETE", summary, re.M)
    assert "outputs:" in summary and str(out / "sales.parquet") in summary  # where the outputs went
    assert all(row.strip() for row in rows if row)  # no blank rows
    assert "[metalus] step_started" not in text  # no plain event lines on a terminal


def test_live_view_shows_running_executions_with_fork_values_on_one_row(tmp_path: Path) -> None:
    """The live rows while a run is going: the running execution and its current step."""
    from rich.console import Console

    from metalus_py.cli.progress import LiveProgress
    from metalus_py.events import RunEvent

    live = LiveProgress().plan({"ROOT": 2, "FORK": 1})
    for index in range(3):
        live.on_event(RunEvent("execution_started", execution_id="FORK", fork_index=[index]))
        live.on_event(RunEvent("step_started", execution_id="FORK", fork_index=[index], pipeline_id="F", path="F1"))
    console = Console(width=100, file=open(os.devnull, "w"), record=True)  # noqa: SIM115
    console.print(live._render())
    frame = console.export_text()
    assert "0/5 steps" in frame  # 2 + 1 planned, two more fork values seen
    assert frame.count("FORK") == 2 and "FORK ×3" in frame and "3 running" in frame and "F.F1" in frame
