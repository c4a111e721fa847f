"""Splitting a command line into the command's own options and Metalus ``--name value`` pairs.

Options belong to their command (``COMMAND_OPTIONS``): an option of another command (``--limit``
given to ``run``) is a ``--name value`` pair like any other, which becomes a global for the
commands that take globals (``run``, ``validate``, ``plan``, ``resume``, ``retrigger``); the other
commands reject it with a suggestion. Options and pairs may come in any order.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.cli_pairs import parse_cli_pairs
from metalus_py.base.exceptions import ApplicationError

#: Flags every command accepts.
COMMON_FLAGS = frozenset({"--quiet", "-q", "--verbose", "-v", "--help", "-h"})
#: Options with a value every command accepts (``--steps-path``: a folder of step packages).
COMMON_VALUES = frozenset({"--steps-path"})
_RUNNING = frozenset({"--output-json", "--state", "--persist", "--max-workers", "--artifacts", "--events",
                      "--executor", "--dask-scheduler"})
_RUN_FLAGS = frozenset({"--strict", "--no-progress"})
#: What ``metalus schedule ...`` and ``metalus scheduler`` pass to the runs they start.
_SCHEDULED = frozenset({"--now", "--state", "--persist", "--artifacts", "--max-workers"})

#: command -> (options that take a value, flags, whether ``--name value`` pairs (globals) are accepted).
COMMAND_OPTIONS: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    "run": (_RUNNING | {"--run-id"}, _RUN_FLAGS, True),
    "resume": (_RUNNING, _RUN_FLAGS, True),
    "retrigger": (_RUNNING | {"--from"}, _RUN_FLAGS, True),
    "validate": (frozenset(), frozenset({"--strict", "--json"}), True),
    "plan": (frozenset({"--format"}), frozenset({"--strict"}), True),
    "kill": (frozenset({"--step", "--grace", "--state"}), frozenset(), False),
    "runs": (frozenset({"--limit", "--state", "--schedule"}), frozenset({"--json"}), False),
    "show": (frozenset({"--state"}), frozenset({"--json"}), False),
    "steps": (frozenset({"--package"}), frozenset({"--json"}), False),
    "schema": (frozenset(), frozenset({"--schedules"}), False),
    "schedule": (_SCHEDULED | {"--from", "--to"}, frozenset({"--json", "--strict"}), False),
    "scheduler": (_SCHEDULED | {"--speed"}, frozenset({"--strict"}), False),
    "prune": (frozenset({"--older-than", "--state"}), frozenset({"--keep-failed", "--dry-run", "--json"}), False),
    # `metalus ui` parses its own options (metalus_py.ui.cli); listed here for help and suggestions.
    "ui": (frozenset({"--state", "--host", "--port", "--token"}), frozenset(), False),
}


@dataclass
class CommandLine:
    positionals: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: The options and flags of this command (for did-you-mean on unused parameters).
    known: tuple[str, ...] = ()
    command: str = "run"

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def flag(self, *names: str) -> bool:
        return any(n in self.flags for n in names)


def command_options(command: str) -> tuple[str, ...]:
    """Every option and flag of ``command`` (long forms), sorted."""
    values, flags, _ = COMMAND_OPTIONS.get(command, (frozenset(), frozenset(), True))
    common = {"--help"} if command == "ui" else COMMON_FLAGS | COMMON_VALUES  # ui parses its own options
    return tuple(sorted(o for o in values | flags | common if o.startswith("--")))


def split_command_line(arguments: list[str], command: str = "run") -> CommandLine:
    """The command's options anywhere; other ``--name value`` pairs become parameters (globals).

    Raises:
        ApplicationError: an option without its value, a malformed pair, or a pair given to a
            command that takes none.
    """
    values, flags, takes_pairs = COMMAND_OPTIONS.get(command, (frozenset(), frozenset(), True))
    values, flags = values | COMMON_VALUES, flags | COMMON_FLAGS
    line = CommandLine(known=command_options(command), command=command)
    pairs: list[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        name, eq, inline = token.partition("=")
        if name in values:
            if eq:
                line.options[name] = inline
                index += 1
                continue
            if index + 1 >= len(arguments):
                raise ApplicationError(f"option {name} needs a value")
            line.options[name] = arguments[index + 1]
            index += 2
        elif token in flags:
            line.flags.add(token)
            index += 1
        elif token.startswith("--"):
            if not takes_pairs:
                close = difflib.get_close_matches(name, line.known, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f" (options: {', '.join(line.known)})"
                raise ApplicationError(f"unknown option {name} for metalus {command}{hint}")
            pairs.extend(arguments[index : index + 2])
            index += 2
        else:
            line.positionals.append(token)
            index += 1
    line.parameters = parse_cli_pairs(pairs)
    return line


def suggestion_options(command: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """For unused ``--name value`` pairs: the options to suggest (those of every command that runs
    or checks an application), and the options that belong to another command only."""
    running = ("run", "validate", "plan", "resume", "retrigger")
    suggest = sorted({o for c in running for o in command_options(c)})
    own = set(command_options(command))
    elsewhere = {o: c for c in COMMAND_OPTIONS for o in command_options(c) if o not in own and o not in suggest}
    return tuple(suggest), elsewhere
