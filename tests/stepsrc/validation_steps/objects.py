"""Classes named by ``className`` in the validation tests."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass
class Settings:
    name: str
    size: int = 1


class TypedSettings(BaseModel):
    name: str
    size: int = 1
