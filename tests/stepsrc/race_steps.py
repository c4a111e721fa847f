"""Steps for the import-race test: one imports polars lazily while others finish around it."""

from __future__ import annotations

from typing import Any


class RaceSteps:
    @staticmethod
    def late_polars(value: Any) -> Any:
        """Import polars inside the step (as a lazily importing step package does) and return a frame."""
        import polars as pl

        return pl.DataFrame({"value": [str(value)]})

    @staticmethod
    def quick(value: Any) -> str:
        """Finish at once, so results are summarised while the other execution imports polars."""
        return f"{value}+"


class OddSteps:
    @staticmethod
    def unpicklable() -> object:
        """Return a value no artifact format can store (a lock): persisting it fails."""
        import threading

        return {"lock": threading.Lock()}
