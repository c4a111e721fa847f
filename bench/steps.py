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


class CpuSteps:
    """W4: pure-Python CPU work (holds the GIL, so threads of one process cannot overlap it)."""

    @staticmethod
    def burn(value: Any = None, seconds: Any = 0.5) -> Any:
        """About ``seconds`` of this thread's CPU time in a Python loop, then ``value``."""
        import time

        deadline = time.thread_time() + float(seconds)
        total = 0
        while time.thread_time() < deadline:
            for i in range(10_000):
                total += i * i
        return value
