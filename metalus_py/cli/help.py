"""Help text: the whole usage, or the part of it about one command."""

from __future__ import annotations

import difflib

from metalus_py.cli.arguments import command_options


def command_help(command: str | None, usage: str) -> str:
    """The usage lines of ``command`` (with its options), or the whole ``usage`` when ``None``."""
    if command is None:
        return usage
    lines = usage.splitlines()
    block: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not block and (stripped == command or stripped.startswith(f"{command} ")) or block and line.startswith("      "):
            block.append(line)
        elif block:
            break
    options = ", ".join(command_options(command))
    text = "\n".join(["usage: metalus " + (block[0].strip() if block else command), *block[1:]])
    if command == "schedule":  # its subcommands have a usage of their own
        from metalus_py.cli.schedule_commands import SCHEDULE_USAGE

        text = SCHEDULE_USAGE.split("\noptions:")[0]
    return f"{text}\n  options of {command}: {options}"


def did_you_mean_command(name: str, commands: list[str]) -> str:
    close = difflib.get_close_matches(name, commands, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
