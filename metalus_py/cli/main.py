"""``metalus``: run, validate, plan and describe applications from a shell or a scheduler.

Exit codes: 0 complete, 1 failed, 2 invalid input (nothing ran), 3 paused, 4 killed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.json_text import dumps_indented
from metalus_py.base.run_ids import check_run_id
from metalus_py.base.runscope import run_scope
from metalus_py.base.secrets import redact_known
from metalus_py.cli.arguments import COMMAND_OPTIONS, CommandLine, split_command_line, suggestion_options
from metalus_py.cli.help import command_help, did_you_mean_command

USAGE = """usage: metalus COMMAND [ARGS]   (metalus --version; --help or -h anywhere prints help and runs nothing)

commands:
  run APP.json [--name value ...]   validate and run an application
      options: --output-json FILE  --run-id ID  --state URL|none  --persist all|none
               --artifacts URL  --events FILE|none  --max-workers N  --strict  --quiet  --verbose
               --executor local|dask  --dask-scheduler ADDRESS (also on resume and retrigger)
               --steps-path DIR (a folder of step packages; the application's folder is not searched)
      (env: METALUS_STATE, METALUS_PERSIST, METALUS_ARTIFACTS, METALUS_EXECUTOR, METALUS_DASK_SCHEDULER,
       METALUS_STEPS_PATH, METALUS_ALLOWED_PACKAGES, METALUS_TRUSTED_PACKAGES, METALUS_SECRET_KEY)
  resume RUN [--name value ...]     re-run what did not complete, reusing finished steps
  retrigger RUN --from EXEC[.PIPELINE.STEP]
                                    a new run recomputing from that point
  kill RUN [--step EXEC.PIPELINE.STEP] [--grace SECONDS]
                                    end a running run or step (cooperative, then forced)
  runs [--limit N] [--schedule NAME] [--json]
                                    recent runs (of one schedule)
  show RUN [--json]                 executions -> pipelines -> steps of a run
  validate APP.json [--strict] [--name value ...]
                                    report every problem (exit 0 valid, 2 invalid)
  plan APP.json [--format text|mermaid|dot]
                                    print the execution plan
  schema [--schedules]              print the JSON Schema of the application (or schedule) file
  steps [APP.json] [--package P[,Q]] [--json]
                                    the step catalogue (default package: steps_library)
  schedule validate|list|tick|backfill FILE ...
                                    scheduled runs, exactly once per tick (metalus schedule for help)
  scheduler FILE [--now ISO] [--speed N]
                                    run the schedules until SIGTERM/SIGINT
  prune --older-than 7d [--keep-failed] [--dry-run]
                                    delete old finished runs' artifacts and event files, keep records
  ui [--state URL] [--host 127.0.0.1] [--port 8765] [--token T]
                                    the live web monitor (env METALUS_UI_TOKEN)
"""

INVALID = 2
#: The commands that run or plan an application: each is one run scope (step paths importable).
RUN_COMMANDS = frozenset({"run", "resume", "retrigger", "plan", "validate"})


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metalus`` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--version" in arguments:
        print(f"metalus {_version()}")
        return 0
    if arguments[:1] == ["ui"]:  # its own options (--host, --port, --token) and --help
        from metalus_py.ui.cli import main as ui_main

        return ui_main(arguments[1:])
    if not arguments or arguments[0] == "help" or "-h" in arguments or "--help" in arguments:
        named = arguments[1:2] if arguments[:1] == ["help"] else arguments[:1]
        print(command_help(named[0] if named and named[0] in COMMAND_OPTIONS else None, USAGE))
        return 0 if arguments else INVALID
    command, rest = arguments[0], arguments[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        close = did_you_mean_command(command, list(COMMANDS))
        print(f"metalus: unknown command {command!r}{close}\n\n{USAGE}", file=sys.stderr)
        return INVALID
    try:
        line = split_command_line(rest, command)
    except ApplicationError as exc:
        print(f"metalus {command}: {exc}", file=sys.stderr)
        return INVALID
    _configure_logging(line)
    steps_path = line.option("--steps-path")
    if steps_path:  # the operator's folder of step packages (the application's folder never is)
        os.environ["METALUS_STEPS_PATH"] = os.pathsep.join(
            p for p in (steps_path, os.environ.get("METALUS_STEPS_PATH", "")) if p)
    # A command that runs an application is one run scope: the secrets it saw stay redacted in
    # its output and messages; nothing of the run outlives the command (see base.runscope).
    with run_scope() if command in RUN_COMMANDS else contextlib.nullcontext():
        return _dispatch(handler, line, command)


def _dispatch(handler: Callable[[CommandLine], int], line: CommandLine, command: str) -> int:
    try:
        return handler(line)
    except ApplicationError as exc:
        from metalus_py.base.secret_names import redact_url_password

        print(redact_url_password(redact_known(f"metalus {command}: {exc}")), file=sys.stderr)
        return INVALID
    except KeyboardInterrupt:
        print("metalus: interrupted", file=sys.stderr)
        return 4
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("metalus_py")
    except PackageNotFoundError:
        return "unknown"


def _configure_logging(line: CommandLine) -> None:
    verbose = line.flag("--verbose", "-v")
    level = logging.ERROR if line.flag("--quiet", "-q") else logging.INFO
    from metalus_py.base.logcontext import IdsFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(IdsFilter())
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s [%(metalus_ids)s] %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    if verbose:  # our own debug records, not every library's
        for name in ("metalus_py", "steps_library"):
            logging.getLogger(name).setLevel(logging.DEBUG)


class _RedactingFilter(logging.Filter):
    """Removes known secret values from log messages and tracebacks before they are written."""

    def filter(self, record: logging.LogRecord) -> bool:
        from metalus_py.base.secrets import known_secrets

        if not known_secrets():
            return True
        record.msg, record.args = redact_known(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_known(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_known(record.stack_info)
        return True


def _check_parameters(report: Any, line: CommandLine) -> None:
    """Warn (error with ``--strict``) about ``--name value`` pairs the application never uses."""
    from metalus_py.validation.cli_parameters import check_command_line_parameters

    suggest, elsewhere = suggestion_options(line.command)
    check_command_line_parameters(report, line.parameters, suggest, strict=line.flag("--strict"), elsewhere=elsewhere)


def _application_argument(line: CommandLine, command: str) -> str:
    if len(line.positionals) != 1:
        raise ApplicationError(f"expected one application file (metalus {command} APP.json), got {line.positionals}")
    return line.positionals[0]


def cmd_validate(line: CommandLine) -> int:
    from metalus_py.api import validate_application

    location = _application_argument(line, "validate")
    report = validate_application(location, line.parameters, strict=line.flag("--strict"), source=location)
    _check_parameters(report, line)
    if line.flag("--json"):
        print(json.dumps({"valid": report.ok, "problems": [p.to_dict() for p in report.problems]}, indent=2))
    else:
        print(report.format(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else INVALID


def _progress_listeners(line: CommandLine) -> tuple[list[Any], Any]:
    from metalus_py.cli.progress import LiveProgress, PlainProgress, planned_steps

    if line.flag("--quiet", "-q"):
        return [], None
    if sys.stderr.isatty() and not line.flag("--no-progress", "--verbose", "-v"):
        live = LiveProgress()
        if len(line.positionals) == 1 and line.positionals[0].lower().endswith(".json"):  # `run APP.json`
            live.plan(planned_steps(line.positionals[0], line.parameters))
        return [live], live
    return [PlainProgress(verbose=line.flag("--verbose", "-v"))], None


def _executor_choice(line: CommandLine) -> Any:
    from metalus_py.executors import choose_executor

    return choose_executor(line.option("--executor"), line.option("--dask-scheduler"))


def _open_executor(line: CommandLine, choice: Any, store: Any) -> Any:
    """The executor of ``--executor``/``--dask-scheduler`` (``None``: local); a scheduler is reached now.

    Raises:
        ApplicationError: dask without a state store, or a scheduler that cannot be reached.
    """
    if choice.name == "local":
        return None
    if store is None:
        raise ApplicationError("--executor dask needs a state store (not --state none): workers record the "
                               "steps there and read their parents' results from it")
    from metalus_py.executors import make_executor

    workers = line.option("--max-workers")
    return make_executor(choice, workers=int(workers) if workers and workers.isdigit() else None,
                         parameters=line.parameters)


def _run_options(line: CommandLine, listeners: list[Any], executor: Any = None) -> Any:
    from metalus_py.durable.options import RunOptions

    max_workers = line.option("--max-workers")
    if max_workers is not None and (not max_workers.isdigit() or int(max_workers) < 1):
        raise ApplicationError(f"--max-workers expects a positive whole number, got {max_workers!r}")
    persist = line.option("--persist")
    if persist is not None and persist not in ("all", "none"):
        raise ApplicationError(f"--persist expects 'all' or 'none', got {persist!r}")
    return RunOptions(
        persist=persist,
        artifacts=line.option("--artifacts") or os.environ.get("METALUS_ARTIFACTS"),
        max_workers=int(max_workers) if max_workers else None,
        listeners=listeners,
        strict=line.flag("--strict"),
        executor=executor,
    )


def _open_store(line: CommandLine, *, must_exist: bool = False) -> Any:
    url = line.option("--state")
    if (url or os.environ.get("METALUS_STATE", "")).strip().lower() == "none":
        return None  # no store: nothing of the state layer is imported
    from metalus_py.base.secret_names import redact_url_password, remember_secret_values
    from metalus_py.state import open_store

    remember_secret_values({"state": url or os.environ.get("METALUS_STATE", "")})
    try:
        return open_store(url, must_exist=must_exist)
    except Exception as exc:
        shown = url or os.environ.get("METALUS_STATE") or "(default)"
        raise ApplicationError(redact_url_password(f"cannot open the state store {shown}: {exc}")) from exc


def _finish(line: CommandLine, result: Any) -> int:
    document = redact_known(result.to_dict())
    output = line.option("--output-json")
    if output:
        _write_text(output, redact_known(dumps_indented(document)))
    if not line.flag("--quiet", "-q"):
        print(redact_known(_summary(document)), file=sys.stderr)
    return int(result.exit_code)


def _event_log(line: CommandLine, run_id: str) -> Any:
    """The JSON-lines event log of a run: ``--events FILE``, default ``.metalus/events/<run>.jsonl``."""
    from metalus_py.events.jsonlines import JsonLinesEventLog

    location = line.option("--events") or os.environ.get("METALUS_EVENTS") or f".metalus/events/{run_id}.jsonl"
    if location == "none":
        return None
    try:
        return JsonLinesEventLog(location)
    except (OSError, ImportError) as exc:
        raise ApplicationError(f"cannot write the event log {location}: {exc}") from exc


def _events_metadata(line: CommandLine, run_id: str) -> dict[str, Any]:
    """Where the run's event file is, recorded with the run so ``metalus prune`` finds it."""
    location = line.option("--events") or os.environ.get("METALUS_EVENTS") or f".metalus/events/{run_id}.jsonl"
    if location == "none":
        return {}
    return {"eventsFile": location if "://" in location else os.path.abspath(location)}


def _with_progress(line: CommandLine, action: Callable[[list[Any]], Any], *, run_id: str | None = None) -> int:
    from metalus_py.cli.progress import RedactingListener

    shown, live = _progress_listeners(line)
    event_log = _event_log(line, run_id) if run_id else None
    if event_log is not None:
        shown.append(event_log)
    listeners: list[Any] = [RedactingListener(listener) for listener in shown]
    _exit_4_on_sigterm()
    try:
        if live is not None:
            with live:
                result = action(listeners)
        else:
            result = action(listeners)
    finally:
        if event_log is not None:
            event_log.close()
    if event_log is not None and not line.flag("--quiet", "-q"):
        print(f"events: {event_log.location}", file=sys.stderr)
    return _finish(line, result)


def _exit_4_on_sigterm() -> None:
    """A forced kill (``metalus kill``) ends a run process with SIGTERM: exit 4 (killed), at once.

    The killer records the run and its running steps KILLED once this process is gone.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def killed(signum: int, frame: Any) -> None:
        try:
            sys.stderr.write("metalus: the run process was ended by a forced kill (the run is KILLED; "
                             "it can be resumed)\n")
            sys.stderr.flush()
        finally:
            os._exit(4)

    signal.signal(signal.SIGTERM, killed)


def cmd_run(line: CommandLine) -> int:
    import uuid

    from metalus_py.api import run_application

    location = _application_argument(line, "run")
    given_id = line.option("--run-id")
    if given_id is not None:
        check_run_id(given_id)
    _check_output_location(line.option("--output-json"))
    # Invalid input: report every problem and exit 2 before any state or event log is written.
    from metalus_py.api import validate_application

    report = validate_application(location, line.parameters, strict=line.flag("--strict"), source=location)
    _check_parameters(report, line)
    if not report.ok:
        print(redact_known(report.format()), file=sys.stderr)
        return INVALID
    if report.warnings and not line.flag("--quiet", "-q"):
        print(redact_known(report.format()), file=sys.stderr)
    choice = _executor_choice(line)
    store = _open_store(line)
    run_id = line.option("--run-id") or uuid.uuid4().hex[:12]
    executor = None

    def action(listeners: list[Any]) -> Any:
        options = _run_options(line, listeners, executor)
        if store is None:
            return run_application(
                location, line.parameters, source=location, run_id=run_id,
                max_workers=options.max_workers, listeners=listeners, strict=options.strict, validated=report,
            )
        from metalus_py.durable.session import start_run

        return start_run(store, location, line.parameters, run_id=run_id, options=options, validated=report,
                         metadata=_events_metadata(line, run_id))

    try:
        executor = _open_executor(line, choice, store)
        return _with_progress(line, action, run_id=run_id)
    finally:
        if executor is not None:
            executor.close()
        if store is not None:
            store.close()


def _check_output_location(location: str | None) -> None:
    """Fail early (exit 2, nothing run) when the result document could not be written."""
    if not location:
        return
    import fsspec

    try:
        fsspec.core.url_to_fs(location)
    except (ImportError, ValueError) as exc:
        raise ApplicationError(f"--output-json {location}: cannot be written: {exc}") from exc


def _run_argument(line: CommandLine, command: str) -> str:
    if len(line.positionals) != 1:
        raise ApplicationError(f"expected one run id (metalus {command} RUN), got {line.positionals}")
    return check_run_id(line.positionals[0])


def _require_store(line: CommandLine, command: str) -> Any:
    store = _open_store(line, must_exist=True)
    if store is None:
        raise ApplicationError(f"metalus {command} needs a state store (not --state none)")
    return store


def cmd_resume(line: CommandLine) -> int:
    from metalus_py.durable.session import resume_run

    run_id = _run_argument(line, "resume")
    choice = _executor_choice(line)
    store = _require_store(line, "resume")
    executor = None
    try:
        executor = _open_executor(line, choice, store)
        return _with_progress(
            line,
            lambda listeners: resume_run(store, run_id, line.parameters,
                                         options=_run_options(line, listeners, executor)),
            run_id=run_id,
        )
    finally:
        if executor is not None:
            executor.close()
        store.close()


def cmd_retrigger(line: CommandLine) -> int:
    from metalus_py.durable.session import retrigger_run

    run_id = _run_argument(line, "retrigger")
    start = line.option("--from")
    if not start:
        raise ApplicationError("metalus retrigger RUN --from EXEC[.PIPELINE.STEP]")
    choice = _executor_choice(line)
    store = _require_store(line, "retrigger")
    import uuid

    new_id = uuid.uuid4().hex[:12]  # known before the run starts: it names the events file
    executor = None
    try:
        executor = _open_executor(line, choice, store)
        return _with_progress(
            line,
            lambda listeners: retrigger_run(store, run_id, start, line.parameters,
                                            options=_run_options(line, listeners, executor), new_run_id=new_id),
            run_id=new_id,
        )
    finally:
        if executor is not None:
            executor.close()
        store.close()


def cmd_kill(line: CommandLine) -> int:
    from metalus_py.durable.kill import kill_run

    run_id = _run_argument(line, "kill")
    grace = line.option("--grace", "10") or "10"
    try:
        grace_seconds = float(grace)
    except ValueError as exc:
        raise ApplicationError(f"--grace expects seconds, got {grace!r}") from exc
    store = _require_store(line, "kill")
    try:
        if store.get_run(run_id=run_id) is None:
            raise ApplicationError(f"no run {run_id!r} in the state store {store.url}")
        print(kill_run(store, run_id, step=line.option("--step"), grace=grace_seconds))
        return 0
    finally:
        store.close()


def cmd_runs(line: CommandLine) -> int:
    from metalus_py.durable.inspect import run_line, runs_table

    store = _require_store(line, "runs")
    limit = line.option("--limit", "20") or "20"
    try:
        runs = store.list_runs(limit=None if line.option("--schedule") else int(limit) if limit.isdigit() else 20)
        if line.option("--schedule"):  # the runs of one schedule's ticks
            from metalus_py.cli.schedule_commands import schedule_run_ids

            wanted = set(schedule_run_ids(store, line.option("--schedule") or ""))
            runs = [r for r in runs if r.run_id in wanted][: int(limit) if limit.isdigit() else 20]
        lines = [run_line(store, r) for r in runs]
        print(json.dumps(lines, indent=2) if line.flag("--json") else runs_table(lines))
        return 0
    finally:
        store.close()


def cmd_show(line: CommandLine) -> int:
    from metalus_py.durable.inspect import RecordedRun

    run_id = _run_argument(line, "show")
    store = _require_store(line, "show")
    try:
        try:
            recorded = RecordedRun.load(store, run_id)
        except KeyError as exc:
            raise ApplicationError(f"no run {run_id!r} in the state store {store.url}") from exc
        print(dumps_indented(recorded.to_dict()) if line.flag("--json") else recorded.tree())
        return 0
    finally:
        store.close()


def _summary(document: dict[str, Any]) -> str:
    from metalus_py.cli.run_summary import summary_text

    return summary_text(document)


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
    report = validate_application(location, line.parameters, strict=line.flag("--strict"), source=location)
    _check_parameters(report, line)
    if not report.ok:
        print(report.format(), file=sys.stderr)
        return INVALID
    print(render_plan(location, line.parameters, fmt))
    return 0


def cmd_schema(line: CommandLine) -> int:
    if line.flag("--schedules"):
        from metalus_py.schedule.model import schedule_json_schema

        print(json.dumps(schedule_json_schema(), indent=2))
        return 0
    from metalus_py.model.application import Application

    schema = Application.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "metalus_py application"
    print(json.dumps(schema, indent=2))
    return 0


def cmd_steps(line: CommandLine) -> int:
    from metalus_py.steps.catalogue import catalogue, templates

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


def _lazy(module: str, name: str) -> Callable[[CommandLine], int]:
    """A command implemented in another package, imported when it runs."""

    def handler(line: CommandLine) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), name)(line))

    return handler


COMMANDS: dict[str, Callable[[CommandLine], int]] = {
    "schedule": _lazy("metalus_py.cli.schedule_commands", "cmd_schedule"),
    "scheduler": _lazy("metalus_py.cli.schedule_commands", "cmd_scheduler"),
    "prune": _lazy("metalus_py.cli.schedule_commands", "cmd_prune"),
    "resume": cmd_resume,
    "retrigger": cmd_retrigger,
    "kill": cmd_kill,
    "runs": cmd_runs,
    "show": cmd_show,
    "steps": cmd_steps,
    "run": cmd_run,
    "validate": cmd_validate,
    "plan": cmd_plan,
    "schema": cmd_schema,
}
