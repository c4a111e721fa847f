"""A description of the machine and software a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(module: str) -> str:
    """A package's version, read in a subprocess so this process does not import it."""
    code = f"import {module}; print({module}.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "not installed"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def describe(repo: Path) -> list[tuple[str, str]]:
    """(name, value) rows: CPU, cores, memory, OS, Python, polars, pyarrow, metalus_py commit."""
    commit = _git(repo, "rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = _git(repo, "status", "--porcelain", "--untracked-files=no", "--", "metalus_py", "steps_library")
    if dirty:
        files = ", ".join(f"`{line.split(maxsplit=1)[-1]}`" for line in dirty.splitlines())
        commit += f" + uncommitted changes in {files}"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("CPU", _cpu_model()),
        ("Cores (logical, usable)", f"{os.cpu_count()}, {usable}"),
        ("Memory", _memory_gib()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("polars", _version("polars")),
        ("pyarrow", _version("pyarrow")),
        ("metalus_py commit", commit),
    ]
