"""The guide's snippet reader: markers, fences and tables are read as the guide writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.guide_snippets import code_span, parse_page, split_row


def test_a_pipe_inside_a_code_span_stays_in_its_cell() -> None:
    assert split_row('| `"!a || !b"` | `"x"` | note |') == ['`"!a || !b"`', '`"x"`', "note"]
    assert code_span('`"!a || !b"`') == '"!a || !b"'
    assert code_span("plain") is None


def test_markers_attach_to_the_next_fence_or_table(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- check: app path=a.json status=FAILED -->\n```json title=\"a.json\"\n{}\n```\n\n"
        "```python\nprint('unchecked')\n```\n\n"
        "<!-- check: mapping app=a.json probe=E.P step=m.echo globals='{\"x\": 1}' -->\n"
        "| value | result |\n| --- | --- |\n| `\"!x\"` | `1` |\n",
        encoding="utf-8",
    )
    snippets, fences = parse_page(page)
    assert [(s.kind, s.options.get("path")) for s in snippets] == [("app", "a.json"), ("mapping", None)]
    assert snippets[0].options["status"] == "FAILED" and snippets[0].text == "{}\n"
    assert snippets[1].options["globals"] == '{"x": 1}' and snippets[1].rows == [['`"!x"`', "`1`"]]
    assert [(f.language, f.checked) for f in fences] == [("json", True), ("python", False)]


def test_a_marker_followed_by_prose_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- check: python -->\nsome text\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must be followed by a fence or a table"):
        parse_page(page)
