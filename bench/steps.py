"""Trivial step functions the benchmark applications run (``stepPackages: ["bench"]``)."""

from __future__ import annotations

from typing import Any


class BenchSteps:
    """Steps named ``BenchSteps.addOne`` / ``BenchSteps.sumValues`` in the generated applications."""

    @staticmethod
    def add_one(value: Any = 0) -> int:
        """``value + 1`` (``None`` counts as 0)."""
        return int(value or 0) + 1

    @staticmethod
    def values(count: Any = 0) -> list[int]:
        """``[0, 1, ..., count - 1]``."""
        return list(range(int(count)))

    @staticmethod
    def sum_values(values: Any = None) -> int:
        """The sum of a list of numbers (``None`` entries count as 0)."""
        return sum(int(v or 0) for v in values or [])
