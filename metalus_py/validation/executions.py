"""Per-execution checks: pipelines named and found, ``initialPipelineId``, globals and class-info."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metalus_py.base.problems import ValidationReport
from metalus_py.mapping.syntax import check_mapping_syntax
from metalus_py.model.application import Application, Execution
from metalus_py.validation.classinfo import check_class_info_sections, check_global_objects
from metalus_py.validation.lookup import FoundPipeline
from metalus_py.validation.plan_checks import did_you_mean
from metalus_py.validation.shapes import at
from metalus_py.validation.steps import PipelineChecker

NO_PIPELINES = "Either pipelines, pipelineIds or application pipelines must be provided for an execution"


def check_globals(globals_: Any, report: ValidationReport, prefix: str) -> None:
    """``className`` objects and the ``GlobalLinks`` mapping strings of one globals object."""
    check_global_objects(globals_, report, prefix)
    links = globals_.get("GlobalLinks") if isinstance(globals_, Mapping) else None
    if links is None:
        return
    links_path = at(prefix, "GlobalLinks")
    if not isinstance(links, Mapping):
        report.error(links_path, f"GlobalLinks must be an object of short name -> mapping string, got {links!r}")
        return
    for name, value in links.items():
        if not isinstance(value, str):
            report.error(at(links_path, str(name)), f"GlobalLink {name!r} must be a mapping string, got {value!r}",
                         subject=str(name))
            continue
        for problem in check_mapping_syntax(value):
            report.error(at(links_path, str(name)), f"bad mapping string in GlobalLink {name!r}: {problem}",
                         subject=str(name))


def check_execution(
    index: int, execution: Execution, raw: Any, application: Application, checker: PipelineChecker
) -> None:
    """Every problem of one execution other than its place in the plan."""
    report = checker.report
    path = f"executions[{index}]"
    eid = execution.id or "?"
    own: dict[str, FoundPipeline] = {}
    for j, pipeline in enumerate(execution.pipelines or []):
        found = FoundPipeline(pipeline, at(path, f"pipelines[{j}]"))
        if pipeline.id:
            own.setdefault(pipeline.id, found)
        checker.check(found)
    own_evaluations: dict[str, FoundPipeline] = {}
    for j, pipeline in enumerate(execution.evaluation_pipelines or []):
        found = FoundPipeline(pipeline, at(path, f"evaluationPipelines[{j}]"))
        if pipeline.id:
            own_evaluations.setdefault(pipeline.id, found)
        checker.check(found)
    found_ids = _check_ids(execution.pipeline_ids or [], own, at(path, "pipelineIds"), eid, checker)
    _check_ids(execution.evaluation_pipeline_ids or [], own_evaluations, at(path, "evaluationPipelineIds"), eid,
               checker)
    if execution.pipeline_ids:
        runs = found_ids
    elif own:
        runs = list(own)
    else:
        runs = [p.id for p in application.pipelines if p.id]
    if not execution.pipeline_ids and not execution.pipelines and not application.pipelines:
        report.error(path, f"{NO_PIPELINES} (execution {eid!r})",
                     "add pipelineIds or pipelines to the execution, or pipelines to the application", subject=eid)
    initial = execution.initial_pipeline_id
    if initial is not None and initial not in runs:
        report.error(at(path, "initialPipelineId"), f"initialPipelineId {initial!r} of execution {eid!r} matches "
                     f"none of its pipelines ({', '.join(runs) or 'none'})", did_you_mean(initial, runs),
                     subject=initial)
    if isinstance(raw, Mapping):
        check_globals(raw.get("globals"), report, at(path, "globals"))
        check_class_info_sections(raw, report, path)


def _check_ids(
    pipeline_ids: list[str], own: dict[str, FoundPipeline], path: str, eid: str, checker: PipelineChecker
) -> list[str]:
    """Report pipeline ids found nowhere; return the ids that were found."""
    found_ids: list[str] = []
    library = checker.library
    for k, pipeline_id in enumerate(pipeline_ids):
        reference = f"{path}[{k}]"
        if pipeline_id in own:
            found_ids.append(pipeline_id)
            continue
        found = library.find(pipeline_id, reference)
        if found is True:
            found_ids.append(pipeline_id)
        elif found is None or found is False:
            directories = library.directories()
            known = sorted(set(own) | set(library.known_ids()))
            checker.report.error(
                reference,
                f"execution {eid!r} names unknown pipeline id {pipeline_id!r} (not in the execution's pipelines, "
                f"the application's pipelines, nor a file {pipeline_id}.json in {', '.join(directories) or 'none'})",
                did_you_mean(pipeline_id, known), subject=pipeline_id)
        else:
            found_ids.append(pipeline_id)
    return found_ids
