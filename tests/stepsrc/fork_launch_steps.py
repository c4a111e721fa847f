"""Steps for the fork-launch tests (``tests/executors/test_fork_launch.py``): what a value saw, failures."""

from __future__ import annotations

from typing import Any

from metalus_py.steps.context import GLOBAL_LINKS, PipelineContext


class ForkLaunchSteps:
    @staticmethod
    def peek_and_mark(value: Any, pipeline_context: PipelineContext) -> dict[str, Any]:
        """What this value saw of its parent's view and the global links, then mark both in place.

        A value that saw another value's mark would prove the values share their starting globals.
        """
        view = pipeline_context.globals["ROOT"]
        links = pipeline_context.globals[GLOBAL_LINKS]
        seen = {"value": value, "viewMark": view.get("mark"), "linkMark": links.get("mark")}
        view["mark"] = value
        links["mark"] = value
        return seen

    @staticmethod
    def invert(value: Any) -> float:
        """``1 / value`` (a value of 0 fails)."""
        return 1 / float(value)
