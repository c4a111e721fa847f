"""Run ids: what a run may be called (DESIGN §14).

A run id is 1–128 characters of ``A-Z a-z 0-9 . _ : -`` and does not start with ``.``, so a
path built from it (``.metalus/events/<id>.jsonl``, ``<artifacts>/<id>``) never leaves its
folder.
"""

from __future__ import annotations

import re
from typing import Final

from metalus_py.base.exceptions import ApplicationError

__all__ = ["MAX_RUN_ID_LENGTH", "InvalidRunIdError", "check_run_id"]

MAX_RUN_ID_LENGTH: Final = 128
_RUN_ID = re.compile(r"[A-Za-z0-9_:\-][A-Za-z0-9._:\-]{0,127}")


class InvalidRunIdError(ApplicationError):
    """A run id breaks the naming rule (the command line exits 2)."""


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` when it is a valid run id.

    Raises:
        InvalidRunIdError: empty, too long, starting with ``.`` or holding another character.
    """
    if not isinstance(run_id, str) or _RUN_ID.fullmatch(run_id) is None:
        shown = run_id if isinstance(run_id, str) and len(run_id) <= 140 else f"{str(run_id)[:140]}..."
        raise InvalidRunIdError(
            f"invalid run id {shown!r}: a run id is 1-{MAX_RUN_ID_LENGTH} characters of A-Z a-z 0-9 . _ : - "
            "and does not start with '.'"
        )
    return run_id
