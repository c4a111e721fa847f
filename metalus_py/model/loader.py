"""Reading application and pipeline files (local paths directly, URLs through fsspec), and
command-line ``--name value`` pairs."""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

from metalus_py.base.cli_pairs import parse_cli_pairs as parse_cli_pairs  # re-exported: its old home
from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.local_files import file_exists, open_text
from metalus_py.model.pipeline import Pipeline

#: Command-line parameters that never become globals (Metalus ``cleanParams``).
NON_GLOBAL_PARAMETERS = frozenset(
    {"applicationId", "applicationJson", "applicationConfigPath", "applicationConfigurationLoader",
     "enableHiveSupport", "dfs-cluster"}
)


#: The deepest nesting of objects and lists an application file may have (validate and run alike).
MAX_JSON_DEPTH = 100


class JsonSyntaxError(ApplicationError):
    """A file is not valid JSON; ``line`` and ``column`` say where."""

    def __init__(self, message: str, *, source: str, line: int, column: int) -> None:
        super().__init__(message, source=source, line=line, column=column)
        self.source, self.line, self.column = source, line, column


def read_text(location: str) -> str:
    """The text of a local path or any fsspec URL (``file://``, ``memory://``, ``s3://`` ...).

    Raises:
        ApplicationError: the file does not exist or cannot be read.
    """
    try:
        with open_text(location) as handle:  # fsspec (and its asyncio) is imported only for URLs
            return str(handle.read())
    except FileNotFoundError as exc:
        raise ApplicationError(f"{location}: file not found") from exc
    except ImportError as exc:  # e.g. s3:// without s3fs installed
        raise ApplicationError(f"{location}: cannot be read: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ApplicationError(f"{location}: cannot be read ({exc})") from exc


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text, reporting syntax errors with line and column."""
    if not text.strip():
        raise JsonSyntaxError(f"{source}: the file is empty (expected a JSON object)", source=source, line=1, column=1)
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise JsonSyntaxError(
            f"{source}: the JSON is nested too deeply to read (at most {MAX_JSON_DEPTH} levels)",
            source=source, line=1, column=1,
        ) from exc
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            source=source, line=exc.lineno, column=exc.colno,
        ) from exc
    too_deep = nesting_beyond_limit(document)
    if too_deep is not None:
        raise ApplicationError(f"{source}: {too_deep}")
    return document


def nesting_beyond_limit(document: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``document`` is nested deeper than ``limit`` objects and lists (``None``: it is not).

    Iterative, so any depth is measured without recursion; the message names the JSON path
    where the limit is passed.
    """
    if not _deeper_than(document, limit):  # the common case, without building any path
        return None
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            children = [(v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        else:
            continue
        if depth > limit:
            shown = path if len(path) <= 200 else f"{path[:200]}..."
            return (f"{shown or 'the document'} is nested more than {limit} levels deep "
                    f"(objects and lists); at most {limit} levels are accepted")
        stack.extend(children)
    return None


def _deeper_than(document: Any, limit: int) -> bool:
    """True when some object or list of ``document`` sits more than ``limit`` levels deep."""
    if not isinstance(document, dict | list):
        return False
    return _nests_beyond(document, limit - 1)


def _nests_beyond(value: dict[str, Any] | list[Any], levels_left: int) -> bool:
    # Recursive on purpose: at most ``limit`` frames deep, and several times faster than a stack.
    children = value.values() if isinstance(value, dict) else value
    for child in children:
        if isinstance(child, dict | list) and (levels_left <= 0 or _nests_beyond(child, levels_left - 1)):
            return True
    return False


def unwrap_application(document: Any) -> Any:
    """Accept the REST-style ``{"application": {...}}`` wrapper Metalus accepts."""
    if isinstance(document, dict) and set(document) == {"application"} and isinstance(document["application"], dict):
        return document["application"]
    return document


def load_pipeline_file(directory: str, pipeline_id: str) -> Pipeline | None:
    """``<directory>/<pipeline_id>.json`` as a pipeline (an object, or an array whose first item is used)."""
    location = f"{directory.rstrip('/')}/{pipeline_id}.json"
    if not file_exists(location):
        return None
    try:
        text = read_text(location)
    except (ApplicationError, OSError, ValueError):
        return None
    if not text.strip():
        return None
    document = parse_json(text, location)
    if isinstance(document, list):
        document = document[0] if document else None
    if not isinstance(document, dict):
        return None
    pipeline = Pipeline.model_validate(document)
    pipeline.locate(location)
    return pipeline


def base_directory(location: str) -> str:
    """The folder holding ``location`` (a path or URL)."""
    if "://" in location:
        return location.rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(location))


def pipeline_directories(source: str, step_packages: list[str]) -> list[str]:
    """Where ``<id>.json`` pipeline files are looked for: ``pipelines/`` beside the file, then each
    step package's ``metadata/pipelines/``."""
    directories = [f"{base_directory(source)}/pipelines"] if source else []
    for package in step_packages:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                directories.append(os.path.join(location, "metadata", "pipelines"))
    return directories
