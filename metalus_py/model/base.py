"""The shared pydantic configuration of every file model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class FileModel(BaseModel):
    """Base of the file models: camelCase aliases, unknown fields kept (and reported by validation)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        # Each model is built on first use: a run validates one Application (its nested models
        # inline); the other models' validators are only built when they are used on their own.
        defer_build=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form of this object, as it would appear in an application file."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")
