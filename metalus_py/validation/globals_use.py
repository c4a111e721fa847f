"""``!name`` references checked in the execution that evaluates them.

Errors: ``!EXEC.pipelineParameters.P.S...`` where ``EXEC`` is not an ancestor of the execution,
``P`` not one of its pipelines, ``S`` not a step of ``P``, or a misspelled ``pipelineParameters``/
``globals``/``primaryReturn``/``namedReturns``. Warning: a global defined nowhere (globals,
GlobalLinks of the execution, its ancestors and the application, ``requiredParameters``, global
pipeline inputs, the command line, or a step that sets it through ``$globals.``). A GlobalLink
is checked where it is used, and reported at its definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.problems import ValidationReport
from metalus_py.model.application import Application, Execution
from metalus_py.validation.evaluated import Token, tokens
from metalus_py.validation.plan_checks import did_you_mean
from metalus_py.validation.shapes import at

#: Globals the engine itself sets while a pipeline runs.
ENGINE_GLOBALS = frozenset({"pipelineId", "stepId", "lastStepId", "groupId", "stepRetryCount", "executionId",
                            "GlobalLinks"})
FORK_GLOBALS = frozenset({"executionForkValue", "executionForkValueIndex"})
#: Settings the engine (or Metalus's own command line) reads from the globals.
ENGINE_SETTINGS = frozenset({"validateStepParameterTypes", "dropNoneFromLists", "extractMethodsEnabled",
                             "rootLogLevel", "customLogLevels", "logLevel", "driverSetupClass",
                             "applicationConfigPath", "applicationConfigurationLoader", "applicationId",
                             "applicationJson", "enableHiveSupport", "jobName"})
_SECTIONS = ("pipelineParameters", "globals")
_RETURNS = ("primaryReturn", "namedReturns", "namedReturn")


@dataclass
class Link:
    expression: str
    path: str


@dataclass
class ExecutionScope:
    """What one execution can see: ancestors, global names, links, and the pipelines of each execution."""

    index: int
    execution: Execution
    ancestors: set[str]
    defined: set[str]
    links: dict[str, Link]
    #: Names given as plain globals (file or command line): they win over a parent's id.
    plain: set[str] = field(default_factory=set)


@dataclass
class GlobalsChecker:
    """Checks ``!`` tokens per execution; collects every global name the application uses."""

    application: Application
    document: Mapping[str, Any]
    report: ValidationReport
    parameters: Mapping[str, Any]
    #: execution id -> pipeline ids it runs (main and evaluation).
    pipelines_of: dict[str, list[str]]
    #: pipeline id -> step ids.
    steps_of: dict[str, set[str]]
    extra_defined: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    _links_checked: set[tuple[str, str]] = field(default_factory=set)

    def scope(self, index: int) -> ExecutionScope:
        execution = self.application.executions[index]
        ancestors = self._ancestors(execution.id or "")
        links: dict[str, Link] = {}
        self._add_links(links, self.document.get("globals"), "globals")
        by_id = self._executions()
        for ancestor in sorted(ancestors, key=lambda a: by_id[a][0] if a in by_id else 0):
            if ancestor in by_id:
                k, _ = by_id[ancestor]
                self._add_links(links, self._raw_execution(k).get("globals"), f"executions[{k}].globals")
        self._add_links(links, self._raw_execution(index).get("globals"), f"executions[{index}].globals")
        defined = set(ENGINE_GLOBALS) | set(self.parameters) | set(self.application.required_parameters)
        defined |= self.extra_defined | set(links)
        plain = _keys(self.document.get("globals")) | _keys(self._raw_execution(index).get("globals"))
        plain |= set(self.parameters)
        defined |= plain
        defined |= {p for p in (execution.parents or []) if isinstance(p, str)} | ancestors
        # A pipeline shared by fork and other executions may name the fork value: None outside the fork.
        if any(e.kind == "fork" for e in self.application.executions):
            defined |= FORK_GLOBALS
        return ExecutionScope(index, execution, ancestors, defined, links, plain)

    def check_text(self, scope: ExecutionScope, text: str, path: str, subject: str | None) -> None:
        """Every ``!`` token of one evaluated string, in ``scope``."""
        for token in tokens(text):
            if token.prefix != "!" or not token.segments[0]:
                continue
            name = token.segments[0]
            self.used.add(name)
            link = scope.links.get(name)
            if link is not None:
                self._check_link(scope, name, link, path)
                continue
            self._check_global(scope, token, text, path, subject, via=None)

    def note_used(self, text: str) -> None:
        """Record the globals a string names, without checking it (step groups, unused pipelines)."""
        for token in tokens(text):
            if token.prefix == "!" and token.segments[0]:
                self.used.add(token.segments[0])

    def _check_link(self, scope: ExecutionScope, name: str, link: Link, used_at: str) -> None:
        key = (scope.execution.id or str(scope.index), name)
        if key in self._links_checked:
            return
        self._links_checked.add(key)
        for token in tokens(link.expression):
            if token.prefix == "!" and token.segments[0]:
                self.used.add(token.segments[0])
                self._check_global(scope, token, link.expression, link.path, name, via=used_at)

    def _check_global(
        self, scope: ExecutionScope, token: Token, text: str, path: str, subject: str | None, via: str | None
    ) -> None:
        segments = token.segments
        name = segments[0]
        eid = scope.execution.id or "?"
        used = f" (used by execution [{eid}] at {via})" if via else f" in execution [{eid}]"
        executions = self._executions()
        if name in executions and name not in scope.plain:
            if name not in scope.ancestors:
                self.report.error(path, f"{token.text!r} names execution [{name}], which is not an ancestor of "
                                  f"execution [{eid}]{used if via else ''}; it is always None",
                                  did_you_mean(name, sorted(scope.ancestors)) or
                                  f"add {name!r} to the parents of [{eid}]", subject=name)
                return
            self._check_parent_path(token, name, text, path, used)
            return
        if len(segments) > 1 and name not in scope.defined and did_you_mean(segments[1], _SECTIONS, 0.7):
            self.report.error(path, f"{token.text!r} names no execution [{name}]{used}",
                              did_you_mean(name, sorted(scope.ancestors), 0.5) or
                              f"ancestors: {', '.join(sorted(scope.ancestors)) or 'none'}", subject=name)
            return
        if name not in scope.defined and not token.fallback:
            known = sorted(scope.defined - ENGINE_GLOBALS)
            self.report.warning(path, f"global {'!' + name!r} (in {text!r}) is defined nowhere{used}: not in globals, "
                                "GlobalLinks, requiredParameters nor the command line; it maps to None",
                                did_you_mean(name, known) or f"give it as --{name} value or define it in globals",
                                subject=name)

    def _check_parent_path(self, token: Token, execution_id: str, text: str, path: str, used: str) -> None:
        segments = token.segments
        if len(segments) < 2:
            return
        section = segments[1]
        if section not in _SECTIONS:
            self.report.error(path, f"{token.text!r}: [{section}] is not a part of execution [{execution_id}]'s "
                              f"result{used} (expected pipelineParameters or globals)",
                              did_you_mean(section, _SECTIONS, 0.4) or "expected pipelineParameters or globals",
                              subject=section)
            return
        if section != "pipelineParameters" or len(segments) < 3:
            return
        pipelines = self.pipelines_of.get(execution_id, [])
        pipeline_id = segments[2]
        if pipeline_id not in pipelines:
            self.report.error(path, f"{token.text!r}: pipeline [{pipeline_id}] is not run by execution "
                              f"[{execution_id}]{used}", did_you_mean(pipeline_id, pipelines) or
                              f"its pipelines: {', '.join(pipelines) or 'none'}", subject=pipeline_id)
            return
        if len(segments) < 4:
            return
        step_id = segments[3]
        steps = self.steps_of.get(pipeline_id)
        if steps is not None and step_id not in steps:
            self.report.error(path, f"{token.text!r}: [{step_id}] is not a step of pipeline [{pipeline_id}]{used}",
                              did_you_mean(step_id, sorted(steps)), subject=step_id)
            return
        if len(segments) >= 5 and segments[4] not in _RETURNS:
            self.report.error(path, f"{token.text!r}: [{segments[4]}] is not a part of a step result{used} "
                              "(expected primaryReturn or namedReturns)",
                              did_you_mean(segments[4], _RETURNS, 0.4) or "expected primaryReturn or namedReturns",
                              subject=segments[4])

    def _ancestors(self, execution_id: str) -> set[str]:
        by_id = self._executions()
        seen: set[str] = set()
        stack = list(by_id[execution_id][1].parents or []) if execution_id in by_id else []
        while stack:
            parent = stack.pop()
            if not isinstance(parent, str) or parent in seen:
                continue
            seen.add(parent)
            if parent in by_id:
                stack.extend(by_id[parent][1].parents or [])
        seen.discard(execution_id)
        return seen

    def _executions(self) -> dict[str, tuple[int, Execution]]:
        found: dict[str, tuple[int, Execution]] = {}
        for k, e in enumerate(self.application.executions):
            if e.id and e.id not in found:
                found[e.id] = (k, e)
        return found

    def _raw_execution(self, index: int) -> Mapping[str, Any]:
        raw = self.document.get("executions")
        if isinstance(raw, list) and index < len(raw) and isinstance(raw[index], Mapping):
            return raw[index]
        return {}

    @staticmethod
    def _add_links(links: dict[str, Link], globals_: Any, prefix: str) -> None:
        table = globals_.get("GlobalLinks") if isinstance(globals_, Mapping) else None
        if isinstance(table, Mapping):
            for name, expression in table.items():
                if isinstance(expression, str):
                    links[str(name)] = Link(expression, at(at(prefix, "GlobalLinks"), str(name)))


def _keys(value: Any) -> set[str]:
    return {str(k) for k in value} if isinstance(value, Mapping) else set()


def all_link_names(document: Mapping[str, Any]) -> Iterable[str]:
    """Every GlobalLink name of the application and its executions."""
    executions = document.get("executions")
    holders = [document, *(e for e in executions if isinstance(e, Mapping))] if isinstance(executions, list) else [
        document]
    for holder in holders:
        globals_ = holder.get("globals")
        table = globals_.get("GlobalLinks") if isinstance(globals_, Mapping) else None
        if isinstance(table, Mapping):
            yield from (str(k) for k in table)
