"""The pieces of RESULTS.md: workload sections, targets, and the markdown rendering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import SpecFactory

OK, MISSED = "✓", "✗"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def sec(seconds: float) -> str:
    return f"{seconds:.3f} s"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def mb(value: float) -> str:
    return f"{value:.0f} MB"


@dataclass
class Target:
    """``value`` must be at most ``limit``; ``show`` formats both."""

    label: str
    value: float
    limit: float
    show: Callable[[float], str] = str

    @property
    def met(self) -> bool:
        return self.value <= self.limit

    @property
    def mark(self) -> str:
        return OK if self.met else MISSED

    def ratio(self) -> str:
        return f"{self.value / self.limit:.2f}× {self.mark}" if self.limit else "—"


@dataclass
class Miss:
    """A missed target and how to profile it (a child spec, or the start-up import profile)."""

    title: str
    target: Target
    profile: SpecFactory | None = None
    importtime: list[str] | None = None
    wall: float | None = None
    note: str | None = None


@dataclass
class Section:
    """One workload's part of RESULTS.md."""

    title: str
    method: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)


PEER_HEADER = ["workload", "Hamilton", "Kedro", "Dagster", "Prefect", "plain polars", "target (metalus_py)"]
PEER_ROWS = [
    [
        "W1 engine overhead per step",
        "12 µs",
        "7 ms",
        "10 ms in memory / 43 ms SQLite",
        "8–46 ms",
        "—",
        "≤ 10 µs state none (≤ 25 µs whole process), ≤ 150 µs SQLite, ≤ 500 µs PostgreSQL",
    ],
    [
        "W2 map over 1,000 values + sum",
        "1.3 s",
        "11 s",
        "12 s",
        "17 s",
        "—",
        "≤ 50 ms per 1,000 values in memory",
    ],
    [
        "W3 5M-row ETL wall time",
        "1.43 s",
        "1.33 s",
        "1.88 s",
        "12 s",
        "eager 1.26 s, lazy 0.54 s",
        "lazy steps ≤ 1.10× lazy query; eager steps ≤ 1.05× eager script",
    ],
    ["W3 peak RSS", "—", "—", "—", "—", "eager 1,016 MB, lazy 295 MB", "lazy steps ≤ 1.10× lazy query"],
    [
        "Start-up (one-step run, whole process)",
        "0.66 s",
        "0.48 s",
        "1.0 s",
        "1.8 s",
        "python + `import polars` 0.26 s",
        "≤ 0.40 s",
    ],
]
PEER_NOTE = (
    "The peer figures were measured on another machine; compare ratios to the baselines measured "
    'here (plain polars, `python -c "import polars"`) rather than absolute seconds.'
)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


#: Hand-kept analysis of the missed targets, included at the top of "What remains and why".
ANALYSIS = Path(__file__).resolve().parent / "ANALYSIS.md"


def render(
    *,
    command: str,
    machine: list[tuple[str, str]],
    repetitions: int,
    duration: float,
    sections: list[Section],
    hot_spots: list[str],
) -> str:
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    parts = [
        "# metalus_py benchmark results",
        "",
        f"Produced by `{command}` on {when}: every figure is the median (with min and max) of "
        f"{repetitions} fresh `python` processes per measurement, run round-robin; the whole "
        f"harness took {duration / 60:.1f} min. How to run and what each workload does: "
        "[bench/README.md](README.md).",
        "",
        "## Machine",
        "",
        table(["", ""], [[name, value] for name, value in machine]),
        "",
        "## Peer figures",
        "",
        table(PEER_HEADER, PEER_ROWS),
        "",
        PEER_NOTE,
        "",
    ]
    headline = [line for section in sections for line in section.headline]
    if headline:
        parts += ["## Headline", "", *[f"- {line}" for line in headline], ""]
    for section in sections:
        parts += [f"## {section.title}", "", section.method, "", table(section.header, section.rows), ""]
        parts += [f"- {note}" for note in section.notes]
        if section.notes:
            parts.append("")
    parts += ["## What remains and why", ""]
    if ANALYSIS.exists():  # the maintainers' reading of the misses, kept by hand beside the harness
        parts += [ANALYSIS.read_text().strip(), ""]
    misses = [miss for section in sections for miss in section.misses]
    if not misses:
        parts += ["Every target was met.", ""]
    else:
        parts += [
            "Missed targets, each with a profile of one run of the same measurement (cProfile, one "
            "profiler per thread, merged; it inflates per-call costs, so read shares, not seconds). "
            "“Own” is time in the function itself, “cum.” includes callees; shares are of the "
            "profiled run's wall time (threads can add up to more than 100 %). Paths are relative to the "
            "repository or to site-packages.",
            "",
            *hot_spots,
        ]
    return "\n".join(parts).rstrip() + "\n"


def write(path: Path, text: str) -> None:
    """Write RESULTS.md, keeping the W4 section (written by ``python -m bench.w4_dask``) if present."""
    start, end = "<!-- W4 start -->", "<!-- W4 end -->"
    old = path.read_text() if path.exists() else ""
    if start in old and end in old and start not in text:
        text = text.rstrip() + "\n\n" + old[old.index(start): old.index(end) + len(end)] + "\n"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(path)
