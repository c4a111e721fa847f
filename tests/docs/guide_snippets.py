"""Reading the user guide's checked snippets: fenced blocks and mapping tables with their markers.

A snippet is a fenced code block directly preceded by a marker comment, invisible in the built
site::

    <!-- check: app path=hello.json status=COMPLETE -->
    ```json title="hello.json"
    {...}
    ```

Kinds (``check: KIND key=value ...``; values may be double-quoted):

- ``file path=P`` — the block is written to ``P`` in the page's working folder.
- ``app path=P [status=S] [args="..."] [exit=N]`` — written to ``P``, validated and run with
  ``metalus run`` (plus ``args``); the run's status (default ``COMPLETE``) is checked.
- ``invalid path=P contains="..."`` — written to ``P``; ``metalus validate`` exits 2 and its
  output contains each ``|``-separated text.
- ``partial kind=step|params|globals|execution [base=P]`` — a deliberately partial snippet
  (its title says so): wrapped into a whole application and validated.
- ``result of=P`` (or ``file=F``) — a JSON excerpt that the result document of the ``app`` run
  ``P`` (or the JSON file ``F`` a shell block wrote) contains.
- ``python`` — run as a script in the page's folder (its ``assert`` statements are the check).
- ``shell`` — each ``$ command`` line runs in one bash session in the page's folder; a trailing
  ``# exit N`` is the expected exit code (default 0).
- ``mapping app=P probe=EXEC.PIPELINE`` — precedes a table whose rows are mapping strings and
  their results (see ``tests/docs/mapping_probe.py``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_MAINTAINERS_PAGES = {"DESIGN-NOTES.md", "ARCHITECTURE.md"}
_MARKER = re.compile(r"^<!--\s*check:\s*(?P<body>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>.*)$")


@dataclass
class Snippet:
    """One checked block of a page (or a mapping table)."""

    page: Path
    line: int
    kind: str
    options: dict[str, str]
    language: str
    text: str
    rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass
class Fence:
    """Any fenced block of a page, checked or not."""

    line: int
    language: str
    checked: bool


def guide_pages() -> list[Path]:
    """Every Markdown page of the guide (the design notes and the architecture are the maintainers' prose)."""
    return sorted(p for p in DOCS.rglob("*.md") if p.name not in _MAINTAINERS_PAGES)


def _options(body: str) -> tuple[str, dict[str, str]]:
    words = shlex.split(body)
    kind, rest = words[0], words[1:]
    options = {}
    for word in rest:
        key, _, value = word.partition("=")
        options[key] = value
    return kind, options


def parse_page(page: Path) -> tuple[list[Snippet], list[Fence]]:
    """The checked snippets of a page in order, and every fence (to find unchecked ones)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    snippets: list[Snippet] = []
    fences: list[Fence] = []
    pending: tuple[int, str, dict[str, str]] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _MARKER.match(line.strip())
        if marker:
            kind, options = _options(marker.group("body"))
            pending = (i + 1, kind, options)
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            ticks, indent = fence.group("ticks"), fence.group("indent")
            language = fence.group("info").strip().split(" ", 1)[0].split("{", 1)[0]
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip() != ticks:
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            fences.append(Fence(i, language, pending is not None))
            if pending is not None:
                snippets.append(Snippet(page, pending[0], pending[1], pending[2], language, "\n".join(body) + "\n"))
                pending = None
            i += 1
            continue
        if pending is not None and line.lstrip().startswith("|"):
            table: list[str] = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                table.append(lines[i])
                i += 1
            header = split_row(table[0])
            rows = [split_row(row) for row in table[2:]]
            snippets.append(Snippet(page, pending[0], pending[1], pending[2], "table", "", rows, header))
            pending = None
            continue
        if pending is not None and line.strip():
            raise ValueError(f"{page}:{pending[0]}: a check marker must be followed by a fence or a table")
        i += 1
    return snippets, fences


def split_row(row: str) -> list[str]:
    """The cells of a Markdown table row; a ``|`` inside a code span or escaped as ``\\|`` stays in its cell."""
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    text = row.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    j = 0
    while j < len(text):
        char = text[j]
        if char == "\\" and j + 1 < len(text) and text[j + 1] == "|":
            current.append("|")
            j += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        j += 1
    cells.append("".join(current).strip())
    return cells


def code_span(cell: str) -> str | None:
    """The text of a cell that is one code span (```` `` `x` `` ```` or `` `x` ``), else ``None``."""
    match = re.fullmatch(r"(`+)\s?(.*?)\s?\1", cell.strip())
    return match.group(2) if match else None
