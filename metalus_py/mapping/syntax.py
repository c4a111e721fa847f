"""The lexical rules of mapping strings: prefixes, alternates, embedded templates, escapes."""

from __future__ import annotations

import re

#: ``!`` global, ``@`` primary return, ``#`` named returns, ``$`` parameter, ``?`` recursive
#: parameter, ``&`` pipeline from the pipeline manager, ``%`` credential.
PREFIXES = "!@#$?&%"

#: ``${...}`` and friends; an optional backslash before escapes it.
TEMPLATE = re.compile(r"(\\?)([!@#$?&%])\{([^}]*)\}")

_INDEXED = re.compile(r"^(.*?)((?:\[\d+\])+)$")
_INDEX = re.compile(r"\[(\d+)\]")


def split_alternates(text: str) -> list[str]:
    """``a || b || literal`` -> ``["a", "b", "literal"]`` (pieces trimmed)."""
    return [piece.strip() for piece in text.split("||")]


def has_template(text: str) -> bool:
    return TEMPLATE.search(text) is not None


def contains_special(text: str) -> bool:
    """Whether a string inside a map or list should be mapped (it contains a prefix character)."""
    return any(ch in text for ch in PREFIXES)


def split_indexes(segment: str) -> tuple[str, list[int]]:
    """``list[1][2]`` -> ``("list", [1, 2])``; a plain name -> ``(name, [])``."""
    match = _INDEXED.match(segment)
    if not match:
        return segment, []
    return match.group(1), [int(i) for i in _INDEX.findall(match.group(2))]


def check_mapping_syntax(text: str) -> list[str]:
    """Problems with a mapping string's syntax (empty list when fine).

    Checked: unclosed ``${`` templates, a prefix with no name (``@`` alone, ``!.x``), and empty
    path segments (``@step..x``).
    """
    problems: list[str] = []
    for piece in split_alternates(text):
        if not piece:
            if "||" in text:
                problems.append(f"empty alternative in {text!r}")
            continue
        for prefix in PREFIXES if "{" in piece else ():
            opener = prefix + "{"
            start = piece.find(opener)
            while start != -1:
                if start > 0 and piece[start - 1] == "\\":
                    start = piece.find(opener, start + 2)
                    continue
                if piece.find("}", start) == -1:
                    problems.append(f"unclosed template {piece[start:]!r} (expected a closing '}}')")
                    break
                start = piece.find(opener, start + 2)
        if has_template(piece) or piece[0] not in PREFIXES:
            continue
        body = piece[1:]
        if not body or body.startswith("."):
            problems.append(f"{piece!r} names nothing after {piece[0]!r}")
        elif ".." in body or body.endswith("."):
            problems.append(f"{piece!r} has an empty path segment")
    return problems
