"""Pipeline and step checks: ids, types, engineMeta and function resolution, step references,
step groups, fork and split shapes, parameters, unreachable steps.

Messages follow Metalus's ``PipelineExecutorValidations`` where it has one (``Step is missing id
in pipeline [P].`` ...), with the JSON path and a suggestion added.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pydantic.alias_generators import to_camel

from metalus_py.base.exceptions import PipelineException
from metalus_py.base.problems import ValidationReport
from metalus_py.flow.structure import FlowStructure, successors
from metalus_py.mapping.syntax import check_mapping_syntax, contains_special
from metalus_py.model.pipeline import STEP_TYPES, Parameter, Pipeline, PipelineStep
from metalus_py.steps.resolution import StepResolutionError, StepResolver
from metalus_py.validation.lookup import FoundPipeline, PipelineLibrary
from metalus_py.validation.params import check_parameter
from metalus_py.validation.plan_checks import did_you_mean
from metalus_py.validation.shapes import Broken, at, build_model, check_unknown_fields

FORK_METHODS = ("serial", "parallel")


@dataclass
class PipelineChecker:
    """Checks pipelines once each, resolving step functions with one resolver."""

    report: ValidationReport
    resolver: StepResolver
    library: PipelineLibrary
    strict: bool
    broken: Broken
    _checked: set[int] = field(default_factory=set)

    def check(self, found: FoundPipeline) -> None:
        """Every problem of one pipeline, reported under ``found.prefix``."""
        if id(found.pipeline) in self._checked:
            return
        self._checked.add(id(found.pipeline))
        pipeline, prefix = found.pipeline, found.prefix
        pid = pipeline.id or "?"
        if not pipeline.id:
            self.report.error(at(prefix, "id"), "pipeline has no id (expected a non-empty string)")
        if not pipeline.steps:
            self.report.error(at(prefix, "steps"), f"pipeline [{pid}] has no steps (expected at least one)",
                              subject=pipeline.id)
            return
        first_index: dict[str, int] = {}
        for index, step in enumerate(pipeline.steps):
            if step.id and step.id in first_index:
                self.report.error(at(prefix, f"steps[{index}].id"),
                                  f"duplicate step id [{step.id}] in pipeline [{pid}] "
                                  f"(also steps[{first_index[step.id]}])", "give every step a unique id",
                                  subject=step.id)
            if step.id:
                first_index.setdefault(step.id, index)
        for index, step in enumerate(pipeline.steps):
            self._check_step(step, pipeline, at(prefix, f"steps[{index}]"), first_index)
        self._check_structure(pipeline, prefix, first_index)
        self._check_reachable(pipeline, prefix, first_index)

    # -- one step ----------------------------------------------------------------------------
    def _check_step(self, step: PipelineStep, pipeline: Pipeline, path: str, ids: dict[str, int]) -> None:
        pid = pipeline.id or "?"
        sid = step.id or "?"
        report = self.report
        if not step.id:
            report.error(at(path, "id"), f"Step is missing id in pipeline [{pid}].", "give the step a unique id")
        elif step.id.lower() == "laststepid":
            report.error(at(path, "id"), f"Step id [{step.id}] is a reserved id in pipeline [{pid}].",
                         "rename the step: LastStepId names the previous step in mappings", subject=step.id)
        kind = (step.type or "").lower()
        if not step.type:
            report.error(at(path, "type"), f"[type] is required for step [{sid}] in pipeline [{pid}].",
                         f"expected one of: {', '.join(STEP_TYPES)}", subject=step.id)
        elif kind not in STEP_TYPES:
            report.error(at(path, "type"), f"Unknown pipeline type: [{kind}] for step [{sid}] in pipeline [{pid}].",
                         did_you_mean(kind, STEP_TYPES, 0.5) or f"expected one of: {', '.join(STEP_TYPES)}",
                         subject=step.id)
        if kind in ("pipeline", "branch"):
            self._check_function(step, path, pid)
        for attribute, value in (("nextStepId", step.next_step_id), ("nextStepOnError", step.next_step_on_error)):
            if value is not None and value not in ids:
                report.error(at(path, attribute), f"{attribute} [{value}] of step [{sid}] names no step of "
                             f"pipeline [{pid}]", did_you_mean(value, sorted(ids)), subject=value)
        if step.execute_if_empty and contains_special(step.execute_if_empty):
            for problem in check_mapping_syntax(step.execute_if_empty):
                report.error(at(path, "executeIfEmpty"), f"bad mapping string in executeIfEmpty of step [{sid}]: "
                             f"{problem}", subject=step.id)
        for index, param in enumerate(step.params):
            param_path = at(path, f"params[{index}]")
            check_parameter(param, step, pid, param_path, report)
            if kind in ("branch", "split") and param.type_name == "result" and param.value is not None:
                target = param.value
                if not isinstance(target, str) or target not in ids:
                    report.error(at(param_path, "value"), f"{kind} result [{param.name}] of step [{sid}] names "
                                 f"no step of pipeline [{pid}]: {target!r}",
                                 did_you_mean(str(target), sorted(ids)), subject=str(target))
        if kind == "step-group":
            self._check_step_group(step, path, pid)
        elif kind == "fork":
            self._check_fork(step, path, pid)

    def _check_function(self, step: PipelineStep, path: str, pid: str) -> None:
        meta = step.engine_meta
        target = meta.target if meta is not None else None
        sid = step.id or "?"
        if not target:
            self.report.error(at(path, "engineMeta"), f"EngineMeta is required for [{step.type}] step [{sid}] in "
                              f"pipeline [{pid}]", 'add "engineMeta": {"command": "Object.function"}',
                              subject=step.id)
            return
        field_name = "command" if meta is not None and meta.command else "spark"
        try:
            self.resolver.resolve(target, meta.pkg if meta is not None else None)
        except StepResolutionError as exc:
            message = str(exc).split("; did you mean", 1)[0]
            suggestion = _style_suggestions(exc.suggestions, target)
            self.report.error(at(path, f"engineMeta.{field_name}"),
                              f"step [{sid}] in pipeline [{pid}]: {message}",
                              suggestion or "check the name and stepPackages", subject=step.id)
        except Exception as exc:  # noqa: BLE001 - importing a step package runs user code
            self.report.error(at(path, f"engineMeta.{field_name}"),
                              f"step [{sid}] in pipeline [{pid}]: importing the step function {target!r} failed: "
                              f"{type(exc).__name__}: {exc}", subject=step.id)

    def _check_step_group(self, step: PipelineStep, path: str, pid: str) -> None:
        sid = step.id or "?"
        by_name = {p.name: (i, p) for i, p in enumerate(step.params) if p.name}
        if "pipeline" not in by_name and "pipelineId" not in by_name and not step.pipeline_id:
            self.report.error(path, f"Parameter [pipeline] or [pipelineId] is required for step group [{sid}] in "
                              f"pipeline [{pid}].", "add a 'pipelineId' parameter naming the pipeline to run",
                              subject=step.id)
            return
        if step.pipeline_id:
            self._check_group_reference(step.pipeline_id, at(path, "pipelineId"), sid)
        if "pipelineId" in by_name:
            index, param = by_name["pipelineId"]
            value = _static(param)
            if value is not None:
                self._check_group_reference(value, at(path, f"params[{index}].value"), sid)
        if "pipeline" in by_name:
            index, param = by_name["pipeline"]
            value = param.value if param.value is not None else param.default_value
            value_path = at(path, f"params[{index}].value")
            if isinstance(value, str) and value.startswith("&") and not any(c in value for c in ". |{"):
                self._check_group_reference(value[1:], value_path, sid)
            elif isinstance(value, dict) and "steps" in value:
                inline = build_model(Pipeline, value, self.report, value_path, self.broken)
                check_unknown_fields(Pipeline, value, self.report, value_path, strict=self.strict)
                if inline is not None:
                    self.check(FoundPipeline(inline, value_path, value))

    def _check_group_reference(self, pipeline_id: str, path: str, step_id: str) -> None:
        found = self.library.find(pipeline_id, path)
        if found is None:
            self.report.error(path, f"step group [{step_id}] names unknown pipeline id {pipeline_id!r} (expected an "
                              f"application pipeline or a pipeline file {pipeline_id}.json)",
                              did_you_mean(pipeline_id, self.library.known_ids()), subject=pipeline_id)

    def _check_fork(self, step: PipelineStep, path: str, pid: str) -> None:
        sid = step.id or "?"
        values = _named_with_value(step, "forkByValues")
        method = _named_with_value(step, "forkMethod")
        if values is None and method is None:
            self.report.error(path, f"Parameters [forkByValues] and [forkMethod] is required for fork step [{sid}] "
                              f"in pipeline [{pid}].", "add a forkByValues list and a forkMethod of serial or parallel",
                              subject=step.id)
            return
        if method is None:
            self.report.error(path, f"Parameter [forkMethod] is required for fork step [{sid}] in pipeline [{pid}].",
                              "add a forkMethod parameter with value serial or parallel", subject=step.id)
        if values is None:
            self.report.error(path, f"Parameter [forkByValues] is required for fork step [{sid}] in pipeline "
                              f"[{pid}].", "add a forkByValues parameter giving the list to fork over",
                              subject=step.id)
        if method is not None:
            index, param = method
            literal = _static(param)
            if literal is not None and literal.strip().lower() not in FORK_METHODS:
                self.report.error(at(path, f"params[{index}].value"),
                                  f"Unsupported value [{literal}] for parameter [forkMethod]. Value must be one of "
                                  f"the supported values [serial, parallel] for fork step [{sid}] in pipeline "
                                  f"[{pid}].", did_you_mean(literal.strip().lower(), FORK_METHODS, 0.5),
                                  subject=step.id)

    # -- whole flow --------------------------------------------------------------------------
    def _check_structure(self, pipeline: Pipeline, prefix: str, ids: dict[str, int]) -> None:
        structure = FlowStructure(pipeline)
        pid = pipeline.id or "?"
        for step in pipeline.steps:
            if not step.id or step.type_name not in ("fork", "split"):
                continue
            path = at(prefix, f"steps[{ids[step.id]}]")
            try:
                if step.type_name == "fork":
                    structure.fork_body(step.id)
                    continue
                paths = structure.split_paths(step.id)
                merges = {p.merge_id for p in paths}
                if len(merges) > 2 or len(merges - {None}) > 1:
                    self.report.error(path, "Flows must either terminate at a single merge step or pipeline end! "
                                      f"(split step [{step.id}] in pipeline [{pid}]: paths end at "
                                      f"{', '.join(sorted(m or 'the pipeline end' for m in merges))})",
                                      subject=step.id)
            except PipelineException as exc:
                self.report.error(path, f"{exc} (step [{step.id}] in pipeline [{pid}])", subject=step.id)
            except Exception as exc:  # noqa: BLE001 - never a traceback for a malformed flow
                self.report.error(path, f"the flow of step [{step.id}] cannot be analysed: {exc}", subject=step.id)

    def _check_reachable(self, pipeline: Pipeline, prefix: str, ids: dict[str, int]) -> None:
        steps = pipeline.step_map()
        first = pipeline.steps[0].id
        if not first:
            return
        seen = {first}
        queue = deque([first])
        while queue:
            step = steps.get(queue.popleft())
            if step is None:
                continue
            for target in successors(step):
                if target in steps and target not in seen:
                    seen.add(target)
                    queue.append(target)
        for step_id, index in ids.items():
            if step_id not in seen:
                self.report.warning(at(prefix, f"steps[{index}]"), f"step [{step_id}] of pipeline "
                                    f"[{pipeline.id or '?'}] is never reached from its first step [{first}]",
                                    "link it with nextStepId or a branch result, or remove it", subject=step_id)


def _named_with_value(step: PipelineStep, name: str) -> tuple[int, Parameter] | None:
    for index, param in enumerate(step.params):
        if param.name == name and (param.has_value() or param.has_default()) and param.value != "":
            return index, param
    return None


def _static(param: Parameter) -> str | None:
    """The parameter's literal string value (``None`` when absent or a mapping string)."""
    value = param.value if param.value is not None else param.default_value
    if isinstance(value, str) and value and not contains_special(value):
        return value
    return None


def _style_suggestions(suggestions: list[str], target: str) -> str | None:
    """``did you mean 'ExecutionSteps.normalFunction'?`` in the spelling style the file uses."""
    if not suggestions:
        return None
    function = target.rpartition(".")[2]
    camel = any(c.isupper() for c in function) and "_" not in function
    shown: list[str] = []
    for suggestion in suggestions:
        owner, dot, name = suggestion.rpartition(".")
        if camel:
            name = to_camel(name)
        shown.append(f"{owner}{dot}{name}")
    unique = list(dict.fromkeys(shown))
    return f"did you mean {', '.join(repr(s) for s in unique)}?"
