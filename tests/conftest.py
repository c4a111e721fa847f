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

#: The PostgreSQL server every machine of this project has; used when the variable is unset.
DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _default_postgres() -> None:
    """Point the PostgreSQL tests at the local server when it answers and nothing else was set.

    The README's plain ``python -m pytest`` then runs them too; with no server they skip (or
    fail under ``METALUS_REQUIRE_POSTGRES=1``) as before.
    """
    import os

    if os.environ.get("METALUS_TEST_POSTGRES_URL", "").strip():
        return
    try:
        import psycopg

        with psycopg.connect(DEFAULT_TEST_POSTGRES_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception:  # no driver or no server: the tests say why they skip
        return
    os.environ["METALUS_TEST_POSTGRES_URL"] = DEFAULT_TEST_POSTGRES_URL


_default_postgres()
