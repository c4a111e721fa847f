"""Objects built by ``className`` in the mapping tests (Metalus's ``ParameterTest``, ``TestObject`` ...).

``ParameterTest`` is a dataclass, ``TestObject`` and ``NestedCaseClassTest`` pydantic models
(camelCase keys from the files map to snake_case fields), so both ways of building objects are
exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


@dataclass
class ParameterTest:
    string: str | None = None
    num: int | None = None


class TestObject(BaseModel):
    __test__ = False  # not a pytest test class

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    int_field: int
    string_field: str
    bool_field: bool
    map_field: dict[str, Any]


class NestedCaseClassTest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    parameter_test: ParameterTest
    test_object: TestObject
