"""Step references inside mapping strings: ``@STEP``, ``#STEP``, ``$STEP``/``?STEP``, ``@P.STEP``.

Checked per pipeline (they do not depend on the execution): the name must be a step of the
pipeline, ``LastStepId``, a pipeline id qualifying a step of that pipeline (``@P.S``), or for
``$``/``?`` a ``pipelineParameters`` key of the pipeline. Text that looks like a mapping but is
not one (``{outputPath}/x`` without ``!``) is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from metalus_py.base.problems import ValidationReport
from metalus_py.model.pipeline import Pipeline
from metalus_py.validation.evaluated import Evaluated, StepStrings, Token, bare_templates, tokens
from metalus_py.validation.lookup import FoundPipeline
from metalus_py.validation.plan_checks import did_you_mean
from metalus_py.validation.shapes import at

_KINDS = {"@": "the primary return of", "#": "the named returns of", "$": "the result of", "?": "the result of"}


@dataclass
class PipelineIndex:
    """Every pipeline found in the application: its step ids and its ``pipelineParameters`` keys."""

    steps: dict[str, set[str]] = field(default_factory=dict)
    parameter_keys: dict[str, set[str]] = field(default_factory=dict)

    def add(self, pipeline: Pipeline) -> None:
        if pipeline.id:
            self.steps.setdefault(pipeline.id, set()).update(s.id for s in pipeline.steps if s.id)


def check_references(
    found: FoundPipeline, index: PipelineIndex, report: ValidationReport, strings: StepStrings | None = None
) -> None:
    """Report every step reference of ``found`` that names nothing, and bare ``{name}`` templates."""
    strings = strings or StepStrings()
    pipeline = found.pipeline
    own = {s.id for s in pipeline.steps if s.id}
    keys = index.parameter_keys.get(pipeline.id or "", set()) | _input_names(pipeline)
    for step_index, step in enumerate(pipeline.steps):
        step_path = at(found.prefix, f"steps[{step_index}]")
        for evaluated in strings.of(step, step_path):
            for token in tokens(evaluated.text):
                if token.prefix in _KINDS:
                    _check_token(token, evaluated, pipeline, own, keys, index, report)
            for piece in bare_templates(evaluated.text):
                report.warning(evaluated.path, f"{piece!r} in {evaluated.text!r} looks like a mapping but is not one "
                               "(it is used as literal text)",
                               f"write '!{piece}' to insert the global, or escape it as '\\!{piece}'",
                               subject=evaluated.param)


def _check_token(
    token: Token, evaluated: Evaluated, pipeline: Pipeline, own: set[str], keys: set[str], index: PipelineIndex,
    report: ValidationReport,
) -> None:
    name = token.segments[0]
    if not name or name.lower() == "laststepid" or name in own:
        return
    if token.prefix in "$?" and name in keys:
        return
    pid = pipeline.id or "?"
    if name in index.steps:
        if len(token.segments) < 2:
            if token.prefix in "$?":
                return
            report.error(evaluated.path, f"{token.text!r} names pipeline [{name}] but no step of it",
                         f"write {token.prefix}{name}.STEP_ID", subject=name)
            return
        step = token.segments[1]
        steps = index.steps[name]
        if step not in steps and step.lower() != "laststepid":
            report.error(evaluated.path, f"{token.text!r} names no step [{step}] of pipeline [{name}] "
                         f"(in {evaluated.text!r})", did_you_mean(step, sorted(steps)) or
                         f"steps of [{name}]: {', '.join(sorted(steps))}", subject=step)
        return
    options = sorted(own | (keys if token.prefix in "$?" else set()))
    what = "step" + (" or pipelineParameters key" if token.prefix in "$?" else "")
    report.error(evaluated.path, f"{token.text!r} ({_KINDS[token.prefix]} a step) names no {what} of pipeline [{pid}] "
                 f"(in {evaluated.text!r})",
                 did_you_mean(name, options) or (f"steps of [{pid}]: {', '.join(sorted(own))}" if own else None),
                 subject=name)


def _input_names(pipeline: Pipeline) -> set[str]:
    """Names of the pipeline's declared ``parameters.inputs`` (Metalus 2.0)."""
    inputs = (pipeline.parameters or {}).get("inputs")
    if not isinstance(inputs, list):
        return set()
    return {i["name"] for i in inputs if isinstance(i, dict) and isinstance(i.get("name"), str)}


def global_inputs(pipeline: Pipeline) -> set[str]:
    """Names of ``parameters.inputs`` marked ``"global": true``."""
    inputs = (pipeline.parameters or {}).get("inputs")
    if not isinstance(inputs, list):
        return set()
    return {i["name"] for i in inputs
            if isinstance(i, dict) and isinstance(i.get("name"), str) and i.get("global") is True}
