"""Steps that leave a trace (a marker file) so tests can tell whether anything ran."""

from __future__ import annotations

from typing import Any


class MarkerSteps:
    @staticmethod
    def write_marker(path: str, label: str = "ran") -> str:
        """Append ``label`` to the file at ``path`` and return it."""
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{label}\n")
        return label

    @staticmethod
    def echo(value: Any = None) -> Any:
        return value

    @staticmethod
    def list_values(count: int = 3) -> list[int]:
        return list(range(int(count)))
