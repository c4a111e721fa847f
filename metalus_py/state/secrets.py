"""The secret rules as seen from the state layer (re-exported from :mod:`metalus_py.secrets`).

Everything the store and the artifact writer persist goes through
:func:`~metalus_py.secrets.redact_secrets` (by type); :func:`~metalus_py.secrets.redact` and
:class:`~metalus_py.secrets.Redactor` remove known secret strings by value.
"""

from metalus_py.secrets import REDACTED, Redactor, Secret, redact, redact_secrets

__all__ = ["REDACTED", "Redactor", "Secret", "redact", "redact_secrets"]
