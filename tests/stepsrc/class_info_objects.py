"""Objects named by class-info sections in the tests (listener, credential provider, pipeline manager)."""

from __future__ import annotations

from typing import Any

from metalus_py import PipelineListener, RunEvent
from metalus_py.base.credentials import Credential
from metalus_py.base.secrets import Secret

SEEN: dict[str, list[str]] = {}


class RecordingListener(PipelineListener):
    def __init__(self, name: str, credential_provider: Any = None) -> None:
        self.name = name
        self.has_provider = credential_provider is not None
        SEEN[name] = []

    def on_event(self, event: RunEvent) -> None:
        SEEN[self.name].append(f"{event.kind}:{event.execution_id}")


class StaticCredentials:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get_named_credential(self, name: str) -> Credential | None:
        value = self.values.get(name)
        return Credential(name, Secret(value)) if value is not None else None


class DictPipelines:
    def __init__(self, pipelines: dict[str, Any]) -> None:
        self.pipelines = pipelines

    def get_pipeline(self, pipeline_id: str) -> Any:
        return self.pipelines.get(pipeline_id)


class TouchOnInit:
    """Creates the file ``path`` when constructed: proves whether a constructor ran."""

    def __init__(self, path: str) -> None:
        with open(path, "w", encoding="utf-8"):
            pass
        self.path = path
