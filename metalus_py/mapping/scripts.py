"""Scripts in ``result`` parameters: ``(name:value[:type], ...) python-expression``.

The binding syntax and its errors are Metalus's; the script itself is a Python expression
evaluated by the restricted evaluator (:mod:`metalus_py.mapping.safe_eval`) with the bindings
(and ``logger``) as names. Binding values are mapping strings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.mapping.safe_eval import UnsafeScriptError, check_expression, safe_eval

_LOGGER = logging.getLogger("metalus_py.script")


def is_script(text: str) -> bool:
    return text.strip().startswith("(")


def parse_script(text: str) -> tuple[list[tuple[str, str, str | None]], str]:
    """Split ``(bindings) body`` into ``[(name, value, type)]`` and the body.

    Raises:
        PipelineException: the Metalus binding errors (malformed bindings, empty script, bad binding).
    """
    stripped = text.strip()
    end = stripped.find(")")
    if end == -1:
        raise PipelineException("Unable to execute script: Malformed bindings. Expected enclosing character: [)].")
    bindings_text, body = stripped[1:end], stripped[end + 1 :].strip()
    if not body:
        raise PipelineException("Unable to execute script: script is empty. Ensure bindings are properly enclosed.")
    bindings: list[tuple[str, str, str | None]] = []
    for binding in _split_outside_brackets(bindings_text):
        if not binding.strip():
            continue
        parts = [_unescape(p).strip() for p in _split_colons(binding)]
        if len(parts) < 2:
            raise PipelineException(
                f"Unable to execute script: Illegal binding format: [{binding.strip()}]. "
                "Expected format: <name>:<value>:<type>"
            )
        bindings.append((parts[0], parts[1], parts[2] if len(parts) > 2 else None))
    return bindings, body


def run_script(text: str, resolve: Callable[[str], Any]) -> Any:
    """Evaluate a script with the restricted evaluator; ``resolve`` maps each binding's value string.

    Raises:
        PipelineException: the bindings are malformed, or the script uses something not allowed.
    """
    bindings, body = parse_script(text)
    try:
        check_expression(body, [name for name, _, _ in bindings] + ["logger"])
    except UnsafeScriptError as exc:
        raise PipelineException(f"Unable to execute script: {exc}") from exc
    names: dict[str, Any] = {"logger": _LOGGER}
    for name, value, _type in bindings:
        names[name] = resolve(value)
    try:
        return safe_eval(body, names)
    except UnsafeScriptError as exc:
        raise PipelineException(f"Unable to execute script: {exc}") from exc


def _split_outside_brackets(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _split_colons(binding: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(binding):
        ch = binding[i]
        if ch == "\\" and i + 1 < len(binding):
            current.append(binding[i : i + 2])
            i += 2
            continue
        if ch == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return text.replace("\\:", ":").replace("\\\\", "\\")
