"""Step parameter checks: ``required`` values, ``scalascript``, scripts, mapping syntax, ``className``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.base.problems import ValidationReport
from metalus_py.mapping.safe_eval import UnsafeScriptError, check_expression
from metalus_py.mapping.scripts import is_script, parse_script
from metalus_py.mapping.syntax import check_mapping_syntax, contains_special
from metalus_py.model.pipeline import Parameter, PipelineStep
from metalus_py.validation.classinfo import check_parameter_class
from metalus_py.validation.shapes import at

#: Types whose string value is not a mapping string.
_NOT_MAPPED = frozenset({"script", "scalascript"})


def check_parameter(
    param: Parameter, step: PipelineStep, pipeline_id: str, path: str, report: ValidationReport
) -> None:
    """Every problem of one step parameter at ``path`` (``...steps[i].params[j]``)."""
    name = param.name
    step_id = step.id or "?"
    where = f"parameter [{name}] of step [{step_id}] in pipeline [{pipeline_id}]"
    kind = param.type_name
    if not name:
        report.warning(at(path, "name"), f"a parameter of step [{step_id}] in pipeline [{pipeline_id}] has no name; "
                       "it is not passed to the step function", "give it the name of the function argument")
    if param.required and kind != "result" and not param.has_value() and not param.has_default():
        report.error(path, f"required {where} has neither value nor defaultValue",
                     "give it a value or a defaultValue, or set required to false", subject=name)
    if kind == "scalascript":
        report.error(at(path, "type"), f"{where} is a scalascript, which is not supported",
                     "rewrite it as a 'result' parameter with a Python script: "
                     "\"(name:value:type) python-expression\"", subject=name)
        return
    if kind in _NOT_MAPPED:
        return
    for field, raw in (("value", param.value), ("defaultValue", param.default_value)):
        if raw is None:
            continue
        if kind == "result" and isinstance(raw, str) and is_script(raw):
            _check_script(raw, where, at(path, field), report, name)
            continue
        for sub_path, text in _strings(raw, at(path, field)):
            if not contains_special(text):
                continue
            for problem in check_mapping_syntax(text):
                report.error(sub_path, f"bad mapping string in {where}: {problem}",
                             "mapping strings look like !global, @stepId, #stepId.name, $pipelineId.name "
                             "or ${...} inside text; escape a literal prefix with a backslash", subject=name)
    if param.class_name is not None:
        check_parameter_class(param.class_name, param.value, report, at(path, "className"))


def _check_script(text: str, where: str, path: str, report: ValidationReport, name: str | None) -> None:
    try:
        bindings, body = parse_script(text)
    except PipelineException as exc:
        report.error(path, f"bad script in {where}: {exc}", "a script is \"(name:value:type, ...) python-expression\"",
                     subject=name)
        return
    try:
        check_expression(body, [binding for binding, _, _ in bindings] + ["logger"])
    except UnsafeScriptError as exc:
        report.error(path, f"script in {where} is not allowed: {exc}",
                     "a script is one expression over its bindings: no imports, no names or attributes "
                     "starting with '_', calls only of methods of values and of safe functions", subject=name)
    for binding_name, value, _type in bindings:
        for problem in check_mapping_syntax(value) if contains_special(value) else []:
            report.error(path, f"bad mapping string for script binding {binding_name!r} in {where}: {problem}",
                         subject=name)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, at(path, str(key)))
