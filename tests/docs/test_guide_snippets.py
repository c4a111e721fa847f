"""The user guide cannot rot: every JSON and Python block of ``docs/`` is run or validated here.

Each page runs in its own working folder, its snippets in order (a page's files are there for
its later snippets). See ``guide_snippets.py`` for the marker kinds.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.docs.guide_snippets import ROOT, Snippet, code_span, guide_pages, parse_page

PAGES = guide_pages()
_BIN = str(Path(sys.executable).parent)
_STUB_COMMAND = "StringSteps.toString"


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METALUS_") or k.startswith("METALUS_TEST")}
    env["PATH"] = _BIN + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join([str(work), str(ROOT)])
    env["NO_COLOR"] = "1"
    return env


def _metalus(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *args], cwd=work, env=_env(work),
                          capture_output=True, text=True, timeout=300)


def test_every_json_and_python_block_is_checked() -> None:
    unchecked = []
    for page in PAGES:
        _, fences = parse_page(page)
        unchecked += [f"{page.relative_to(ROOT)}:{f.line} ({f.language})" for f in fences
                      if f.language in ("json", "python", "py") and not f.checked]
    assert not unchecked, f"blocks without a check marker: {unchecked}"


def test_the_guide_has_checked_snippets() -> None:
    kinds = {s.kind for page in PAGES for s in parse_page(page)[0]}
    assert {"app", "python", "mapping", "shell", "result", "partial", "invalid"} <= kinds


class PageRun:
    """The working folder of one page and the result documents of its runs."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.results: dict[str, dict[str, Any]] = {}
        self.tables: list[tuple[Snippet, dict[str, Any]]] = []

    def write(self, snippet: Snippet) -> Path:
        path = self.work / snippet.options["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snippet.text, encoding="utf-8")
        return path

    def check(self, snippet: Snippet) -> None:
        getattr(self, "_" + snippet.kind.replace("-", "_"))(snippet)

    def _file(self, snippet: Snippet) -> None:
        path = self.write(snippet)
        if path.suffix == ".py":
            compile(snippet.text, str(path), "exec")
        if path.suffix == ".json":
            json.loads(snippet.text)

    def _app(self, snippet: Snippet) -> None:
        path = self.write(snippet)
        json.loads(snippet.text)
        args = snippet.options.get("args", "").split()
        out = self.work / f".result-{path.stem}.json"
        ran = _metalus(self.work, "run", str(path.name), *args, "--output-json", str(out), "--state", "none",
                       "--quiet")
        expected_exit = int(snippet.options.get("exit", "0"))
        assert ran.returncode == expected_exit, f"{snippet.where}: exit {ran.returncode}\n{ran.stdout}{ran.stderr}"
        document = json.loads(out.read_text())
        assert document["status"] == snippet.options.get("status", "COMPLETE"), f"{snippet.where}: {document}"
        self.results[snippet.options["path"]] = document

    def _invalid(self, snippet: Snippet) -> None:
        path = self.write(snippet)
        checked = _metalus(self.work, "validate", path.name)
        output = checked.stdout + checked.stderr
        assert checked.returncode == 2, f"{snippet.where}: expected exit 2, got {checked.returncode}\n{output}"
        for text in snippet.options["contains"].split("|"):
            assert text in output, f"{snippet.where}: {text!r} not in\n{output}"

    def _partial(self, snippet: Snippet) -> None:
        value = json.loads(snippet.text)
        document = _wrap(snippet.options["kind"], value, self._base(snippet))
        path = self.work / f".partial-{snippet.line}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        checked = _metalus(self.work, "validate", path.name)
        assert checked.returncode == 0, (f"{snippet.where}: the wrapped snippet does not validate\n"
                                         f"{json.dumps(document, indent=1)}\n{checked.stdout}{checked.stderr}")

    def _base(self, snippet: Snippet) -> dict[str, Any] | None:
        base = snippet.options.get("base")
        return json.loads((self.work / base).read_text()) if base else None

    def _result(self, snippet: Snippet) -> None:
        if "file" in snippet.options:
            document = json.loads((self.work / snippet.options["file"]).read_text())
        else:
            document = self.results[snippet.options["of"]]
        _assert_contains(document, json.loads(snippet.text), snippet.where)

    def _python(self, snippet: Snippet) -> None:
        script = self.work / f".snippet-{snippet.line}.py"
        script.write_text(snippet.text, encoding="utf-8")
        ran = subprocess.run([sys.executable, script.name], cwd=self.work, env=_env(self.work),
                             capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, f"{snippet.where}: the Python block failed\n{ran.stdout}{ran.stderr}"

    def _shell(self, snippet: Snippet) -> None:
        lines = []
        for number, line in enumerate(snippet.text.splitlines()):
            if not line.startswith("$ "):
                continue
            command, _, expect = line[2:].partition("# exit ")
            code = int(expect.strip() or 0)
            lines.append(f'{command.strip()}\nrc=$?; if [ $rc -ne {code} ]; then echo "line {number + 1}: '
                         f'exit $rc, expected {code}" >&2; exit 99; fi')
        ran = subprocess.run(["bash", "-c", "\n".join(lines)], cwd=self.work, env=_env(self.work),
                             capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, f"{snippet.where}: shell block failed\n{ran.stdout}{ran.stderr}"

    def _mapping(self, snippet: Snippet) -> None:
        """Collected, then evaluated together by :meth:`finish` (one process for the page's tables)."""
        header = [h.lower() for h in snippet.header]
        rows = []
        for row in snippet.rows:
            cells = dict(zip(header, row, strict=False))
            result_text = code_span(cells["result"])
            assert result_text is not None, f"{snippet.where}: row {row}"
            entry: dict[str, Any] = {"type": code_span(cells["type"]) if cells.get("type") else None,
                                     "expected": result_text, "row": row}
            for column, key in (("value", "value"), ("defaultvalue", "defaultValue")):
                text = code_span(cells.get(column, ""))
                if text is not None and cells.get(column):
                    entry[key] = json.loads(text)
            rows.append(entry)
        request = {"app": snippet.options["app"], "probe": snippet.options["probe"], "step": snippet.options["step"],
                   "rows": rows, "globals": json.loads(snippet.options.get("globals", "{}"))}
        self.tables.append((snippet, request))

    def finish(self) -> None:
        """Evaluate the page's mapping tables; each row's result must match the guide's."""
        if not self.tables:
            return
        env = _env(self.work)
        for snippet, _ in self.tables:
            env.update(dict(pair.split("=", 1) for pair in snippet.options.get("env", "").split()))
        ran = subprocess.run([sys.executable, str(Path(__file__).with_name("mapping_probe.py"))],
                             input=json.dumps([request for _, request in self.tables]), cwd=self.work, env=env,
                             capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, ran.stderr
        problems = []
        for (snippet, request), answers in zip(self.tables, json.loads(ran.stdout), strict=True):
            for row, answer in zip(request["rows"], answers, strict=True):
                expected = _expected(row["expected"])
                if answer["status"] != "COMPLETE" or not _matches(answer["result"], expected):
                    problems.append(f"{snippet.where}: {row['row'][0]}: expected {row['expected']}, got {answer}")
        assert not problems, "\n".join(problems)


def _expected(text: str) -> Any:
    return json.loads(text)


def _matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _matches(actual[k], v) for k, v in expected.items())
    return bool(actual == expected)


def _assert_contains(document: Any, excerpt: Any, where: str, path: str = "") -> None:
    if isinstance(excerpt, dict):
        assert isinstance(document, dict), f"{where}: {path} is not an object: {document!r}"
        for key, value in excerpt.items():
            assert key in document, f"{where}: {path}.{key} missing (have {sorted(document)})"
            _assert_contains(document[key], value, where, f"{path}.{key}")
    else:
        assert document == excerpt, f"{where}: {path} is {document!r}, the guide says {excerpt!r}"


_REFERENCE = re.compile(r"[@#]([A-Za-z_][\w-]*)")


def _stub(step_id: str) -> dict[str, Any]:
    return {"id": step_id, "type": "Pipeline", "engineMeta": {"command": _STUB_COMMAND},
            "params": [{"name": "value", "type": "text", "value": "stub"}]}


def _wrap(kind: str, value: Any, base: dict[str, Any] | None) -> dict[str, Any]:
    """A whole application around a partial snippet."""
    document: dict[str, Any] = copy.deepcopy(base) if base else {
        "id": "wrapped", "stepPackages": ["steps_library"], "globals": {},
        "executions": [{"id": "MAIN", "pipelines": [{"id": "main", "steps": [_stub("START")]}]}]}
    if kind == "globals":
        document["globals"] = {**document.get("globals", {}), **value}
    elif kind == "execution":
        document["executions"] = [e for e in document["executions"] if e["id"] != value["id"]] + [value]
    elif kind in ("step", "params"):
        step = value if kind == "step" else {"id": "STEP", "type": "Pipeline", "params": value,
                                             "engineMeta": {"command": _STUB_COMMAND}}
        text = json.dumps(step)
        wanted = {step.get("nextStepId"), step.get("nextStepOnError")} | set(_REFERENCE.findall(text))
        wanted |= {p.get("value") for p in step.get("params", []) if p.get("type") == "result"}
        wanted -= {None, step["id"], "LastStepId"}
        steps = [step] + [_stub(str(ref)) for ref in sorted(wanted)]
        document["executions"][0]["pipelines"] = [{"id": "main", "steps": steps}]
    else:
        raise ValueError(f"unknown partial kind {kind}")
    return document


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "docs")) for p in PAGES])
def test_guide_page_snippets_run(page: Path, tmp_path: Path) -> None:
    snippets, _ = parse_page(page)
    run = PageRun(tmp_path)
    for snippet in snippets:
        run.check(snippet)
    run.finish()
