"""Command-line ``--name value`` pairs, read as Metalus reads them."""

from __future__ import annotations

from typing import Any

from metalus_py.base.exceptions import ApplicationError


def parse_cli_pairs(arguments: list[str]) -> dict[str, Any]:
    """``--name value`` pairs as Metalus reads them: ``true``/``false`` become booleans, the rest strings.

    Raises:
        ApplicationError: a ``--name`` with no value after it.
    """
    pairs: dict[str, Any] = {}
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if not token.startswith("--") or len(token) <= 2:
            raise ApplicationError(f"unexpected argument {token!r}: parameters are given as --name value")
        if index + 1 >= len(arguments):
            raise ApplicationError(f"parameter {token!r} has no value (expected --name value)")
        value: Any = arguments[index + 1]
        if value in ("true", "false"):
            value = value == "true"
        pairs[token[2:]] = value
        index += 2
    return pairs
