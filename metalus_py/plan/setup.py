"""Preparing an application to run: globals precedence, pipeline lookup, services.

Globals (DESIGN.md section 10): application globals, then execution globals (replacing them
unless ``mergeGlobals``), then command-line parameters, which always win. ``className`` globals
become objects. Pipelines of an execution run in ``pipelineIds`` order, each looked up in the
execution's ``pipelines``, the application's ``pipelines``, then ``<id>.json`` files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.classes import build_nested
from metalus_py.base.secret_names import remember_secret_values
from metalus_py.model.application import Application, Execution
from metalus_py.model.loader import NON_GLOBAL_PARAMETERS, pipeline_directories
from metalus_py.model.pipeline import Pipeline
from metalus_py.plan.graph import PlanProblem
from metalus_py.steps.runtime import MapPipelineManager

_LOG = logging.getLogger("metalus_py.setup")


@dataclass
class PreparedExecution:
    """One execution with its globals, pipelines and initial pipeline parameters resolved."""

    execution: Execution
    globals: dict[str, Any]
    pipelines: list[Pipeline]
    evaluation_pipelines: list[Pipeline]
    parameters: dict[str, dict[str, Any]]
    missing_pipelines: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.execution.id or ""


@dataclass
class PreparedApplication:
    """An application ready for planning: executions prepared, pipelines findable."""

    application: Application
    source: str
    parameters: dict[str, Any]
    pipeline_manager: MapPipelineManager
    executions: dict[str, PreparedExecution]

    @property
    def application_id(self) -> str:
        if self.application.id:
            return self.application.id
        name = os.path.basename(self.source.rstrip("/"))
        return name[:-5] if name.endswith(".json") else name


def root_globals(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameters.items() if k not in NON_GLOBAL_PARAMETERS}


def execution_globals(application: Application, execution: Execution, parameters: dict[str, Any]) -> dict[str, Any]:
    """Globals of one execution: app globals, execution globals (merged or replacing), then CLI.

    Raises:
        ClassResolutionError: a ``className`` global cannot be imported or built.
    """
    app_globals = {key: build_nested(value) for key, value in (application.globals or {}).items()}
    own = {key: build_nested(value) for key, value in (execution.globals or {}).items()}
    return _merge_built(app_globals, own, execution, parameters)


def _built_globals(
    values: dict[str, Any] | None, path: str, problems: list[PlanProblem], *, build: bool = True
) -> dict[str, Any]:
    """``className`` globals built; a value that cannot be built is reported at its JSON path."""
    if not build:
        return dict(values or {})
    built: dict[str, Any] = {}
    for key, value in (values or {}).items():
        try:
            built[key] = build_nested(value)
        except Exception as exc:  # any failure to import or construct the class
            problems.append(PlanProblem(f"{path}.{key}", f"global {key!r} cannot be built: {exc}"))
            built[key] = value
    return built


def execution_pipelines(
    execution: Execution, application: Application, manager: MapPipelineManager
) -> tuple[list[Pipeline], list[str]]:
    """The pipelines an execution runs, in ``pipelineIds`` order, and the ids that were not found."""
    own = list(execution.pipelines or [])
    if execution.pipeline_ids:
        found: list[Pipeline] = []
        missing: list[str] = []
        for pipeline_id in execution.pipeline_ids:
            pipeline = next((p for p in own if p.id == pipeline_id), None)
            pipeline = pipeline or next((p for p in application.pipelines if p.id == pipeline_id), None)
            pipeline = pipeline or manager.get_pipeline(pipeline_id)
            if pipeline is None:
                missing.append(pipeline_id)
            else:
                found.append(pipeline)
        return found, missing
    if own:
        return own, []
    return list(application.pipelines), []


def evaluation_pipelines(
    execution: Execution, application: Application, manager: MapPipelineManager
) -> tuple[list[Pipeline], list[str]]:
    own = list(execution.evaluation_pipelines or [])
    if not execution.evaluation_pipeline_ids:
        return own, []
    found: list[Pipeline] = []
    missing: list[str] = []
    for pipeline_id in execution.evaluation_pipeline_ids:
        pipeline = next((p for p in own if p.id == pipeline_id), None)
        pipeline = pipeline or next((p for p in application.pipelines if p.id == pipeline_id), None)
        pipeline = pipeline or manager.get_pipeline(pipeline_id)
        if pipeline is None:
            missing.append(pipeline_id)
        else:
            found.append(pipeline)
    return found, missing


def locate_pipelines(application: Application) -> None:
    """Record on each pipeline of the file where it is defined (named by run-time step errors)."""
    for j, pipeline in enumerate(application.pipelines):
        pipeline.locate(f"pipelines[{j}]")
    for k, execution in enumerate(application.executions):
        for j, pipeline in enumerate(execution.pipelines or []):
            pipeline.locate(f"executions[{k}].pipelines[{j}]")
        for j, pipeline in enumerate(execution.evaluation_pipelines or []):
            pipeline.locate(f"executions[{k}].evaluationPipelines[{j}]")


def prepare_application(
    application: Application, source: str, parameters: dict[str, Any], *, build_objects: bool = True
) -> PreparedApplication:
    """Resolve globals and pipelines of every execution (no step runs).

    With ``build_objects=False`` (``metalus plan``) ``className`` globals stay as written: no
    constructor runs (DESIGN §14).

    Raises:
        ApplicationValidationError: globals that cannot be built, pipeline ids that match nothing,
            an execution without pipelines or an ``initialPipelineId`` naming none of them (all listed).
    """
    for section in ("sparkConf", "sparkListeners", "sparkUdfs", "json4sSerializers"):
        if getattr(application, _snake(section)) is not None:
            _LOG.warning("%s: section %r only means something to Spark and is ignored", source, section)
    locate_pipelines(application)
    remember_secret_values(application.globals, [e.globals for e in application.executions], parameters)
    pipelines = {p.id: p for p in application.pipelines if p.id}
    manager = MapPipelineManager(pipelines, pipeline_directories(source, application.step_packages))
    app_parameters = application.pipeline_parameters.as_dict() if application.pipeline_parameters else {}
    problems: list[PlanProblem] = []
    app_globals = _built_globals(application.globals, "globals", problems, build=build_objects)
    prepared: dict[str, PreparedExecution] = {}
    for index, execution in enumerate(application.executions):
        path = f"executions[{index}]"
        main, missing = execution_pipelines(execution, application, manager)
        evaluations, missing_eval = evaluation_pipelines(execution, application, manager)
        known = [p.id or "" for p in [*application.pipelines, *(execution.pipelines or [])]]
        problems.extend(_pipeline_problems(execution, path, main, missing, missing_eval, known))
        own_globals = _built_globals(execution.globals, f"{path}.globals", problems, build=build_objects)
        merged = _merge_built(app_globals, own_globals, execution, parameters)
        params = execution.pipeline_parameters.as_dict() if execution.pipeline_parameters else app_parameters
        prepared[execution.id or ""] = PreparedExecution(execution, merged, main, evaluations, params,
                                                         missing + missing_eval)
    if problems:
        from metalus_py.base.problems import ValidationReport

        report = ValidationReport(source)
        for problem in problems:
            report.error(problem.path, problem.message, problem.suggestion)
        report.raise_for_errors()
    return PreparedApplication(application, source, parameters, manager, prepared)


def _merge_built(
    app_globals: dict[str, Any], own: dict[str, Any], execution: Execution, parameters: dict[str, Any]
) -> dict[str, Any]:
    if execution.globals is None:
        merged = dict(app_globals)
    elif execution.merge_globals:
        merged = {**app_globals, **own}
    else:
        merged = dict(own)
    merged.update(root_globals(parameters))
    return merged


def _pipeline_problems(
    execution: Execution,
    path: str,
    main: list[Pipeline],
    missing: list[str],
    missing_eval: list[str],
    known: list[str],
) -> list[PlanProblem]:
    """Pipeline ids that match nothing, no pipelines at all, an ``initialPipelineId`` matching none."""
    eid = execution.id or ""
    found: list[PlanProblem] = []
    for name, ids, field_name in (("pipeline", missing, "pipelineIds"),
                                  ("evaluation pipeline", missing_eval, "evaluationPipelineIds")):
        listed = (execution.pipeline_ids if field_name == "pipelineIds" else execution.evaluation_pipeline_ids) or []
        for pipeline_id in ids:
            where = f"{path}.{field_name}[{listed.index(pipeline_id)}]" if pipeline_id in listed else path
            found.append(PlanProblem(
                where,
                f"execution {eid!r}: unknown {name} id {pipeline_id!r} (not in the execution's pipelines, "
                "the application's pipelines or any pipeline directory)",
                _did_you_mean(pipeline_id, known)))
    if not main and not missing:
        found.append(PlanProblem(
            path,
            f"execution {eid!r}: Either pipelines, pipelineIds or application pipelines must be provided "
            "for an execution",
            "add pipelineIds naming application pipelines, or pipelines to the execution"))
    initial = execution.initial_pipeline_id
    if initial and main and all(p.id != initial for p in main):
        found.append(PlanProblem(
            f"{path}.initialPipelineId",
            f"execution {eid!r}: initialPipelineId {initial!r} matches none of its pipelines "
            f"{[p.id for p in main]}",
            _did_you_mean(initial, [p.id or "" for p in main])))
    return found


def _did_you_mean(name: str, options: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, options, n=1)
    return f"did you mean {match[0]!r}?" if match else None


def _snake(name: str) -> str:
    from metalus_py.base.classes import snake_case

    return snake_case(name)
