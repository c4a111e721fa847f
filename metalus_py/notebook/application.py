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
from metalus_py.notebook.incremental import DEFAULT, run_incremental, store_for
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
        #: The file this application was read from (its folder holds ``pipelines/``), if any.
        self.path: str | None = None

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
    def from_json(cls, source: str | Path | Mapping[str, Any]) -> Application:
        """Read an application from a file path, JSON text or an already parsed dict."""
        if isinstance(source, Mapping):
            return cls.from_dict(source)
        text = str(source)
        path = None
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            path = str(Path(source).resolve())
            text = Path(source).read_text(encoding="utf-8")
        app = cls.from_dict(json.loads(text))
        app.path = path
        return app

    # -- checking and running ------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self.path or f"<notebook application {self.id or 'unnamed'}>"

    def validate(self, parameters: Mapping[str, Any] | None = None, /, **globals: Any) -> ValidationReport:
        """Check the application (every problem reported) without running anything."""
        return validate_application(self.to_dict(), {**dict(parameters or {}), **globals}, source=self.source)

    def run(
        self,
        parameters: Mapping[str, Any] | None = None,
        /,
        *,
        until: str | None = None,
        fresh: bool = False,
        state: Any = DEFAULT,
        **globals: Any,
    ) -> NotebookResult:
        """Validate and run, reusing every step that did not change since the last run.

        Keyword arguments are command-line globals (``--name value``); a global named
        ``until``, ``fresh`` or ``state`` goes in ``parameters``. The run is recorded in the
        command line's store (``METALUS_STATE``, else ``.metalus/state.db`` here), so
        ``metalus show`` sees it; ``result.reused`` lists the steps taken from the last run.

        Args:
            until: ``"EXEC.PIPELINE.STEP"``: stop after that step (the run is PAUSED, resumable).
            fresh: run every step again, reusing nothing.
            state: a store URL, or ``"none"`` to run without a store (nothing reused or recorded).

        Raises:
            ApplicationValidationError: the application is invalid (nothing ran).
            UnknownStepError: ``until`` names no step (with did-you-mean).
        """
        from metalus_py.notebook.live import live_progress

        values = {**dict(parameters or {}), **globals}
        store = store_for(state)
        if store is None and until is not None:
            raise ValueError("until= needs a state store (the paused run is resumed from it), not state='none'")
        with live_progress(self.to_dict()):  # a live view in the cell when run from a notebook
            if store is None:
                result = run_application(self.to_dict(), values, source=self.source)
                return NotebookResult.of(result, document=self.to_dict())
            return run_incremental(self.to_dict(), values, source=self.source, store=store, until=until, fresh=fresh)

    def run_step(self, name: str, /, *, globals: Mapping[str, Any] | None = None, **params: Any) -> Any:  # noqa: A002
        """Run one step (``"EXEC.PIPELINE.STEP"``) or one pipeline (``"EXEC.PIPELINE"``) alone.

        Parents do not run: ``params`` (camelCase or snake_case names) give the step's inputs
        directly, any Python value; the other parameters map as usual against the application's
        and the execution's globals and ``globals``. Returns the step's primary return (the
        pipeline's context for a pipeline). Nothing is recorded.

        Raises:
            UnknownStepError: no such step or pipeline; a parameter the step does not take.
        """
        from metalus_py.notebook.single import run_single

        return run_single(self.to_dict(), name, dict(globals or {}), params)

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
