"""Finding the pipelines an application names, as the runner will, and where each one lives.

Lookup order for an id (DESIGN.md section 2): the execution's ``pipelines``, the application's
``pipelines``, then ``<id>.json`` in the pipeline directories (``pipelines/`` beside the file,
then ``metadata/pipelines/`` inside each step package). Pipeline files are read and checked
for shape here, once each; problems inside a file are reported under the reference that led to
it: ``executions[0].pipelineIds[0] -> pipelines/P1.json: steps[1]``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.local_files import file_exists
from metalus_py.base.problems import ValidationReport
from metalus_py.model.loader import (
    JsonSyntaxError,
    base_directory,
    parse_json,
    pipeline_directories,
    read_text,
)
from metalus_py.model.pipeline import Pipeline
from metalus_py.validation.shapes import Broken, at, build_model, check_unknown_fields


@dataclass
class FoundPipeline:
    """A pipeline and the path prefix problems inside it are reported under."""

    pipeline: Pipeline
    prefix: str
    raw: Any = None


@dataclass
class _FileEntry:
    found: FoundPipeline | None
    #: The file exists but could not be read or parsed (already reported).
    unreadable: bool = False


@dataclass
class PipelineLibrary:
    """The application pipelines and the pipeline files, looked up by id."""

    source: str
    step_packages: list[str]
    report: ValidationReport
    strict: bool
    broken: Broken
    application: dict[str, FoundPipeline] = field(default_factory=dict)
    _files: dict[str, _FileEntry] = field(default_factory=dict)
    #: Pipelines read from files, to be checked once each (in the order they were first named).
    pending: list[FoundPipeline] = field(default_factory=list)
    #: The application's own ``pipelineManager`` object, asked after the application pipelines.
    manager: Any = None

    def add_application_pipeline(self, found: FoundPipeline) -> None:
        if found.pipeline.id and found.pipeline.id not in self.application:
            self.application[found.pipeline.id] = found

    def known_ids(self) -> list[str]:
        return sorted(self.application)

    def find(self, pipeline_id: str, reference: str) -> FoundPipeline | None | bool:
        """The application pipeline or file for ``pipeline_id``.

        Returns ``None`` when nothing matches, ``True`` when a file exists but could not be read
        (already reported at ``reference``).
        """
        if pipeline_id in self.application:
            return self.application[pipeline_id]
        managed = self._from_manager(pipeline_id)
        if managed is not None:
            return managed
        entry = self._files.get(pipeline_id)
        if entry is None:
            entry = self._load(pipeline_id, reference)
            self._files[pipeline_id] = entry
        if entry.unreadable:
            return True
        return entry.found

    def _from_manager(self, pipeline_id: str) -> FoundPipeline | None:
        if self.manager is None:
            return None
        try:
            found = self.manager.get_pipeline(pipeline_id)
            pipeline = Pipeline.model_validate(found) if isinstance(found, dict) else found
        except Exception:  # noqa: BLE001 - a user manager may fail; the id is then unknown
            return None
        if not isinstance(pipeline, Pipeline):
            return None
        found_pipeline = FoundPipeline(pipeline, f"pipelineManager: {pipeline_id}")
        self.application[pipeline_id] = found_pipeline
        self.pending.append(found_pipeline)
        return found_pipeline

    def _load(self, pipeline_id: str, reference: str) -> _FileEntry:
        if not pipeline_id or "/" in pipeline_id or "\\" in pipeline_id:
            return _FileEntry(None)
        for directory in pipeline_directories(self.source, self.step_packages):
            location = f"{directory.rstrip('/')}/{pipeline_id}.json"
            if not file_exists(location):
                continue
            shown = self._shown(location)
            where = f"{reference} -> {shown}"
            try:
                document = parse_json(read_text(location), shown)
            except JsonSyntaxError as exc:
                self.report.error(where, str(exc).removeprefix(f"{shown}: "), "fix the JSON syntax of the pipeline file",
                                  subject=pipeline_id)
                return _FileEntry(None, unreadable=True)
            except ApplicationError as exc:
                self.report.error(where, str(exc).removeprefix(f"{shown}: "), subject=pipeline_id)
                return _FileEntry(None, unreadable=True)
            if isinstance(document, list):
                document = document[0] if document else None
            prefix = f"{where}: "
            pipeline = build_model(Pipeline, document, self.report, prefix, self.broken)
            if pipeline is None:
                return _FileEntry(None, unreadable=True)
            check_unknown_fields(Pipeline, document, self.report, prefix, strict=self.strict)
            if pipeline.id is not None and pipeline.id != pipeline_id:
                self.report.warning(at(prefix, "id"), f"pipeline file {shown} holds pipeline id {pipeline.id!r}, "
                                    f"not {pipeline_id!r}", subject=pipeline.id)
            found = FoundPipeline(pipeline, prefix, document)
            self.pending.append(found)
            return _FileEntry(found)
        return _FileEntry(None)

    def directories(self) -> list[str]:
        """The pipeline directories, shown relative to the application's folder where possible."""
        return [self._shown(d) for d in pipeline_directories(self.source, self.step_packages)]

    def _shown(self, location: str) -> str:
        """A pipeline file's location relative to the application's folder when it is inside it."""
        if "://" in location or not self.source or "://" in self.source:
            return location
        folder = base_directory(self.source)
        absolute = os.path.abspath(location)
        if absolute.startswith(folder + os.sep):
            return os.path.relpath(absolute, folder)
        return location
