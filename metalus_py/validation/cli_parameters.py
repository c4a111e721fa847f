"""Command-line ``--name value`` pairs that nothing in the application uses (a typo of an option).

Reported as warnings (errors with ``--strict``) with a did-you-mean against the command's options
and the globals the application does use. Never reported for ``requiredParameters`` names or
settings the engine itself reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from metalus_py.base.problems import ValidationReport
from metalus_py.validation.globals_use import ENGINE_SETTINGS

PATH = "command line"


def check_command_line_parameters(
    report: ValidationReport, parameters: Mapping[str, Any], options: Iterable[str], *, strict: bool,
    elsewhere: Mapping[str, str] | None = None,
) -> None:
    """Add a problem to ``report`` for each parameter the application never uses.

    Args:
        options: the options of the command line (suggested for a misspelt one).
        elsewhere: option -> the command it belongs to, for options of other commands.
    """
    used = report.used_globals
    if used is None:
        return  # the application could not be read far enough to know
    options = sorted(options)
    for name in parameters:
        if name in used or name in ENGINE_SETTINGS:
            continue
        flag = f"--{name}"
        if elsewhere and flag in elsewhere:
            message = (f"{flag} {_shown(parameters[name])} is an option of metalus {elsewhere[flag]}, not of this "
                       f"command; here it is a global the application never uses")
            _add(report, message, "remove it", name, strict)
            continue
        close = difflib.get_close_matches(flag, options, n=1, cutoff=0.7)
        if not close:
            close = [f"--{c}" for c in difflib.get_close_matches(name, sorted(used), n=1, cutoff=0.7)]
        suggestion = f"did you mean {close[0]!r}?" if close else "remove it, or read it in a mapping as !" + name
        message = (f"{flag} {_shown(parameters[name])} is not an option and the application never uses global "
                   f"{name!r}")
        _add(report, message, suggestion, name, strict)


def _add(report: ValidationReport, message: str, suggestion: str, name: str, strict: bool) -> None:
    if strict:
        report.error(PATH, message, suggestion, subject=name)
    else:
        report.warning(PATH, message, suggestion, subject=name)


def _shown(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
