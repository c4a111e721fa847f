"""The mapping strings the engine evaluates, found statically, and the tokens inside them.

Only what the runner maps is yielded: ``value``/``defaultValue`` of non-``result`` parameters
(not ``script``/``scalascript``; inside lists and maps only strings holding a prefix character,
as the mapper does), script bindings, and ``executeIfEmpty``. A token is one prefixed reference
(``@step.x``, ``!{name}`` -> ``!name``); alternates are followed until the first literal, which
ends the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.mapping.scripts import is_script, parse_script
from metalus_py.mapping.syntax import PREFIXES, TEMPLATE, contains_special, split_alternates, split_indexes
from metalus_py.model.pipeline import Parameter, PipelineStep
from metalus_py.validation.shapes import at

#: ``{identifier}`` not preceded by a prefix character or a backslash: a forgotten ``!``.
_BARE_TEMPLATE = re.compile(r"(?<![!@#$?&%\\{])\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")


@dataclass(frozen=True)
class Evaluated:
    """One string the engine maps: where it is, the text, and the parameter it belongs to."""

    path: str
    text: str
    param: str | None


@dataclass(frozen=True)
class Token:
    """One prefixed reference: ``prefix`` and its dotted ``segments`` (indexes stripped)."""

    prefix: str
    segments: tuple[str, ...]
    text: str
    #: A later alternate (``!a || default``) gives a value when this one maps to nothing.
    fallback: bool = False


class StepStrings:
    """:func:`step_strings` of each step, worked out once per validation (several checks read them)."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, str], tuple[Evaluated, ...]] = {}

    def of(self, step: PipelineStep, path: str) -> tuple[Evaluated, ...]:
        key = (id(step), path)  # the steps outlive this object: it lives for one validation
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = tuple(step_strings(step, path))
        return found


def step_strings(step: PipelineStep, path: str) -> Iterator[Evaluated]:
    """Every mapping string of ``step`` (at ``path``, ``...steps[i]``) the engine evaluates."""
    for index, param in enumerate(step.params):
        if param.type_name == "result" or param.name is None:
            continue
        yield from param_strings(param, at(path, f"params[{index}]"))
    if step.execute_if_empty:
        yield Evaluated(at(path, "executeIfEmpty"), step.execute_if_empty, None)


def param_strings(param: Parameter, path: str) -> Iterator[Evaluated]:
    kind = param.type_name
    if kind in ("script", "scalascript"):
        return
    for field, raw in (("value", param.value), ("defaultValue", param.default_value)):
        if raw is None:
            continue
        where = at(path, field)
        if isinstance(raw, str):
            yield Evaluated(where, raw, param.name)
        elif isinstance(raw, list | Mapping) and not (param.class_name and isinstance(raw, Mapping)
                                                    and raw.get("category") == "step-group"):
            for sub_path, text in _nested(raw, where):
                yield Evaluated(sub_path, text, param.name)


def _nested(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if contains_special(value):
            yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nested(item, f"{path}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _nested(item, at(path, str(key)))


def tokens(text: str) -> list[Token]:
    """The prefixed references ``text`` may evaluate (script bindings included)."""
    return list(_tokens(text))


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[Token, ...]:
    """:func:`tokens`, once per distinct string (applications repeat the same mappings)."""
    if is_script(text):
        try:
            bindings, _ = parse_script(text)
        except PipelineException:
            return ()
        return tuple(t for _, value, _ in bindings for t in _tokens(value))
    found: list[Token] = []
    pieces = [p for p in split_alternates(text) if p]
    for position, piece in enumerate(pieces):
        fallback = position < len(pieces) - 1
        if TEMPLATE.search(piece):
            for match in TEMPLATE.finditer(piece):
                escaped, prefix, body = match.groups()
                if not escaped and body.strip():
                    found.append(_token(prefix, body.strip(), match.group(0), fallback))
            continue
        if piece[0] not in PREFIXES:
            break  # a literal: later alternates are never evaluated
        if len(piece) > 1:
            found.append(_token(piece[0], piece[1:], piece, fallback))
    return tuple(found)


def _token(prefix: str, body: str, text: str, fallback: bool) -> Token:
    segments = tuple(split_indexes(s)[0] for s in body.split("."))
    return Token(prefix, segments, text, fallback)


def literal(text: str) -> tuple[bool, str]:
    """``(True, value)`` when the whole string maps to a literal (no token is evaluated)."""
    if is_script(text):
        return False, text
    pieces = [p for p in split_alternates(text) if p]
    if not pieces:
        return True, text
    first = pieces[0]
    if TEMPLATE.search(first) or first[0] in PREFIXES:
        return False, text
    if first[0] == "\\" and len(first) > 1 and first[1] in PREFIXES:
        return True, first[1:]
    return True, first if "||" in text else text


def bare_templates(text: str) -> list[str]:
    """``{identifier}`` pieces written without a prefix (``{outputPath}/x``)."""
    if is_script(text):
        return []
    return [m.group(0) for m in _BARE_TEMPLATE.finditer(text)]
