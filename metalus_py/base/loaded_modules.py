"""Optional heavy modules (polars, pyarrow, pandas), used only when something already imported them.

Summaries, journals and the artifact writer must not import polars just to ask "is this a
DataFrame?", so they look in ``sys.modules``. A bare ``sys.modules.get("polars")`` may return a
module another thread is still importing (its attributes half there: "partially initialized
module 'polars' has no attribute 'DataFrame'"). :func:`loaded` hands such a module to
``importlib.import_module``, which waits on the module's import lock until the import is done.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["loaded"]


def loaded(name: str) -> ModuleType | None:
    """The module ``name`` when it is imported (waiting for an import in progress), else ``None``."""
    module = sys.modules.get(name)
    if module is None:
        return None
    spec = getattr(module, "__spec__", None)
    if getattr(spec, "_initializing", False):
        return importlib.import_module(name)  # blocks until the importing thread has finished
    return module
