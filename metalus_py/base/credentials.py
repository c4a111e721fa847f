"""Credentials for ``%name`` mappings.

The default provider reads ``METALUS_CREDENTIAL_<NAME>`` environment variables (name upper-cased,
other characters as ``_``) and credentials given in code. Values are
:class:`~metalus_py.base.secrets.Secret`: their ``repr``/``str`` never show the value; ``.value.reveal()``
gives it to the step that really needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metalus_py.base.secrets import Secret


@dataclass(frozen=True)
class Credential:
    """A named credential; ``value`` is the secret itself."""

    name: str
    value: Secret

    def __repr__(self) -> str:
        return f"Credential(name={self.name!r}, value=***)"


class DefaultCredentialProvider:
    """Credentials given in code first, then from ``METALUS_CREDENTIAL_<NAME>`` environment variables."""

    def __init__(self, credentials: Mapping[str, str] | None = None) -> None:
        self._credentials = {k: Credential(k, Secret(v)) for k, v in (credentials or {}).items()}

    def get_named_credential(self, name: str) -> Credential | None:
        found = self._credentials.get(name)
        if found is not None:
            return found
        value = os.environ.get("METALUS_CREDENTIAL_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper())
        return Credential(name, Secret(value)) if value is not None else None

    def secret_values(self) -> set[str]:
        return {str(c.value) for c in self._credentials.values()}


def default_credential_provider(parameters: Mapping[str, Any]) -> DefaultCredentialProvider:
    return DefaultCredentialProvider()
