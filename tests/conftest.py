"""Shared test setup: the Metalus-named test step objects (``tests/stepsrc``) are importable.

Corpus files name step objects by Metalus's packages (``com.acxiom.pipeline.steps``,
``ExecutionSteps``, ``MockStepObject``); ``tests/stepsrc`` holds Python versions of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent
_STEPSRC = str(_TESTS / "stepsrc")
_ROOT = str(_TESTS.parent)
for _path in (_STEPSRC, _ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

#: Directory of the Metalus corpus files copied for the tests.
CORPUS = _TESTS / "resources" / "corpus"
