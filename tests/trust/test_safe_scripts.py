"""Scripts are evaluated by the restricted evaluator (DESIGN §14; issue 9, finding 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metalus_py.base.exceptions import PipelineException
from metalus_py.mapping.safe_eval import UnsafeScriptError, check_expression, safe_eval
from metalus_py.mapping.scripts import run_script


@pytest.mark.parametrize("body", [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('1')",
    "getattr(x, 'upper')()",
    "globals()",
    "'{0.__class__}'.format(x)",
    "'{a}'.format_map({'a': x})",
    "x()",
    "(lambda: 1)()",
    "_x",
    "[y for _y in x]",
    "type(x)",
    "compile('1', 'f', 'eval')",
    "import os",
    "x := 1",
    "range(10**9)",
])
def test_unsafe_expressions_are_refused(body: str) -> None:
    with pytest.raises(UnsafeScriptError):
        safe_eval(body, {"x": "value"})


@pytest.mark.parametrize(("body", "expected"), [
    ("s.lower()[1:]", "abc"),
    ("[v for v in items if v is not None]", [1, 2]),
    ("any(d['k'] == 1 for d in dicts)", True),
    ("sorted(items2, key=lambda v: -v)", [3, 2, 1]),
    ("len(s) if s else 0", 4),
    ("f'{s}-{len(items)}'", "XAbc-3"),
    ("{'a': s.upper(), 'n': sum(items2)}", {"a": "XABC", "n": 6}),
    ("max(items2) > 2 and 'big' or 'small'", "big"),
])
def test_ordinary_scripts_still_work(body: str, expected: object) -> None:
    names = {"s": "XAbc", "items": [1, None, 2], "dicts": [{"k": 1}], "items2": [1, 3, 2]}
    assert safe_eval(body, names) == expected


def test_a_binding_may_not_shadow_a_safe_function_to_be_called() -> None:
    with pytest.raises(UnsafeScriptError):
        check_expression("len(x)", ["len", "x"])


def test_run_script_reports_an_unsafe_script_as_a_pipeline_error(tmp_path: Path) -> None:
    flag = tmp_path / "pwned"
    with pytest.raises(PipelineException, match="not allowed"):
        run_script(f"(x:1) __import__('os').system('touch {flag}')", lambda text: text)
    assert not flag.exists()


def test_validate_reports_an_unsafe_script_at_its_json_path(tmp_path: Path) -> None:
    from metalus_py.api import validate_application

    flag = tmp_path / "pwned"
    app = {
        "id": "evil", "stepPackages": ["steps_library"],
        "pipelines": [{"id": "P", "name": "P", "steps": [
            {"id": "B", "type": "branch", "engineMeta": {"command": "StringSteps.toUpperCase"},
             "params": [{"name": "value", "type": "text", "value": "x"},
                        {"name": "X", "type": "result",
                         "value": f"(v:x) __import__('os').system('touch {flag}')"}]}]}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }
    report = validate_application(app)
    assert not report.ok
    text = report.format()
    assert "pipelines[0].steps[0].params[1].value" in text and "not allowed" in text, text
    assert not flag.exists()
