"""String steps (``StringSteps``), named as in Metalus's ``StringSteps`` plus a few conveniences.

``string_equals`` and ``string_matches`` return booleans for branch steps (rendered
``true``/``false``, as in Metalus).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "None" if value is None else str(value)


def to_string(value: Any) -> str:
    """Return the value as a string (booleans as ``true``/``false``, as Metalus renders them).

    Args:
        value: any value.
    """
    return _text(value)


def list_to_string(list: Sequence[Any], separator: str = "") -> str:  # noqa: A002 - Metalus's parameter name
    """Join a list's items into one string.

    Args:
        list: the items.
        separator: put between items (default: nothing).
    """
    return separator.join(_text(item) for item in list)


def concat(values: Sequence[Any], separator: str = "") -> str:
    """Concatenate values into one string, ``None`` values skipped.

    Args:
        values: the values to join.
        separator: put between values.
    """
    return separator.join(_text(value) for value in values if value is not None)


def format_string(template: str, values: Any = None) -> str:
    """Fill a Python format template: ``{name}`` from a dict, ``{0}``/``{}`` from a list.

    Args:
        template: e.g. ``"{table}_{day}.csv"``.
        values: a dict (named fields) or a list (positional fields).
    """
    if isinstance(values, dict):
        return template.format(**values)
    if values is None:
        return template
    return template.format(*(values if isinstance(values, list | tuple) else [values]))


def to_lower_case(value: str) -> str:
    """Return the string in lowercase.

    Args:
        value: the string.
    """
    return str(value).lower()


def to_upper_case(value: str) -> str:
    """Return the string in uppercase.

    Args:
        value: the string.
    """
    return str(value).upper()


def string_split(string: str, regex: str, limit: int | None = None) -> list[str]:
    """Split a string around matches of a regular expression (Java ``String.split`` semantics).

    Args:
        string: the string to split.
        regex: the separator pattern.
        limit: at most this many parts (without it, trailing empty parts are dropped).
    """
    if limit is not None and limit > 0:
        return re.split(regex, string, maxsplit=limit - 1)
    parts = re.split(regex, string)
    if limit is None or limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def split(string: str, separator: str = ",", strip: bool = False) -> list[str]:
    """Split a string on a literal separator.

    Args:
        string: the string to split.
        separator: the literal separator.
        strip: strip whitespace around each part.
    """
    parts = str(string).split(separator)
    return [part.strip() for part in parts] if strip else parts


def substring(string: str, begin: int, end: int | None = None) -> str:
    """Return the part of a string from ``begin`` up to (not including) ``end``.

    Args:
        string: the string.
        begin: start index.
        end: end index (default: the end of the string).
    """
    return str(string)[begin:end]


def replace(string: str, old: str, new: str = "", regex: bool = False) -> str:
    """Replace every occurrence of ``old`` with ``new``.

    Args:
        string: the string.
        old: the text (or, with ``regex``, the pattern) to replace.
        new: the replacement (with ``regex``, may use ``\\1`` groups); default: remove the matches
            (an empty string value maps to None in Metalus, so this default is what it gives).
        regex: treat ``old`` as a regular expression.
    """
    return re.sub(old, new, string) if regex else str(string).replace(old, new)


def string_equals(string: str, another_string: str, case_insensitive: bool = False) -> bool:
    """Whether two strings are equal (a branch step: ``true``/``false``).

    Args:
        string: the first string.
        another_string: the second string.
        case_insensitive: ignore case.
    """
    if case_insensitive:
        return str(string).casefold() == str(another_string).casefold()
    return bool(string == another_string)


def string_matches(string: str, regex: str) -> bool:
    """Whether the whole string matches a regular expression (a branch step: ``true``/``false``).

    Args:
        string: the string.
        regex: the pattern.
    """
    return re.fullmatch(regex, str(string)) is not None


class StringSteps:
    """String helpers (Metalus's StringSteps and more)."""

    to_string = staticmethod(to_string)
    list_to_string = staticmethod(list_to_string)
    concat = staticmethod(concat)
    format_string = staticmethod(format_string)
    to_lower_case = staticmethod(to_lower_case)
    to_upper_case = staticmethod(to_upper_case)
    string_split = staticmethod(string_split)
    split = staticmethod(split)
    substring = staticmethod(substring)
    replace = staticmethod(replace)
    string_equals = staticmethod(string_equals)
    string_matches = staticmethod(string_matches)
