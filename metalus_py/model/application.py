"""The application file: executions, shared pipelines, globals and class-info objects."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool, model_validator

from metalus_py.model.base import FileModel
from metalus_py.model.pipeline import Pipeline

#: Sections that only mean something to Spark; accepted and ignored with a warning.
SPARK_ONLY_SECTIONS = ("sparkConf", "sparkListeners", "sparkUdfs", "json4sSerializers")


class ClassInfo(FileModel):
    """``{"className": "pkg.mod.Class", "parameters": {...}}``: an object built by keyword arguments."""

    class_name: str | None = None
    parameters: dict[str, Any] | None = None


class PipelineParameter(FileModel):
    """Initial ``$`` values of one pipeline."""

    pipeline_id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class PipelineParameters(FileModel):
    """``{"parameters": [{"pipelineId": ..., "parameters": {...}}]}``."""

    parameters: list[PipelineParameter] = Field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {p.pipeline_id: dict(p.parameters) for p in self.parameters if p.pipeline_id is not None}


class Execution(FileModel):
    """One node of the execution plan."""

    id: str | None = None
    pipeline_ids: list[str] | None = None
    pipelines: list[Pipeline] | None = None
    initial_pipeline_id: str | None = None
    parents: list[str] | None = None
    globals: dict[str, Any] | None = None
    merge_globals: StrictBool = False
    execution_type: str | None = None
    fork_by_values: str | None = None
    evaluation_pipelines: list[Pipeline] | None = None
    evaluation_pipeline_ids: list[str] | None = None
    pipeline_parameters: PipelineParameters | None = None
    pipeline_listener: ClassInfo | None = None
    step_mapper: ClassInfo | None = None
    security_manager: ClassInfo | None = None
    pipeline_manager: ClassInfo | None = None
    credential_provider: ClassInfo | None = None
    spark_listeners: list[Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_fork_by_value(cls, data: Any) -> Any:
        # Metalus's code reads ``forkByValue``; its docs say ``forkByValues``. Accept both.
        if isinstance(data, dict) and "forkByValue" in data and "forkByValues" not in data:
            data = dict(data)
            data["forkByValues"] = data.pop("forkByValue")
        return data

    @property
    def kind(self) -> str:
        """``pipeline`` (default), ``fork`` or ``join``, lower-cased."""
        return (self.execution_type or "pipeline").lower()

    @property
    def parent_ids(self) -> list[str]:
        return list(self.parents or [])


class Application(FileModel):
    """The whole application file."""

    executions: list[Execution] = Field(default_factory=list)
    step_packages: list[str] = Field(default_factory=list)
    globals: dict[str, Any] | None = None
    application_properties: dict[str, Any] | None = None
    pipelines: list[Pipeline] = Field(default_factory=list)
    pipeline_parameters: PipelineParameters | None = None
    required_parameters: list[str] = Field(default_factory=list)
    pipeline_listener: ClassInfo | None = None
    step_mapper: ClassInfo | None = None
    security_manager: ClassInfo | None = None
    pipeline_manager: ClassInfo | None = None
    credential_provider: ClassInfo | None = None
    spark_conf: Any = None
    spark_listeners: Any = None
    spark_udfs: Any = None
    json4s_serializers: Any = Field(default=None, alias="json4sSerializers")
    #: Our own: application-wide artifact persistence policy (``all`` or ``none``).
    persist: str | None = None
    #: Our own: a name for the application in results and the state store.
    id: str | None = None
    #: Metalus 2.0: the root pipeline, run as the application's one execution, and the pipelines
    #: it may use (``pipelineTemplates``). ``contexts`` (2.0 session storage) is accepted and not
    #: used: every run here is durable already.
    pipeline_id: str | None = None
    pipeline_templates: list[Pipeline] = Field(default_factory=list)
    contexts: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _metalus_2_root_pipeline(self) -> Application:
        if not self.executions and self.pipeline_id:
            known = {p.id for p in self.pipelines}
            self.pipelines = [*self.pipelines, *(p for p in self.pipeline_templates if p.id not in known)]
            self.executions = [Execution(id=self.pipeline_id, pipeline_ids=[self.pipeline_id])]
        return self

    def execution(self, execution_id: str) -> Execution | None:
        for execution in self.executions:
            if execution.id == execution_id:
                return execution
        return None
