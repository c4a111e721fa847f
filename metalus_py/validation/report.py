"""Validation problems and the report that collects them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metalus_py.exceptions import ApplicationError


@dataclass(frozen=True)
class Problem:
    """One problem: severity (``error``/``warning``), file, JSON path, what was expected, a suggestion."""

    severity: str
    source: str
    path: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        text = f"{self.severity}: {where}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "source": self.source, "path": self.path, "message": self.message,
                "suggestion": self.suggestion}


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

    def error(self, path: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem("error", self.source, path, message, suggestion))

    def warning(self, path: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem("warning", self.source, path, message, suggestion))

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
        lines = [str(p) for p in self.problems]
        summary = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.source}"
        return "\n".join([*lines, summary])

    def raise_for_errors(self) -> None:
        if self.errors:
            raise ApplicationValidationError(self.format(), problems=self.problems)
