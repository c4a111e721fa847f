"""The standard step library of metalus_py.

Put ``"steps_library"`` in an application's ``stepPackages`` and name steps as Metalus does,
``Object.function``: ``"engineMeta": {"command": "DataReaderSteps.readCsv"}``. Each step
object below is a namespace class whose attributes are the step functions (camelCase names
resolve to these snake_case functions). The functions themselves live in one module per idea
and can also be named by module (``"transforms.apply_filter"``) or called directly.

| Object               | Module               | What                                              |
|----------------------|----------------------|---------------------------------------------------|
| FileSteps            | ``files``            | list/copy/move/delete files through fsspec URLs   |
| DataReaderSteps      | ``readers``          | read CSV, Parquet, JSON, NDJSON, Arrow IPC        |
| DataWriterSteps      | ``writers``          | write them (streamed sinks for LazyFrames)        |
| TransformationSteps  | ``transforms``, ``conform`` | polars transforms, Metalus schema mapping  |
| SqlSteps             | ``sql``              | SQL over named frames (polars SQLContext)         |
| QualitySteps         | ``quality``          | row count, null, uniqueness and range checks      |
| DatabaseSteps        | ``database``         | read/write tables (SQLite, PostgreSQL, DuckDB)    |
| StringSteps          | ``strings``          | string helpers                                    |
| LoggingSteps         | ``logging_steps``    | log a message                                     |
| FlowSteps            | ``flow``             | compare/branch helpers, counts, retry, sleep      |
| ExceptionSteps       | ``exception_steps``  | skip, stop, pause or fail an execution            |

Each object is defined at the end of its module and imported on first use, so naming
``StringSteps`` imports neither polars nor pyarrow (PEP 562 ``__getattr__`` below); every name
stays importable from the package as before.

To add a step: write a typed function with a Google-style docstring (its first line is the
catalogue's summary) in the module of its idea, then list it on that module's step object.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steps_library.conform import TransformationSteps
    from steps_library.database import DatabaseSteps
    from steps_library.exception_steps import ExceptionSteps
    from steps_library.files import FileSteps
    from steps_library.flow import FlowSteps
    from steps_library.flow import FlowSteps as FlowUtilsSteps
    from steps_library.logging_steps import LoggingSteps
    from steps_library.quality import QualitySteps
    from steps_library.readers import DataReaderSteps
    from steps_library.sql import SqlSteps
    from steps_library.strings import StringSteps
    from steps_library.writers import DataWriterSteps

    #: Every step object by name, for catalogues.
    STEP_OBJECTS: dict[str, type]

#: The module of each step object, in catalogue order.
_OBJECT_MODULES = {
    "FileSteps": "files",
    "DataReaderSteps": "readers",
    "DataWriterSteps": "writers",
    "TransformationSteps": "conform",
    "SqlSteps": "sql",
    "QualitySteps": "quality",
    "DatabaseSteps": "database",
    "StringSteps": "strings",
    "LoggingSteps": "logging_steps",
    "FlowSteps": "flow",
    "ExceptionSteps": "exception_steps",
}
#: Metalus's name for the retry helper's object (``FlowUtilsSteps.simpleRetry``).
_ALIASES = {"FlowUtilsSteps": "FlowSteps"}
_MODULES = frozenset({*_OBJECT_MODULES.values(), "schema"})


def __getattr__(name: str) -> object:
    """A step object, ``STEP_OBJECTS`` or a step module, imported on first use."""
    value: object
    if name in _ALIASES:
        value = __getattr__(_ALIASES[name])
    elif name in _OBJECT_MODULES:
        value = getattr(importlib.import_module(f"{__name__}.{_OBJECT_MODULES[name]}"), name)
    elif name == "STEP_OBJECTS":
        value = {object_name: __getattr__(object_name) for object_name in _OBJECT_MODULES}
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_OBJECT_MODULES, *_ALIASES, *_MODULES, "STEP_OBJECTS"})


__all__ = [
    "STEP_OBJECTS",
    "DataReaderSteps",
    "DataWriterSteps",
    "DatabaseSteps",
    "ExceptionSteps",
    "FileSteps",
    "FlowSteps",
    "FlowUtilsSteps",
    "LoggingSteps",
    "QualitySteps",
    "SqlSteps",
    "StringSteps",
    "TransformationSteps",
]
