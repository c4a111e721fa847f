"""``python -m bench.run [--quick] [--only W1,W3] [--rows N]``: run the benchmarks, write RESULTS.md."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from bench import machine, report
from bench.harness import Harness
from bench.profiling import profile_miss
from bench.workloads import WORKLOADS, Config

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_ROWS = 5_000_000


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 5")
    parser.add_argument("--repetitions", type=int, help="fresh processes per measurement (overrides --quick)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(WORKLOADS)} (case-insensitive)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="W3 order rows (default 5,000,000)")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling the missed targets")
    parser.add_argument("--output", type=Path, default=None,
                        help="default bench/RESULTS.md for a full run, bench/work/RESULTS-partial.md with --only")
    parser.add_argument("--work", type=Path, default=BENCH / "work", help="data and scratch (gitignored)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def _load() -> str:
    """The 1/5/15-minute load averages: other work on the machine shows up as noise in the figures."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    selected = [
        name.strip().upper() for name in (args.only or ",".join(WORKLOADS)).split(",") if name.strip()
    ]
    unknown = [name for name in selected if name not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}", file=sys.stderr)
        return 2
    if args.output is None:  # a partial run never replaces the full, committed results
        args.output = BENCH / "RESULTS.md" if args.only is None else args.work / "RESULTS-partial.md"
        args.output.parent.mkdir(parents=True, exist_ok=True)
    repetitions = args.repetitions or (3 if args.quick else 5)
    started = time.perf_counter()
    load_at_start = _load()
    described = machine.describe(REPO)  # at the start: other people may commit while this runs

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    work = args.work.resolve()
    harness = Harness(REPO, work, repetitions, log)
    config = Config(REPO, work, args.rows)
    shutil.rmtree(harness.scratch, ignore_errors=True)
    sections = [WORKLOADS[name](harness, config) for name in selected]
    hot_spots: list[str] = []
    if not args.no_profile:
        misses = [miss for section in sections for miss in section.misses]
        profiles = work / "profiles"
        shutil.rmtree(profiles, ignore_errors=True)
        hot_spots = [profile_miss(harness, miss, profiles, i) for i, miss in enumerate(misses, 1)]
    else:
        hot_spots = ["(profiles skipped: `--no-profile`)"]
    command = "python -m bench.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = report.render(
        command=command.strip(),
        machine=[
            *described,
            ("Load average (1/5/15 min), start → end", f"{load_at_start} → {_load()}"),
        ],
        repetitions=repetitions,
        duration=time.perf_counter() - started,
        sections=sections,
        hot_spots=hot_spots,
    )
    report.write(args.output, text)
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
