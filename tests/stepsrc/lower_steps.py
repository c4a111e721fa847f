"""A ``StringSteps`` whose ``toUpperCase`` lower-cases: another function under a name ``steps_library`` also has."""

from __future__ import annotations


class StringSteps:
    @staticmethod
    def to_upper_case(value: str) -> str:
        return value.lower()
