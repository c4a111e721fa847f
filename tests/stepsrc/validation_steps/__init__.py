"""Step objects of the validation tests (``tests/resources/apps/invalid``).

``MarkerSteps.writeMarker`` appends to a marker file: a test that finds the file knows a step ran.
"""

from validation_steps.marker_steps import MarkerSteps
from validation_steps.objects import Settings, TypedSettings

__all__ = ["MarkerSteps", "Settings", "TypedSettings"]
