"""``metalus schedule validate|list|tick|backfill``, ``metalus scheduler`` and ``metalus prune``.

The command-line face of :mod:`metalus_py.schedule` and :mod:`metalus_py.durable.prune`.

Exit codes as everywhere: 0 every run completed, 1 a run did not, 2 invalid input (nothing ran).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.cli.arguments import CommandLine

INVALID = 2

SCHEDULE_USAGE = """usage: metalus schedule validate FILE
       metalus schedule list FILE [--json] [--now ISO]
       metalus schedule tick FILE [--now ISO]
       metalus schedule backfill FILE NAME --from ISO --to ISO
options: --state URL  --persist all|none  --artifacts URL  --max-workers N  --quiet  --verbose"""


def _file(line: CommandLine, command: str, count: int = 1) -> list[str]:
    if len(line.positionals) != count:
        raise ApplicationError(f"expected {'FILE NAME' if count == 2 else 'FILE'} (metalus {command} "
                               f"{'FILE NAME' if count == 2 else 'FILE'} ...), got {line.positionals}")
    return line.positionals


def _options(line: CommandLine) -> Any:
    from metalus_py.cli.main import _run_options

    return _run_options(line, [])


def _listeners(line: CommandLine) -> Any:
    """Progress lines for each run with ``--verbose`` (the scheduler's own lines are always shown)."""
    if not line.flag("--verbose", "-v"):
        return None
    from metalus_py.cli.progress import PlainProgress

    return lambda run_id: [PlainProgress(verbose=True)]


def _state(line: CommandLine) -> str | None:
    return line.option("--state")


def _schedule_logging(line: CommandLine) -> None:
    if not line.flag("--quiet", "-q"):
        logging.getLogger("metalus_py.schedule").setLevel(logging.INFO)


def cmd_schedule(line: CommandLine) -> int:
    """``metalus schedule SUBCOMMAND ...``."""
    if line.flag("--help", "-h"):
        print(SCHEDULE_USAGE)
        return 0
    if not line.positionals:
        print(SCHEDULE_USAGE, file=sys.stderr)
        return INVALID
    sub = line.positionals[0]
    line.positionals = line.positionals[1:]
    handler = {"validate": _validate, "list": _list, "tick": _tick, "backfill": _backfill}.get(sub)
    if handler is None:
        print(f"metalus schedule: unknown subcommand {sub!r}\n\n{SCHEDULE_USAGE}", file=sys.stderr)
        return INVALID
    _schedule_logging(line)
    return handler(line)


def _validate(line: CommandLine) -> int:
    from metalus_py.schedule.validate import validate_schedules

    (location,) = _file(line, "schedule validate")
    report, _ = validate_schedules(location)
    if line.flag("--json"):
        print(json.dumps({"valid": report.ok, "problems": [p.to_dict() for p in report.problems]}, indent=2))
    else:
        print(report.format(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else INVALID


def _list(line: CommandLine) -> int:
    from metalus_py.schedule.api import next_fire_times
    from metalus_py.schedule.validate import load_schedules

    (location,) = _file(line, "schedule list")
    loaded = load_schedules(location, check_applications=False)
    now = line.option("--now")
    rows: list[dict[str, Any]] = []
    for schedule in loaded.schedules:
        spec = schedule.spec
        times = next_fire_times(schedule, now, 3)
        rows.append({
            "name": spec.name, "application": spec.application, "cron": spec.cron, "timezone": spec.timezone,
            "catchup": spec.catchup, "overlap": spec.overlap, "paused": spec.paused,
            "nextFireTimes": [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times],
            "nextFireTimesLocal": [t.astimezone(schedule.zone).isoformat() for t in times],
        })
    if line.flag("--json"):
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        paused = "  (paused)" if row["paused"] else ""
        print(f"{row['name']}  {row['cron']}  {row['timezone']}  -> {row['application']}{paused}")
        for utc, local in zip(row["nextFireTimes"], row["nextFireTimesLocal"], strict=True):
            print(f"    next: {utc}  ({local})")
        if not row["nextFireTimes"]:
            print("    next: never (past endAt)")
    return 0


def _tick(line: CommandLine) -> int:
    from metalus_py.schedule.api import tick

    (location,) = _file(line, "schedule tick")
    report = tick(location, now=line.option("--now"), state=_state(line), options=_options(line),
                  listeners=_listeners(line))
    print(json.dumps(report.to_dict(), indent=2) if line.flag("--json") else report.format())
    return report.exit_code


def _backfill(line: CommandLine) -> int:
    from metalus_py.schedule.api import backfill

    location, name = _file(line, "schedule backfill", 2)
    start, end = line.option("--from"), line.option("--to")
    if not start or not end:
        raise ApplicationError("metalus schedule backfill FILE NAME --from ISO --to ISO (both bounds inclusive)")
    report = backfill(location, name, start=start, end=end, state=_state(line), options=_options(line),
                      listeners=_listeners(line))
    print(json.dumps(report.to_dict(), indent=2) if line.flag("--json") else report.format())
    return report.exit_code


def cmd_scheduler(line: CommandLine) -> int:
    """``metalus scheduler FILE [--now ISO] [--speed N]``: run until SIGTERM/SIGINT, then exit 0."""
    from metalus_py.schedule.api import _instant, open_schedule_store
    from metalus_py.schedule.loop import Scheduler
    from metalus_py.schedule.timing import Clock
    from metalus_py.schedule.validate import load_schedules

    if line.flag("--help", "-h"):
        print("usage: metalus scheduler FILE [--now ISO] [--speed N] [--state URL]\n"
              "runs the schedules' ticks until SIGTERM/SIGINT (a second signal kills the running runs)")
        return 0
    (location,) = _file(line, "scheduler")
    _schedule_logging(line)
    speed_text = line.option("--speed", "1") or "1"
    try:
        speed = float(speed_text)
        if speed <= 0:
            raise ValueError
    except ValueError as exc:
        raise ApplicationError(f"--speed expects a positive number, got {speed_text!r}") from exc
    now = line.option("--now")
    start = _instant(now) if now else None
    loaded = load_schedules(location)
    with open_schedule_store(_state(line)) as store:
        clock = Clock(start, speed)  # starts now: loading and validating took no clock time
        scheduler = Scheduler(store, loaded, clock=clock, options=_options(line), listeners=_listeners(line))

        def on_signal(signum: int, frame: Any) -> None:
            (scheduler.interrupt if scheduler.stop.is_set() else scheduler.stop).set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            scheduler.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0


def cmd_prune(line: CommandLine) -> int:
    """``metalus prune --older-than DURATION [--keep-failed] [--dry-run] [--json]``."""
    from metalus_py.cli.main import _require_store
    from metalus_py.durable.prune import prune_runs
    from metalus_py.schedule.timing import parse_duration

    if line.flag("--help", "-h"):
        print("usage: metalus prune --older-than DURATION [--keep-failed] [--dry-run] [--json] [--state URL]")
        return 0
    text = line.option("--older-than")
    if not text:
        raise ApplicationError("metalus prune --older-than DURATION (e.g. 7d, 12h, 1d12h) [--keep-failed] [--dry-run]")
    try:
        age = parse_duration(text)
    except ValueError as exc:
        raise ApplicationError(f"--older-than: {exc}") from exc
    store = _require_store(line, "prune")
    try:
        report = prune_runs(store, older_than=age, keep_failed=line.flag("--keep-failed"),
                            dry_run=line.flag("--dry-run"))
    finally:
        store.close()
    print(json.dumps(report.to_dict(), indent=2) if line.flag("--json") else report.format())
    return 0


def schedule_run_ids(store: Any, name: str) -> list[str]:
    """Run ids of a schedule's ticks (for ``metalus runs --schedule``)."""
    from metalus_py.state.ticks import ScheduleStore

    if not isinstance(store, ScheduleStore):
        raise ApplicationError(f"the state store {store.url} has no schedule records")
    return store.schedule_run_ids(schedule_name=name)
