"""Splitting a command line into known options and Metalus ``--name value`` pairs (any order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import ApplicationError
from metalus_py.model.loader import parse_cli_pairs

#: Options that take a value, and flags, of every command.
VALUE_OPTIONS = frozenset(
    {"--output-json", "--run-id", "--state", "--persist", "--max-workers", "--format", "--from", "--step",
     "--limit", "--events", "--grace", "--package", "--artifacts", "--executor", "--dask-scheduler",
     "--now", "--speed", "--to", "--older-than", "--schedule", "--steps-path"}
)
FLAGS = frozenset({"--strict", "--quiet", "--verbose", "--json", "-q", "-v", "--help", "-h", "--no-progress",
                   "--keep-failed", "--dry-run", "--schedules"})


@dataclass
class CommandLine:
    positionals: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    parameters: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def flag(self, *names: str) -> bool:
        return any(n in self.flags for n in names)


def split_command_line(arguments: list[str]) -> CommandLine:
    """Known options anywhere; other ``--name value`` pairs become parameters (globals).

    Raises:
        ApplicationError: an option without its value, or a malformed pair.
    """
    line = CommandLine()
    pairs: list[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        name, eq, inline = token.partition("=")
        if name in VALUE_OPTIONS:
            if eq:
                line.options[name] = inline
                index += 1
                continue
            if index + 1 >= len(arguments):
                raise ApplicationError(f"option {name} needs a value")
            line.options[name] = arguments[index + 1]
            index += 2
        elif token in FLAGS:
            line.flags.add(token)
            index += 1
        elif token.startswith("--"):
            pairs.extend(arguments[index : index + 2])
            index += 2
        else:
            line.positionals.append(token)
            index += 1
    line.parameters = parse_cli_pairs(pairs)
    return line
