"""The generated step library reference lists every step and every parameter of the catalogue."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

from metalus_py.steps.catalogue import catalogue
from tests.docs.guide_snippets import DOCS


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("step_reference", DOCS / "hooks" / "step_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(markdown: str) -> dict[str, str]:
    """Step heading -> its text, from the rendered Markdown."""
    parts = re.split(r"^### (\S+)\n", markdown, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_step_and_parameter_is_in_the_reference() -> None:
    hook = _hook()
    markdown = hook.render_catalogue(["steps_library"])
    sections = _sections(markdown)
    entries = catalogue(["steps_library"])
    aliases = hook._aliases("steps_library")
    missing = []
    for entry in entries:
        if entry.owner in aliases:
            assert f"`{entry.command}`" in markdown, entry.command
            continue
        section = sections.get(entry.command)
        if section is None:
            missing.append(entry.command)
            continue
        assert f'"command": "{entry.command}"' in section
        for parameter in entry.parameters:
            row = re.search(rf"^\| `{re.escape(hook.camel(parameter.name))}` \|(.*)$", section, flags=re.M)
            assert row, f"{entry.command}: parameter {parameter.name} missing"
            assert ("required" in row.group(1)) == parameter.required, (entry.command, parameter.name)
    assert not missing, missing
    assert len(sections) >= 80


def test_parameter_descriptions_come_from_the_docstrings() -> None:
    sections = _sections(_hook().render_catalogue(["steps_library"]))
    read_csv = sections["DataReaderSteps.readCsv"]
    assert "| `skipRows` | `int` | `0` | lines to skip before the header. |" in read_csv
    assert "| `path` | `str` | required |" in read_csv
    assert "`equal`, `not_equal`" in sections["FlowSteps.compare"]


def test_json_names_are_camel_case() -> None:
    camel = _hook().camel
    assert [camel(n) for n in ("data_frame", "path", "global_", "storage_options")] == [
        "dataFrame", "path", "global", "storageOptions"]


def test_the_reference_page_has_the_marker_the_hook_fills() -> None:
    hook = _hook()
    assert hook.MARKER in (DOCS / hook.PAGE).read_text(encoding="utf-8")
