"""``metalus``: run, validate, plan and describe applications from a shell or a scheduler.

Exit codes: 0 complete, 1 failed, 2 invalid input (nothing ran), 3 paused, 4 killed.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable

from metalus_py.cli.arguments import CommandLine, split_command_line
from metalus_py.exceptions import ApplicationError

USAGE = """usage: metalus COMMAND [ARGS]

commands:
  run APP.json [--name value ...]   validate and run an application
      options: --output-json FILE  --run-id ID  --state URL|none  --persist all|none
               --max-workers N  --strict  --quiet  --verbose
  validate APP.json [--strict] [--name value ...]
                                    report every problem (exit 0 valid, 2 invalid)
  plan APP.json [--format text|mermaid|dot]
                                    print the execution plan
  schema                            print the JSON Schema of the application file
  steps [APP.json] [--package P[,Q]] [--json]
                                    the step catalogue (default package: steps_library)
"""

INVALID = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metalus`` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if arguments else INVALID
    command, rest = arguments[0], arguments[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        print(f"metalus: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return INVALID
    try:
        line = split_command_line(rest)
    except ApplicationError as exc:
        print(f"metalus {command}: {exc}", file=sys.stderr)
        return INVALID
    _configure_logging(line)
    try:
        return handler(line)
    except ApplicationError as exc:
        print(f"metalus {command}: {exc}", file=sys.stderr)
        return INVALID
    except KeyboardInterrupt:
        print("metalus: interrupted", file=sys.stderr)
        return 4
    except BrokenPipeError:  # output piped into `head` and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _configure_logging(line: CommandLine) -> None:
    level = logging.DEBUG if line.flag("--verbose", "-v") else logging.ERROR if line.flag("--quiet", "-q") else (
        logging.WARNING
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _application_argument(line: CommandLine, command: str) -> str:
    if len(line.positionals) != 1:
        raise ApplicationError(f"expected one application file (metalus {command} APP.json), got {line.positionals}")
    return line.positionals[0]


def cmd_validate(line: CommandLine) -> int:
    from metalus_py.api import validate_application

    location = _application_argument(line, "validate")
    report = validate_application(location, line.parameters, strict=line.flag("--strict"), source=location)
    if line.flag("--json"):
        print(json.dumps({"valid": report.ok, "problems": [p.to_dict() for p in report.problems]}, indent=2))
    else:
        print(report.format(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else INVALID


def cmd_run(line: CommandLine) -> int:
    from metalus_py.api import run_application
    from metalus_py.cli.progress import LiveProgress, PlainProgress

    location = _application_argument(line, "run")
    max_workers = line.option("--max-workers")
    if max_workers is not None and not max_workers.isdigit():
        raise ApplicationError(f"--max-workers expects a positive whole number, got {max_workers!r}")
    quiet = line.flag("--quiet", "-q")
    listeners: list[object] = []
    live: LiveProgress | None = None
    if not quiet:
        if sys.stderr.isatty() and not line.flag("--no-progress", "--verbose", "-v"):
            live = LiveProgress()
            listeners.append(live)
        else:
            listeners.append(PlainProgress(verbose=line.flag("--verbose", "-v")))

    def execute() -> int:
        result = run_application(
            location,
            line.parameters,
            source=location,
            run_id=line.option("--run-id"),
            max_workers=int(max_workers) if max_workers else None,
            listeners=listeners,  # type: ignore[arg-type]
            strict=line.flag("--strict"),
        )
        output = line.option("--output-json")
        if output:
            _write_text(output, result.to_json())
        if not quiet:
            print(_summary(result), file=sys.stderr)
        return result.exit_code

    if live is not None:
        with live:
            return execute()
    return execute()


def _summary(result: object) -> str:
    from metalus_py.results import RunResult

    assert isinstance(result, RunResult)
    counts: dict[str, int] = {}
    for outcome in result.executions.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [f"run {result.run_id} {result.status} in {result.ended_at - result.started_at:.2f}s ({parts})"]
    for key, outcome in result.executions.items():
        if outcome.status not in ("COMPLETE",):
            lines.append(f"  {key}: {outcome.status} - {outcome.reason or ''}")
    return "\n".join(lines)


def _write_text(location: str, text: str) -> None:
    import fsspec

    with fsspec.open(location, "w", encoding="utf-8") as handle:
        handle.write(text)


def cmd_plan(line: CommandLine) -> int:
    from metalus_py.api import validate_application
    from metalus_py.cli.plan_view import render_plan

    location = _application_argument(line, "plan")
    fmt = line.option("--format", "text") or "text"
    if fmt not in ("text", "mermaid", "dot"):
        raise ApplicationError(f"--format must be text, mermaid or dot, got {fmt!r}")
    report = validate_application(location, line.parameters, source=location)
    if not report.ok:
        print(report.format(), file=sys.stderr)
        return INVALID
    print(render_plan(location, line.parameters, fmt))
    return 0


def cmd_schema(line: CommandLine) -> int:
    from metalus_py.model.application import Application

    schema = Application.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "metalus_py application"
    print(json.dumps(schema, indent=2))
    return 0


def cmd_steps(line: CommandLine) -> int:
    from metalus_py.catalogue import catalogue, templates

    packages = [p for p in (line.option("--package") or "").split(",") if p]
    for location in line.positionals:
        from metalus_py.api import _ensure_import_paths, load_document

        _ensure_import_paths(location)
        document = load_document(location)
        packages.extend(p for p in document.get("stepPackages", []) if p not in packages)
    packages = packages or ["steps_library"]
    try:
        entries = catalogue(packages)
    except ImportError as exc:
        raise ApplicationError(f"cannot import step package: {exc}") from exc
    if line.flag("--json"):
        print(json.dumps(templates(entries), indent=2, default=str))
        return 0
    for entry in entries:
        print(f"{entry.command}  ({entry.package})")
        if entry.summary:
            print(f"    {entry.summary}")
        for p in entry.parameters:
            default = "" if p.required else f" = {p.default!r}"
            print(f"    - {p.name}: {p.type}{default}")
    return 0


COMMANDS: dict[str, Callable[[CommandLine], int]] = {
    "steps": cmd_steps,
    "run": cmd_run,
    "validate": cmd_validate,
    "plan": cmd_plan,
    "schema": cmd_schema,
}
