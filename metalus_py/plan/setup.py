"""Preparing an application to run: globals precedence, pipeline lookup, services.

Globals (DESIGN.md section 10): application globals, then execution globals (replacing them
unless ``mergeGlobals``), then command-line parameters, which always win. ``className`` globals
become objects. Pipelines of an execution run in ``pipelineIds`` order, each looked up in the
execution's ``pipelines``, the application's ``pipelines``, then ``<id>.json`` files.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from metalus_py.classes import build_nested
from metalus_py.loader import NON_GLOBAL_PARAMETERS
from metalus_py.model.application import Application, Execution
from metalus_py.model.pipeline import Pipeline
from metalus_py.runtime import MapPipelineManager

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


def pipeline_directories(source: str, step_packages: list[str]) -> list[str]:
    """Where ``<id>.json`` pipeline files are looked for: ``pipelines/`` beside the file, then each
    step package's ``metadata/pipelines/``."""
    from metalus_py.loader import base_directory

    directories = [f"{base_directory(source)}/pipelines"] if source else []
    for package in step_packages:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                directories.append(os.path.join(location, "metadata", "pipelines"))
    return directories


def root_globals(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameters.items() if k not in NON_GLOBAL_PARAMETERS}


def execution_globals(application: Application, execution: Execution, parameters: dict[str, Any]) -> dict[str, Any]:
    """Globals of one execution: app globals, execution globals (merged or replacing), then CLI."""
    app_globals = dict(application.globals or {})
    if execution.globals is None:
        merged = app_globals
    elif execution.merge_globals:
        merged = {**app_globals, **execution.globals}
    else:
        merged = dict(execution.globals)
    merged.update(root_globals(parameters))
    return {key: build_nested(value) for key, value in merged.items()}


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


def prepare_application(application: Application, source: str, parameters: dict[str, Any]) -> PreparedApplication:
    """Resolve globals and pipelines of every execution (no step runs)."""
    for section in ("sparkConf", "sparkListeners", "sparkUdfs", "json4sSerializers"):
        if getattr(application, _snake(section)) is not None:
            _LOG.warning("%s: section %r only means something to Spark and is ignored", source, section)
    pipelines = {p.id: p for p in application.pipelines if p.id}
    manager = MapPipelineManager(pipelines, pipeline_directories(source, application.step_packages))
    app_parameters = application.pipeline_parameters.as_dict() if application.pipeline_parameters else {}
    prepared: dict[str, PreparedExecution] = {}
    for execution in application.executions:
        main, missing = execution_pipelines(execution, application, manager)
        evaluations, missing_eval = evaluation_pipelines(execution, application, manager)
        params = execution.pipeline_parameters.as_dict() if execution.pipeline_parameters else app_parameters
        prepared[execution.id or ""] = PreparedExecution(
            execution,
            execution_globals(application, execution, parameters),
            main,
            evaluations,
            params,
            missing + missing_eval,
        )
    return PreparedApplication(application, source, parameters, manager, prepared)


def _snake(name: str) -> str:
    from metalus_py.classes import snake_case

    return snake_case(name)
