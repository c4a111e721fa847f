"""A global built from ``className`` that counts its constructions (``tests/api/test_one_build.py``)."""

from __future__ import annotations

from typing import Any


class Counted:
    """Counts every construction in the class attribute ``built``."""

    built = 0

    def __init__(self, name: str = "counted") -> None:
        type(self).built += 1
        self.name = name


def name_of(thing: Any) -> str:
    """The object's name: proves the step received the built object."""
    return str(thing.name)
