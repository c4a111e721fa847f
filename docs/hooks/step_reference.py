"""MkDocs hook: the step library reference, generated from the step catalogue at build time.

``guide/steps-reference.md`` holds the marker ``<!-- step-catalogue -->``; this hook replaces it
with every step of ``steps_library`` (the same catalogue ``metalus steps --json`` prints): the
``engineMeta.command``, the summary and description, and every parameter under its camelCase
JSON name with type, required/default and its description from the docstring's ``Args:``.
Because it is rendered from the code on every build, it cannot go stale.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections import OrderedDict
from typing import Any

MARKER = "<!-- step-catalogue -->"
PAGE = "guide/steps-reference.md"
_SHORT_TYPES = (("polars.dataframe.frame.", "polars."), ("polars.lazyframe.frame.", "polars."),
                ("pyarrow.lib.", "pyarrow."), ("metalus_py.steps.response.", ""))
_SECTIONS = ("Args:", "Arguments:", "Returns:", "Raises:", "Example:", "Examples:", "Yields:", "Note:")


def camel(name: str) -> str:
    """The JSON (camelCase) name of a Python parameter: ``data_frame`` → ``dataFrame``."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _short(type_name: str) -> str:
    """A type name without internal module paths (``polars.dataframe.frame.DataFrame`` → ``polars.DataFrame``)."""
    for long, short in _SHORT_TYPES:
        type_name = type_name.replace(long, short)
    return type_name


def _markdown(text: str) -> str:
    """reStructuredText literals (````x````) as Markdown code spans; table-safe."""
    text = _short(re.sub(r"``(.+?)``", r"`\1`", text))
    # A "|" inside a code span stays as it is (Python-Markdown's tables respect code spans).
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts)).strip()


def _split_docstring(doc: str) -> tuple[str, dict[str, str], str]:
    """The free text (after the summary line), the ``Args:`` descriptions and the ``Returns:`` text."""
    lines = doc.splitlines()[1:]
    prose: list[str] = []
    args: dict[str, str] = OrderedDict()
    returns: list[str] = []
    section = ""
    current = ""
    for line in lines:
        stripped = line.strip()
        if stripped in _SECTIONS:
            section = stripped
            continue
        if section in ("Args:", "Arguments:"):
            match = re.match(r"^\s{2,8}(\*{0,2}\w+)(?:\s*\(.*?\))?:\s*(.*)$", line)
            if match and not line.startswith(" " * 9):
                current = match.group(1).lstrip("*")
                args[current] = match.group(2).strip()
            elif stripped and current:
                args[current] = (args[current] + " " + stripped).strip()
        elif section == "Returns:":
            if stripped:
                returns.append(stripped)
        elif not section:
            prose.append(line)
    return "\n".join(prose).strip(), dict(args), " ".join(returns)


def _default(value: Any) -> str:
    """A default as the JSON a file would give (``null``, ``false``, ``"inner"``), else its Python repr."""
    try:
        return f"`{json.dumps(value)}`"
    except (TypeError, ValueError):
        return f"`{value!r}`"


def _aliases(package: str) -> dict[str, str]:
    """Step objects that are another object under a second name (``FlowUtilsSteps`` = ``FlowSteps``)."""
    module = importlib.import_module(package)
    return {name: value.__name__ for name, value in vars(module).items()
            if inspect.isclass(value) and not name.startswith("_") and value.__name__ != name}


def render_catalogue(packages: list[str]) -> str:
    """Markdown for every step of ``packages``, grouped by step object."""
    from metalus_py.steps.catalogue import catalogue  # noqa: PLC0415 - the engine is imported only when building

    entries = catalogue(packages)
    out: list[str] = []
    for package in packages:
        aliases = _aliases(package)
        module = importlib.import_module(package)
        owners: OrderedDict[str, list[Any]] = OrderedDict()
        for entry in entries:
            if entry.package == package:
                owners.setdefault(entry.owner, []).append(entry)
        out.append(f"Package `{package}`: {len(owners)} step objects.\n")
        for owner, owned in owners.items():
            out.append(f"## {owner}\n")
            if owner in aliases:
                target = aliases[owner]
                commands = ", ".join(f"`{e.command}`" for e in owned)
                out.append(f"Another name for [{target}](#{target.lower()}) (as Metalus calls it): {commands}.\n")
                continue
            owner_doc = inspect.getdoc(getattr(module, owner, None)) or ""
            if owner_doc:
                out.append(_markdown(owner_doc.splitlines()[0]) + "\n")
            for entry in sorted(owned, key=lambda e: e.command):
                out.append(_render_step(entry))
    return "\n".join(out)


def _render_step(entry: Any) -> str:
    prose, args, returns = _split_docstring(entry.description)
    parts = [f"### {entry.command}\n", f"{_markdown(entry.summary)}\n"]
    if prose:
        parts.append(re.sub(r"``(.+?)``", r"`\1`", prose) + "\n")
    parts.append(f'`"engineMeta": {{"command": "{entry.command}"}}` · returns `{_short(entry.returns)}`\n')
    if entry.branch_results:
        answers = ", ".join(f"`{answer}`" for answer in entry.branch_results)
        parts.append(f"Use as a `branch` step; its `result` parameters: {answers}.\n")
    if entry.parameters:
        parts.append("| parameter | type | required / default | description |")
        parts.append("| --- | --- | --- | --- |")
        for parameter in entry.parameters:
            need = "required" if parameter.required else _default(parameter.default)
            described = _markdown(args.get(parameter.name, args.get(parameter.name.rstrip("_"), "")))
            parts.append(f"| `{camel(parameter.name)}` | `{_short(parameter.type)}` | {need} | {described} |")
        parts.append("")
    else:
        parts.append("No parameters.\n")
    if returns:
        parts.append(f"Returns: {_markdown(returns)}\n")
    return "\n".join(parts) + "\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """MkDocs event: fill the reference page."""
    if page.file.src_uri == PAGE and MARKER in markdown:
        return markdown.replace(MARKER, render_catalogue(["steps_library"]))
    return markdown
