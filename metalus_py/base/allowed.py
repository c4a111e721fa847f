"""Which packages a file may take step functions and ``className`` classes from (DESIGN §14).

Allowed: ``steps_library``, the file's ``stepPackages`` and what the operator adds with
``METALUS_ALLOWED_PACKAGES`` (comma-separated). When the operator sets
``METALUS_TRUSTED_PACKAGES``, only those (plus ``steps_library``) are allowed and the file
cannot widen the list. The Python standard library and builtins are never allowed, whatever
the lists say. A look-up starts in an allowed package and passes through no module outside
them and no ``_private`` name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["ALLOWED_ENV", "STEPS_LIBRARY", "TRUSTED_ENV", "AllowedPackages", "is_standard_library", "origin_module"]

STEPS_LIBRARY: Final = "steps_library"
ALLOWED_ENV: Final = "METALUS_ALLOWED_PACKAGES"
TRUSTED_ENV: Final = "METALUS_TRUSTED_PACKAGES"
#: Classes the engine maps Metalus names to (``KNOWN_ALIASES``) live here.
_ENGINE_CLASSES: Final = ("metalus_py.model",)
_STANDARD: Final = frozenset(sys.stdlib_module_names) | {"builtins", "__future__"}


def is_standard_library(module_name: str | None) -> bool:
    """True for a module of the Python standard library (or builtins)."""
    if not module_name:
        return False
    return module_name.split(".", 1)[0] in _STANDARD


def origin_module(obj: Any) -> str | None:
    """The module an object was defined in (a builtin function's is ``builtins``)."""
    module = getattr(obj, "__module__", None)
    if isinstance(module, str):
        return module
    owner = getattr(obj, "__self__", None)
    if owner is not None and not isinstance(owner, type(sys)):
        return type(owner).__module__
    return type(obj).__module__


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class AllowedPackages:
    """The allowed packages for one application.

    Args:
        step_packages: the file's ``stepPackages``.
        environ: where ``METALUS_ALLOWED_PACKAGES``/``METALUS_TRUSTED_PACKAGES`` are read
            (default ``os.environ``).
    """

    def __init__(self, step_packages: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        trusted = _split(env.get(TRUSTED_ENV))
        self.trusted_only = bool(trusted)
        if trusted:
            packages = [STEPS_LIBRARY, *trusted]
        else:
            packages = [STEPS_LIBRARY, *step_packages, *_split(env.get(ALLOWED_ENV))]
        self.packages: tuple[str, ...] = tuple(dict.fromkeys(p for p in packages if not is_standard_library(p)))

    def including(self, package: str) -> AllowedPackages:
        """This policy with one more package the file declares (``engineMeta.pkg``); unchanged when
        the operator set trusted packages, which the file cannot widen."""
        if self.trusted_only or package in self.packages or is_standard_library(package):
            return self
        widened = AllowedPackages((), environ={})
        widened.trusted_only, widened.packages = False, (*self.packages, package)
        return widened

    def allows_module(self, module_name: str | None) -> bool:
        """True when ``module_name`` is (inside) an allowed package and not the standard library."""
        if not module_name or is_standard_library(module_name):
            return False
        return any(module_name == p or module_name.startswith(f"{p}.") for p in self.packages)

    def why_not_package(self, package: str) -> str | None:
        """Why a ``stepPackages`` entry is not searched (``None``: it is)."""
        if is_standard_library(package):
            return f"{package!r} is part of the Python standard library, which never provides steps or classes"
        if not self.allows_module(package):
            return (f"{package!r} is not among the trusted packages the operator set in {TRUSTED_ENV} "
                    f"({', '.join(self.packages)})")
        return None

    def why_not_object(self, obj: Any, name: str) -> str | None:
        """Why a found function or class may not be used (``None``: it may)."""
        module = origin_module(obj)
        if is_standard_library(module):
            return (f"{name!r} comes from the Python standard library ({module}); the standard library and "
                    "builtins are never step functions or classes of an application")
        return None

    def why_not_class_path(self, class_name: str) -> str | None:
        """Why a ``className`` dotted path is not allowed (``None``: it is)."""
        if any(part.startswith("_") for part in class_name.split(".")):
            return f"className {class_name!r} goes through a private name (starting with '_')"
        if is_standard_library(class_name):
            return (f"className {class_name!r} is in the Python standard library, which never provides classes "
                    "of an application")
        if class_name.startswith(_ENGINE_CLASSES) or self.allows_module(class_name):
            return None
        return (f"className {class_name!r} is not in an allowed package ({', '.join(self.packages)}); add its "
                f"package to stepPackages or the operator's {ALLOWED_ENV}")

    def __repr__(self) -> str:
        return f"AllowedPackages({list(self.packages)}, trusted_only={self.trusted_only})"
