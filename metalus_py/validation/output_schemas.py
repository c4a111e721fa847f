"""``outputSchema`` of a step, checked before anything runs: a valid JSON Schema, or a frame
contract whose dtypes are polars dtype names (DESIGN.md section 10)."""

from __future__ import annotations

from metalus_py.base.problems import ValidationReport
from metalus_py.model.pipeline import PipelineStep
from metalus_py.steps.contracts import schema_problems
from metalus_py.validation.shapes import at


def check_output_schema(step: PipelineStep, pipeline_id: str, path: str, report: ValidationReport) -> None:
    if step.output_schema is None:
        return
    for sub_path, message in schema_problems(step.output_schema):
        where = at(at(path, "outputSchema"), sub_path) if sub_path else at(path, "outputSchema")
        report.error(where, f"outputSchema of step [{step.id or '?'}] in pipeline [{pipeline_id}]: {message}",
                     "give a JSON Schema (https://json-schema.org) or {\"columns\": {\"name\": \"Int64\"}, "
                     "\"required\": [\"name\"]}", subject=step.id)
