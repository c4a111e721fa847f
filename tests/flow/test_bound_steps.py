"""Compiled steps (``flow.bound``): worked out once per pipeline, reused by later runs, never shared wrongly."""

from __future__ import annotations

import pickle
from typing import Any

from metalus_py.api import run_pipeline
from metalus_py.flow.bound import BoundStep
from metalus_py.model.pipeline import Pipeline
from tests.flow.flowkit import PACKAGES, p, pipeline, step


def _uppercase_chain() -> Pipeline:
    return Pipeline.model_validate(pipeline(
        "P",
        step("UP", "StringSteps.toUpperCase", p("value", "!word"), nextStepId="TWICE"),
        step("TWICE", "MockStepObject.mockStepFunction", p("string", "@UP"), p("boolean", "true", "boolean")),
    ))


def _primary(ctx: Any, step_id: str) -> Any:
    return ctx.parameters.get("P", step_id).primary_return


def test_a_second_run_reuses_the_compiled_steps_with_its_own_values() -> None:
    model = _uppercase_chain()
    first = run_pipeline(model, {"word": "ab"}, step_packages=["steps_library", *PACKAGES])
    compiled = dict(model.bound_steps)
    assert {b.step_id for b in compiled.values()} == {"UP", "TWICE"}
    assert all(b.call is not None for b in compiled.values())
    second = run_pipeline(model, {"word": "cd"}, step_packages=["steps_library", *PACKAGES])
    assert _primary(first, "UP") == "AB" and _primary(second, "UP") == "CD"
    assert _primary(second, "TWICE") == "CD"
    assert model.bound_steps == compiled  # the same objects: nothing compiled again
    assert all(model.bound_steps[k] is v for k, v in compiled.items())


def test_a_run_that_resolves_another_function_rebinds_the_step() -> None:
    model = Pipeline.model_validate(pipeline("P", step("S", "StringSteps.toUpperCase", p("value", "!word"))))
    run_pipeline(model, {"word": "ab"}, step_packages=["steps_library"])
    bound = next(iter(model.bound_steps.values()))
    first_function = bound.call.function if bound.call else None
    ctx = run_pipeline(model, {"word": "AB"}, step_packages=["lower_steps", "steps_library"])
    assert bound.call is not None and bound.call.function is not first_function
    assert _primary(ctx, "S") == "ab"


def test_compiled_steps_are_not_pickled() -> None:
    model = _uppercase_chain()
    run_pipeline(model, {"word": "ab"}, step_packages=["steps_library", *PACKAGES])
    assert model.bound_steps
    copy = pickle.loads(pickle.dumps(model))
    assert copy.bound_steps == {}
    assert [s.id for s in copy.steps] == ["UP", "TWICE"]
    assert model.bound_steps  # the original keeps its cache


def test_a_step_object_replaced_under_the_same_id_is_compiled_afresh() -> None:
    model = _uppercase_chain()
    cache: dict[int, BoundStep] = {}
    first = BoundStep.of(model.steps[0], cache)
    assert BoundStep.of(model.steps[0], cache) is first
    other = model.steps[0].model_copy(update={"id": "OTHER"})
    cache[id(other)] = first  # as if an id() were reused by a new object
    assert BoundStep.of(other, cache).step_id == "OTHER"
