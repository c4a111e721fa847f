"""Secrets as a type: a credential value that never prints, and the filters that keep it out.

A :class:`Secret` is a ``str`` holding a sensitive value. Its ``repr``/``str``/``format`` are
``***``; :meth:`Secret.reveal` gives the plain value where it is really used (e.g. opening a
connection). Being a ``str``, its value still flows through string operations and
``json.dumps``, which is why everything persisted passes the filters below.

Two lines of defence keep secrets out of state, artifacts, events and logs:

1. **By type** – :func:`redact_secrets` replaces every :class:`Secret` found in a nested value
   by :data:`REDACTED` (the state store and the artifact writer apply it to everything they
   write).
2. **By value** – every :class:`Secret` created in this process remembers its value (values
   of at least :data:`MIN_KNOWN_LENGTH` characters; see :func:`known_secrets`), and
   :func:`redact_secrets` also replaces each occurrence of a remembered value inside strings.
   So a value built from a secret by string operations (``"token-" + password``, an error
   message that quotes it) is redacted too wherever it is written: state, artifacts, events,
   result documents and the command line's output and logs. :func:`redact` (or a
   :class:`Redactor`) does the same for an explicit list of secrets.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["MIN_KNOWN_LENGTH", "REDACTED", "Redactor", "Secret", "known_secrets", "redact", "redact_known",
           "redact_secrets", "remember_secret", "secrets_in_play", "secrets_scope"]

#: What a secret becomes in anything written or shown.
REDACTED: Final = "***REDACTED***"
#: Shorter secret values are not remembered for by-value redaction (they would mangle ordinary text).
MIN_KNOWN_LENGTH: Final = 4

_known: tuple[str, ...] = ()  # longest first; replaced whole (never mutated) so readers need no lock
#: Whether any :class:`Secret` has existed in this process: until one has, and while no secret
#: value is known, nothing can hold a secret and the filters below have nothing to walk for.
_secret_created = False
_known_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """Remember a secret value so :func:`redact_secrets` removes it from strings (by value)."""
    global _known
    value = str.__str__(value)
    if len(value) < MIN_KNOWN_LENGTH or value == REDACTED or value in _known:
        return
    with _known_lock:
        if value not in _known:
            _known = tuple(sorted({*_known, value}, key=len, reverse=True))


def known_secrets() -> frozenset[str]:
    """The secret values created (or remembered) in this process so far."""
    return frozenset(_known)


@contextmanager
def secrets_scope() -> Iterator[None]:
    """Secret values remembered inside the block are forgotten after it (the ones known before stay).

    A run (``metalus_py.base.runscope.run_scope``) opens it: secrets seen by one run do not
    accumulate in a process that runs many; what a run's result needs afterwards it carries.
    """
    global _known
    before = _known
    try:
        yield
    finally:
        with _known_lock:
            _known = before


def secrets_in_play() -> bool:
    """True once a :class:`Secret` was created in this process or while a secret value is known."""
    return _secret_created or bool(_known)


def redact_known(obj: Any) -> Any:
    """:func:`redact` with every secret value known in this process (see :func:`known_secrets`);
    ``obj`` itself when no secret is in play (:func:`secrets_in_play`)."""
    if _known:
        return redact(obj, _known)
    return redact_secrets(obj) if _secret_created else obj


class Secret(str):
    """A sensitive string whose ``repr``, ``str`` and ``format`` are ``***``.

    It is a ``str`` so code that needs the value (a connection call, a step parameter typed
    ``str``) keeps working, and it is marked ``is_secret = True``. String *operations* still see
    the value (concatenation, ``join``, ``json.dumps``), so anything written or shown must go
    through :func:`redact_secrets` / :func:`redact` – the state store, the artifact writer and
    the summaries do. Call :meth:`reveal` to get a plain ``str`` where the value is really used.

    Args:
        value: the secret value (wrapping a ``Secret`` again is harmless).

    Example:
        >>> password = Secret("hunter2")
        >>> f"{password}", str(password), repr(password), password.reveal()
        ('***', '***', 'Secret(***)', 'hunter2')
    """

    __slots__ = ()

    #: Marks secrets for code that checks duck-typed (``getattr(v, "is_secret", False)``).
    is_secret = True

    def __new__(cls, value: str) -> Secret:
        global _secret_created
        _secret_created = True
        plain = str.__str__(value)
        remember_secret(plain)
        return super().__new__(cls, plain)

    def reveal(self) -> str:
        """Return the secret value as a plain ``str``. Use it where the value is used, never to log it."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return "Secret(***)"

    def __str__(self) -> str:
        return "***"

    def __format__(self, format_spec: str) -> str:
        return "***"

    def __reduce__(self) -> tuple[Any, ...]:
        # Secrets travel to worker processes; persistence layers redact them before writing.
        return (Secret, (self.reveal(),))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()


_PLAIN = frozenset({int, float, bool, type(None)})


def redact_secrets(obj: Any) -> Any:
    """Replace every :class:`Secret` inside ``obj`` (dicts, lists, tuples, sets) by :data:`REDACTED`.

    Containers are copied; other values are returned unchanged.

    Args:
        obj: any value.

    Returns:
        ``obj`` with each ``Secret`` replaced by the string :data:`REDACTED`, and each secret
        value known in this process (:func:`known_secrets`) replaced inside strings.
    """
    kind = type(obj)
    if kind in _PLAIN:  # the common case, decided without isinstance checks
        return obj
    if kind is dict:
        return {redact_secrets(k): redact_secrets(v) for k, v in obj.items()}
    if isinstance(obj, Secret):
        return REDACTED
    if kind is str:
        known = _known
        for value in known:
            if value in obj:
                obj = obj.replace(value, REDACTED)
        return obj
    if isinstance(obj, Mapping):
        return {redact_secrets(k): redact_secrets(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        items = [redact_secrets(v) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, set | frozenset):
        return [redact_secrets(v) for v in obj]
    return obj


def redact(obj: Any, secrets: Iterable[str | Secret]) -> Any:
    """Replace known secret strings anywhere in nested JSON-like data or text.

    Every :class:`Secret` instance is replaced by :data:`REDACTED` as well, and every string
    (values and mapping keys) has each occurrence of each secret replaced by :data:`REDACTED`.
    Longer secrets are replaced first, so a secret containing another is redacted whole.

    Args:
        obj: a string, or nested dicts/lists/tuples of JSON values.
        secrets: the secret strings (or ``Secret`` objects) to hide; empty strings are ignored.

    Returns:
        A redacted copy of ``obj``.
    """
    values = sorted(
        {s.reveal() if isinstance(s, Secret) else s for s in secrets} - {""}, key=len, reverse=True
    )
    return _redact(obj, values)


def _redact(obj: Any, values: list[str]) -> Any:
    if isinstance(obj, Secret):
        return REDACTED
    if isinstance(obj, str):
        for value in values:
            if value in obj:
                obj = obj.replace(value, REDACTED)
        return obj
    if isinstance(obj, Mapping):
        return {_redact(k, values): _redact(v, values) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        items = [_redact(v, values) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, set | frozenset):
        return [_redact(v, values) for v in obj]
    return obj


class Redactor:
    """Collects the secrets of a run and redacts them from anything written or shown.

    Args:
        secrets: initial secret strings or ``Secret`` objects.

    Example:
        >>> r = Redactor([Secret("s3cr3t")])
        >>> r({"msg": "login with s3cr3t failed"})
        {'msg': 'login with ***REDACTED*** failed'}
    """

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | Secret) -> None:
        """Remember a secret value (empty values are ignored)."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            self._secrets.add(value)

    def collect(self, obj: Any) -> None:
        """Remember every :class:`Secret` found inside a nested value (e.g. the run's globals)."""
        if isinstance(obj, Secret):
            self.add(obj)
        elif isinstance(obj, Mapping):
            for value in obj.values():
                self.collect(value)
        elif isinstance(obj, list | tuple | set | frozenset):
            for value in obj:
                self.collect(value)

    @property
    def secrets(self) -> frozenset[str]:
        """The secret values known so far."""
        return frozenset(self._secrets)

    def __call__(self, obj: Any) -> Any:
        """Return ``obj`` with secrets removed by type and by value (see :func:`redact`)."""
        return redact(obj, self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
