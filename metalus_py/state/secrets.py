"""The secret rules as seen from the state layer (re-exported from :mod:`metalus_py.base.secrets`).

Everything the store and the artifact writer persist goes through
:func:`~metalus_py.base.secrets.redact_secrets` (by type); :func:`~metalus_py.base.secrets.redact` and
:class:`~metalus_py.base.secrets.Redactor` remove known secret strings by value.
"""

from metalus_py.base.secrets import REDACTED, Redactor, Secret, redact, redact_secrets

__all__ = ["REDACTED", "Redactor", "Secret", "redact", "redact_secrets"]
