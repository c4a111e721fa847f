"""The package layout shows the layers: no loose modules at the top of ``metalus_py/``."""

from __future__ import annotations

from pathlib import Path

import metalus_py

PACKAGE = Path(metalus_py.__file__).resolve().parent


def test_only_packages_at_the_top() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"modules belong in a layer package (docs/ARCHITECTURE.md): {loose}"


def test_public_names_import() -> None:
    for name in metalus_py.__all__:
        assert getattr(metalus_py, name) is not None, name
