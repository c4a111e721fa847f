"""Build an application in code, validate and run it, and export the JSON the CLI runs.

``Application(step_packages=[...], globals={...})`` collects pipelines and executions;
``.execution("ID", pipelines=[...], parents=[...])`` adds one node of the plan (a pipeline
builder is added to the application's ``pipelines`` and named by id). ``to_json()`` gives the
application file and ``Application.from_json`` reads one back (``from_json(to_json())`` is
the same application). ``run(**globals)`` returns a :class:`NotebookResult`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from metalus_py.api import run_application, validate_application
from metalus_py.notebook.pipeline import Pipeline
from metalus_py.notebook.plan import PlanView
from metalus_py.notebook.registry import REGISTRY_PACKAGE
from metalus_py.notebook.results import NotebookResult
from metalus_py.validation import ValidationReport

_KNOWN = ("id", "stepPackages", "globals", "pipelines", "executions")


class Application:
    """An application under construction (see the module docstring)."""

    def __init__(
        self,
        application_id: str | None = None,
        *,
        step_packages: Iterable[str] = ("steps_library",),
        globals: Mapping[str, Any] | None = None,  # noqa: A002 - the file's name for them
        links: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> None:
        self.id = application_id
        self.step_packages = list(step_packages)
        self.globals: dict[str, Any] = copy.deepcopy(dict(globals or {}))
        if links:
            self.globals.setdefault("GlobalLinks", {}).update(links)
        self.fields = dict(fields)
        self.pipelines: dict[str, Pipeline] = {}
        self.executions: list[dict[str, Any]] = []

    # -- building ------------------------------------------------------------------------------
    def pipeline(self, pipeline: Pipeline) -> Application:
        """Add a shared pipeline (available to every execution by id)."""
        existing = self.pipelines.get(pipeline.id)
        if existing is not None and existing is not pipeline and existing.to_dict() != pipeline.to_dict():
            raise ValueError(f"another pipeline with id {pipeline.id!r} is already in the application")
        self.pipelines[pipeline.id] = pipeline
        return self

    def execution(
        self,
        execution_id: str,
        pipelines: Iterable[Pipeline | str] = (),
        *,
        parents: Iterable[str] = (),
        type: str | None = None,  # noqa: A002 - the file's executionType
        fork_by_values: str | None = None,
        evaluation: Iterable[Pipeline | str] = (),
        globals: Mapping[str, Any] | None = None,  # noqa: A002
        merge_globals: bool | None = None,
        initial_pipeline: str | None = None,
        **fields: Any,
    ) -> Application:
        """Add an execution running ``pipelines`` (builders or ids) in order after ``parents``.

        ``type`` is ``fork`` or ``join`` (default: a plain execution); a fork needs
        ``fork_by_values`` (a mapping string such as ``"!LIST.pipelineParameters.P.S.primaryReturn"``
        or a dotted global path). ``evaluation`` pipelines decide RUN, SKIP or STOP first.
        """
        if any(entry.get("id") == execution_id for entry in self.executions):
            raise ValueError(f"the application already has an execution {execution_id!r}")
        entry: dict[str, Any] = {"id": execution_id, "pipelineIds": self._ids(pipelines)}
        if parents:
            entry["parents"] = list(parents)
        if type:
            entry["executionType"] = type
        if fork_by_values is not None:
            entry["forkByValues"] = fork_by_values
        if evaluation:
            entry["evaluationPipelineIds"] = self._ids(evaluation)
        if globals is not None:
            entry["globals"] = copy.deepcopy(dict(globals))
        if merge_globals is not None:
            entry["mergeGlobals"] = merge_globals
        if initial_pipeline is not None:
            entry["initialPipelineId"] = initial_pipeline
        entry.update(copy.deepcopy(fields))
        self.executions.append(entry)
        return self

    def _ids(self, pipelines: Iterable[Pipeline | str]) -> list[str]:
        ids = []
        for item in pipelines:
            if isinstance(item, Pipeline):
                self.pipeline(item)
                ids.append(item.id)
            else:
                ids.append(str(item))
        return ids

    # -- export and import ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The application file as a dict (the registry package added when a ``@step`` is used)."""
        packages = list(self.step_packages)
        if REGISTRY_PACKAGE not in packages and any(p.uses_registry() for p in self.pipelines.values()):
            packages.append(REGISTRY_PACKAGE)
        for pipeline in self.pipelines.values():  # exported functions' modules (DESIGN §14)
            packages.extend(m for m in getattr(pipeline, "modules", ()) if m not in packages)
        document: dict[str, Any] = {"id": self.id} if self.id is not None else {}
        document.update(
            {
                "stepPackages": packages,
                "globals": copy.deepcopy(self.globals),
                "pipelines": [p.to_dict() for p in self.pipelines.values()],
                "executions": copy.deepcopy(self.executions),
            }
        )
        document.update(copy.deepcopy(self.fields))
        return document

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """The application file as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Application:
        """A builder holding an application read from a file (to extend, validate or run it)."""
        fields = {key: copy.deepcopy(value) for key, value in document.items() if key not in _KNOWN}
        app = cls(document.get("id"), step_packages=document.get("stepPackages") or [], **fields)
        app.globals = copy.deepcopy(dict(document.get("globals") or {}))
        for item in document.get("pipelines") or []:
            app.pipeline(Pipeline.from_dict(item))
        app.executions = copy.deepcopy(list(document.get("executions") or []))
        return app

    @classmethod
    def from_json(cls, source: str | Path) -> Application:
        """Read an application from JSON text or from a file path."""
        text = str(source)
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            text = Path(source).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    # -- checking and running ------------------------------------------------------------------
    @property
    def source(self) -> str:
        return f"<notebook application {self.id or 'unnamed'}>"

    def validate(self, parameters: Mapping[str, Any] | None = None, /, **globals: Any) -> ValidationReport:
        """Check the application (every problem reported) without running anything."""
        return validate_application(self.to_dict(), {**dict(parameters or {}), **globals}, source=self.source)

    def run(self, parameters: Mapping[str, Any] | None = None, /, **globals: Any) -> NotebookResult:
        """Validate and run; keyword arguments are command-line globals (``--name value``).

        Raises:
            ApplicationValidationError: the application is invalid (nothing ran).
        """
        result = run_application(self.to_dict(), {**dict(parameters or {}), **globals}, source=self.source)
        return NotebookResult.of(result)

    def plan(self) -> PlanView:
        """The execution plan, shown as a diagram in Jupyter (``.text()``, ``.mermaid()``)."""
        return PlanView(self.to_dict())

    def _repr_html_(self) -> str:
        return self.plan()._repr_html_()

    def __repr__(self) -> str:
        return (
            f"Application({self.id!r}, pipelines={list(self.pipelines)}, "
            f"executions={[entry.get('id') for entry in self.executions]})"
        )
