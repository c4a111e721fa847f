"""Mapping strings and parameters, checked statically (DESIGN.md section 5a, second paragraph).

Runs after the structural checks, over every pipeline found: step references, declared types,
function signatures and endless loops once per pipeline; ``!`` references once per execution
that runs the pipeline (an application pipeline run by two executions is checked in each). The
global names the application uses are recorded on the report so the command line can warn about
``--name value`` pairs nothing reads.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from metalus_py.base.problems import ValidationReport
from metalus_py.mapping.syntax import contains_special
from metalus_py.model.application import Application, Execution
from metalus_py.model.pipeline import PipelineStep
from metalus_py.steps.resolution import StepResolutionError
from metalus_py.validation.evaluated import StepStrings
from metalus_py.validation.globals_use import GlobalsChecker, all_link_names
from metalus_py.validation.lookup import FoundPipeline
from metalus_py.validation.loops import check_loops
from metalus_py.validation.output_schemas import check_output_schema
from metalus_py.validation.references import PipelineIndex, check_references, global_inputs
from metalus_py.validation.shapes import at
from metalus_py.validation.signatures import check_declared_types, check_signature, step_literals
from metalus_py.validation.steps import PipelineChecker

_SETS_GLOBAL = re.compile(r"\$global(?:s|Link)\.([A-Za-z_][A-Za-z0-9_]*)")


def check_usage(
    application: Application, document: Mapping[str, Any], checker: PipelineChecker,
    parameters: Mapping[str, Any], report: ValidationReport,
) -> set[str]:
    """Report the mapping and parameter problems; return every global name the application uses."""
    index = PipelineIndex()
    for found in checker.checked:
        index.add(found.pipeline)
    for holder in [application.pipeline_parameters, *(e.pipeline_parameters for e in application.executions)]:
        if holder is not None:
            for pid, values in holder.as_dict().items():
                index.parameter_keys.setdefault(pid, set()).update(values)
    dynamic: set[str] = set()
    strings = StepStrings()
    for found in checker.checked:
        dynamic |= global_inputs(found.pipeline)
        check_references(found, index, report, strings)
        check_loops(found.pipeline, found.prefix, report)
        for step_index, step in enumerate(found.pipeline.steps):
            path = at(found.prefix, f"steps[{step_index}]")
            literals = step_literals(step)
            check_declared_types(step, found.pipeline.id or "?", path, report, literals)
            check_output_schema(step, found.pipeline.id or "?", path, report)
            function = _function(checker, step)
            if function is not None:
                check_signature(step, function, found.pipeline.id or "?", path, report, literals)
                dynamic |= _globals_set_by(step, function)
    runs = [_direct_pipelines(i, e, application, checker) for i, e in enumerate(application.executions)]
    pipelines_of = {e.id: _declared_pipeline_ids(e, application) for e in application.executions if e.id}
    globals_checker = GlobalsChecker(application, document, report, parameters, pipelines_of, index.steps, dynamic)
    _check_global_use(application, checker, runs, globals_checker, strings)
    declared = set(application.required_parameters) | _global_keys(document)
    return globals_checker.used | set(all_link_names(document)) | dynamic | declared


def _check_global_use(application: Application, checker: PipelineChecker, runs: list[list[FoundPipeline]],
                      globals_checker: GlobalsChecker, strings: StepStrings) -> None:
    """``!`` references of the pipelines each execution runs, checked in its scope; the rest noted as used."""
    direct: set[int] = set()
    for i, execution in enumerate(application.executions):
        scope = globals_checker.scope(i)
        for found in runs[i]:
            direct.add(id(found.pipeline))
            for step_index, step in enumerate(found.pipeline.steps):
                for evaluated in strings.of(step, at(found.prefix, f"steps[{step_index}]")):
                    globals_checker.check_text(scope, evaluated.text, evaluated.path, evaluated.param)
        fork_by = execution.fork_by_values
        if execution.kind == "fork" and fork_by:
            text = fork_by if contains_special(fork_by) else f"!{fork_by}"
            globals_checker.check_text(scope, text, f"executions[{i}].forkByValues", None)
    for found in checker.checked:
        if id(found.pipeline) not in direct:
            for step_index, step in enumerate(found.pipeline.steps):
                for evaluated in strings.of(step, at(found.prefix, f"steps[{step_index}]")):
                    globals_checker.note_used(evaluated.text)


def _global_keys(document: Mapping[str, Any]) -> set[str]:
    """Names defined in the globals of the application and of its executions."""
    names: set[str] = set()
    executions = document.get("executions")
    for holder in [document, *(executions if isinstance(executions, list) else [])]:
        globals_ = holder.get("globals") if isinstance(holder, Mapping) else None
        if isinstance(globals_, Mapping):
            names.update(str(k) for k in globals_)
    return names


def _function(checker: PipelineChecker, step: PipelineStep) -> Any:
    if step.type_name not in ("pipeline", "branch") or step.engine_meta is None or not step.engine_meta.target:
        return None
    try:
        return checker.resolver.resolve(step.engine_meta.target, step.engine_meta.pkg)
    except StepResolutionError:
        return None
    except Exception:  # noqa: BLE001 - an import failure is reported by the step checks
        return None


def _globals_set_by(step: PipelineStep, function: Any) -> set[str]:
    """Globals a step may set through ``$globals.``/``$globalLink.`` named returns (best effort:
    names written in the function's source, and the literal names the step passes it)."""
    written = _names_in_source(function)
    if written is None:
        return set()
    return set(written) | {p.value for p in step.params if isinstance(p.value, str) and p.value.isidentifier()}


@lru_cache(maxsize=1024)
def _names_in_source(function: Any) -> frozenset[str] | None:
    """Global names a function's source sets (``None`` when it sets none)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    if "$global" not in source:
        return None
    return frozenset(_SETS_GLOBAL.findall(source))


def _declared_pipeline_ids(execution: Execution, application: Application) -> list[str]:
    """The pipeline ids an execution runs (found or not: an unknown one is reported elsewhere)."""
    ids = list(execution.pipeline_ids or []) or [p.id for p in execution.pipelines or [] if p.id]
    if not execution.pipeline_ids and not execution.pipelines:
        ids = [p.id for p in application.pipelines if p.id]
    ids += list(execution.evaluation_pipeline_ids or []) or [p.id for p in execution.evaluation_pipelines or [] if p.id]
    return ids


def _direct_pipelines(index: int, execution: Execution, application: Application,
                      checker: PipelineChecker) -> list[FoundPipeline]:
    """The pipelines execution ``index`` runs itself (main and evaluation), where each is defined."""
    path = f"executions[{index}]"
    found: list[FoundPipeline] = []
    for field, own_list, ids in (("pipelines", execution.pipelines, execution.pipeline_ids),
                                 ("evaluationPipelines", execution.evaluation_pipelines,
                                  execution.evaluation_pipeline_ids)):
        own = {p.id: FoundPipeline(p, at(path, f"{field}[{j}]")) for j, p in enumerate(own_list or []) if p.id}
        if ids:
            id_field = "pipelineIds" if field == "pipelines" else "evaluationPipelineIds"
            for k, pipeline_id in enumerate(ids):
                if pipeline_id in own:
                    found.append(own[pipeline_id])
                    continue
                hit = checker.library.find(pipeline_id, f"{path}.{id_field}[{k}]")
                if isinstance(hit, FoundPipeline):
                    found.append(hit)
        elif own_list:
            found.extend(FoundPipeline(p, at(path, f"{field}[{j}]")) for j, p in enumerate(own_list))
        elif field == "pipelines":
            found.extend(FoundPipeline(p, f"pipelines[{j}]") for j, p in enumerate(application.pipelines))
    return found
