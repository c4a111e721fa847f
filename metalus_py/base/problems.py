"""Validation problems and the report that collects them.

A :class:`Problem` says where (the file and the JSON path in bracket form), what is wrong and
what was expected, names the offending id when there is one, and suggests a fix when it can.
A :class:`ValidationReport` collects every problem of one application so they are all reported
together; ``raise_for_errors`` turns a report with errors into one
:class:`ApplicationValidationError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.exceptions import ApplicationError


@dataclass(frozen=True)
class Problem:
    """One problem: severity (``error``/``warning``), file, JSON path, what was expected, a suggestion.

    ``subject`` is the offending id (execution, pipeline or step id, parameter name) when there is one.
    """

    severity: str
    source: str
    path: str
    message: str
    suggestion: str | None = None
    subject: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        text = f"{self.severity}: {where}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "source": self.source, "path": self.path, "message": self.message,
                "suggestion": self.suggestion, "id": self.subject}


class ApplicationValidationError(ApplicationError):
    """The application is invalid; ``problems`` lists every error and warning found."""

    def __init__(self, message: str, *, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass
class ValidationReport:
    """Every problem found in one application."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    #: The parsed application, when it has no errors (so callers need not parse it again).
    application: Any = field(default=None, repr=False, compare=False)
    #: Every global name the application's mapping strings, links and globals use (``None``: not computed).
    used_globals: set[str] | None = field(default=None, repr=False, compare=False)
    #: The JSON document validated (the ``{"application": ...}`` wrapper removed), when it was read.
    document: Any = field(default=None, repr=False, compare=False)
    _keys: set[tuple[str, str, str]] = field(default_factory=set, init=False, repr=False, compare=False)

    def error(self, path: str, message: str, suggestion: str | None = None, *, subject: str | None = None) -> None:
        """Record an error at ``path`` (bracket form)."""
        self.add(Problem("error", self.source, path, message, suggestion, subject))

    def warning(self, path: str, message: str, suggestion: str | None = None, *, subject: str | None = None) -> None:
        """Record a warning at ``path`` (bracket form)."""
        self.add(Problem("warning", self.source, path, message, suggestion, subject))

    def add(self, problem: Problem) -> None:
        """Record a problem once (the same severity, path and message are kept only once)."""
        key = (problem.severity, problem.path, problem.message)
        if len(self._keys) != len(self.problems):  # the list was given or changed directly
            self._keys = {(p.severity, p.path, p.message) for p in self.problems}
        if key not in self._keys:
            self._keys.add(key)
            self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def format(self) -> str:
        """Every problem on its own line, errors first, then a one-line summary."""
        ordered = self.errors + self.warnings
        lines = [str(p) for p in ordered]
        summary = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.source}"
        return "\n".join([*lines, summary])

    def raise_for_errors(self) -> None:
        """Raise one :class:`ApplicationValidationError` listing every problem when there is an error.

        Raises:
            ApplicationValidationError: the report holds at least one error.
        """
        if self.errors:
            raise ApplicationValidationError(self.format(), problems=self.problems)
