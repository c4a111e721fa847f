"""Fuzzing the loader, validation and the mapping language (issue 9): whatever the input, the command
line answers 0, 1 or 2 and never a traceback, and the mapping language raises only our own errors."""

from __future__ import annotations

import copy
import io
import json
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metalus_py.base.exceptions import MetalusError
from metalus_py.cli.main import main
from metalus_py.mapping import map_value
from metalus_py.model.loader import parse_json
from tests.mapping.test_metalus_cases import make_context

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)

BASE: dict[str, Any] = {
    "id": "fuzz",
    "stepPackages": ["steps_library"],
    "globals": {"greeting": "hello", "n": 2, "nested": {"list": [1, "two", None]}},
    "pipelines": [{"id": "P", "name": "P", "steps": [
        {"id": "UP", "type": "Pipeline", "engineMeta": {"command": "StringSteps.toUpperCase"},
         "params": [{"name": "value", "type": "text", "value": "!greeting"}], "nextStepId": "LOW"},
        {"id": "LOW", "type": "Pipeline", "engineMeta": {"command": "StringSteps.toLowerCase"},
         "params": [{"name": "value", "type": "text", "value": "@UP"}]},
    ]}],
    "executions": [{"id": "E", "pipelineIds": ["P"]}, {"id": "F", "pipelineIds": ["P"], "parents": ["E"]}],
}

MAPPING_CHARS = "!@#$%&?{}[]().|\\ ,:-_aZ09\"'"
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                      st.text(alphabet=MAPPING_CHARS, max_size=20), st.sampled_from(
                          ["!greeting", "@UP", "$P.UP", "#UP.x", "%cred", "&P", "!{n}", "LastStepId", "Pipeline",
                           "branch", "fork", "join", "step-group", "script", "result", "E", "P", "UP", "LOW"]))
json_value = st.recursive(json_leaf, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)), max_leaves=20)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated_applications(draw: st.DrawFn) -> Any:
    document: Any = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        replacement = draw(json_value)
        if not path:
            document = replacement
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete"]))
        if action == "delete" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif action == "delete" and isinstance(parent, list):
            parent.pop(path[-1])
        else:
            parent[path[-1]] = replacement
    return document


def _cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.builds(json.dumps, json_value)))
def test_loader_accepts_anything_or_says_why(text: str) -> None:
    with suppress(MetalusError):
        parse_json(text, "fuzz.json")


@FUZZ
@given(document=mutated_applications())
def test_validate_answers_0_or_2_never_a_traceback(tmp_path_factory: Any, document: Any) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    path = folder / "app.json"
    path.write_text(json.dumps(document))
    code, stderr = _cli("validate", str(path))
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(document=mutated_applications())
def test_run_answers_0_1_or_2_never_a_traceback(tmp_path_factory: Any, document: Any) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzzrun")
    path = folder / "app.json"
    path.write_text(json.dumps(document))
    code, stderr = _cli("run", str(path), "--state", "none", "--quiet", "--maxStepVisits", "50")
    assert code in (0, 1, 2), stderr
    assert "Traceback (most recent call last)" not in stderr, stderr


@FUZZ
@given(raw=json_value, type_name=st.sampled_from(["text", "string", "integer", "boolean", "list", "object",
                                                  "result", "double", "bigInt"]))
def test_mapping_language_raises_only_our_errors(raw: Any, type_name: str) -> None:
    ctx = make_context()
    with suppress(MetalusError):
        map_value(raw, ctx, type_name=type_name)
