"""Globals whose names look secret, and keeping their values out of everything written (DESIGN §14).

A name is secret when, case-insensitively and ignoring ``_``/``-``, it ends with ``password``,
``passwd``, ``secret``, ``token``, ``apikey``, ``accesskey``, ``privatekey`` or ``credential``
(so ``dbPassword``, ``api_key``, ``GITHUB_TOKEN``), at any depth of an object. Their values
are remembered for by-value redaction (:func:`metalus_py.base.secrets.remember_secret`), so every
stored, logged, printed or served value hides them, while steps receive the real value.

What is stored for a later resume never holds them in clear: with ``METALUS_SECRET_KEY`` (a
Fernet key, from the ``cryptography`` package) they are stored encrypted as
``{"$encrypted": token}``; without it they are stored as :data:`~metalus_py.base.secrets.REDACTED`
and ``resume``/``retrigger`` need them given again (:func:`restore_secret_values` names the
missing ones).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.secrets import REDACTED, remember_secret

__all__ = ["KEY_ENV", "MissingSecretsError", "is_secret_name", "protect_secret_values", "redact_url_password",
           "remember_secret_values", "restore_secret_values"]

KEY_ENV: Final = "METALUS_SECRET_KEY"
_SUFFIXES: Final = ("password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "credential",
                    "credentials")
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)")
ENCRYPTED: Final = "$encrypted"


class MissingSecretsError(ApplicationError):
    """A resume or retrigger needs secret values that were not stored in clear; ``names`` lists them."""

    def __init__(self, message: str, *, names: list[str]) -> None:
        super().__init__(message)
        self.names = list(names)


def is_secret_name(name: object) -> bool:
    """True for a name that looks secret (``password``, ``apiToken``, ``db_password`` ...)."""
    if not isinstance(name, str):
        return False
    flat = name.replace("_", "").replace("-", "").lower()
    return flat.endswith(_SUFFIXES)


def redact_url_password(text: str) -> str:
    """``postgresql://user:pw@host/db`` -> ``postgresql://user:***REDACTED***@host/db`` anywhere in ``text``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}{m['at']}", text)


def _walk(value: Any, path: str, secret: bool) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of every leaf under a secret name."""
    if isinstance(value, Mapping):
        if ENCRYPTED in value and len(value) == 1:
            if secret:
                yield path, value
            return
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key), secret or is_secret_name(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", secret)
    elif secret and value is not None:
        yield path, value


def remember_secret_values(*values: Any) -> None:
    """Remember every value under a secret name (and URL passwords) for by-value redaction."""
    for value in values:
        for _path, leaf in _walk(value, "", False):
            if isinstance(leaf, str | int | float) and not isinstance(leaf, bool):
                remember_secret(str(leaf))
        for text in _strings(value):
            for match in _URL_PASSWORD.finditer(text):
                remember_secret(match["password"])


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _fernet() -> Any:
    key = os.environ.get(KEY_ENV)
    if not key:
        return None
    from cryptography.fernet import Fernet

    try:
        return Fernet(key.encode())
    except ValueError as exc:
        raise ApplicationError(f"{KEY_ENV} is not a valid Fernet key (32 url-safe base64-encoded bytes): {exc}") from exc


def protect_secret_values(value: Any, *, secret: bool = False) -> Any:
    """A copy for storage: values under secret names encrypted (with ``METALUS_SECRET_KEY``) or REDACTED."""
    fernet = _fernet()
    return _protect(value, secret, fernet)


def _protect(value: Any, secret: bool, fernet: Any) -> Any:
    if isinstance(value, Mapping):
        if ENCRYPTED in value and len(value) == 1:
            return dict(value)
        return {key: _protect(item, secret or is_secret_name(key), fernet) for key, item in value.items()}
    if isinstance(value, list):
        return [_protect(item, secret, fernet) for item in value]
    if not secret or value is None or value == REDACTED:
        return value
    if fernet is None:
        return REDACTED
    import json

    return {ENCRYPTED: fernet.encrypt(json.dumps(str.__str__(value) if isinstance(value, str) else value)
                                      .encode()).decode()}


def restore_secret_values(value: Any, given: Mapping[str, Any], *, where: str, fallback: Any = None) -> Any:
    """The stored ``value`` with encrypted secrets decrypted; REDACTED ones must be in ``given``.

    Args:
        value: stored globals, parameters or a whole application document.
        given: what the caller gives again (command-line parameters); their names cover the
            missing values of the same name.
        where: what is being restored, for the message.
        fallback: the same document as submitted again (``metalus run --run-id`` of a recorded
            run): a redacted value found at the same place in it is taken from there.

    Raises:
        MissingSecretsError: secret values stored redacted (no key) and not given again.
    """
    fernet = _fernet()
    missing: list[str] = []
    restored = _restore(value, "", fernet, given, missing, fallback)
    if missing:
        names = sorted(dict.fromkeys(missing))
        raise MissingSecretsError(
            f"{where} needs secret values that were not stored in clear: {', '.join(names)}; give them again "
            f"({' '.join(f'--{n.rsplit(chr(46), 1)[-1]} VALUE' for n in names)}) or set {KEY_ENV} so they are "
            "stored encrypted", names=names)
    remember_secret_values(restored)
    return restored


def _restore(value: Any, path: str, fernet: Any, given: Mapping[str, Any], missing: list[str],
             fallback: Any = None) -> Any:
    if isinstance(value, Mapping):
        if ENCRYPTED in value and len(value) == 1:
            if fernet is None:
                if _usable(fallback):
                    return fallback
                if path.rsplit(".", 1)[-1] not in given:
                    missing.append(path)
                return REDACTED
            import json

            from cryptography.fernet import InvalidToken

            try:
                return json.loads(fernet.decrypt(str(value[ENCRYPTED]).encode()))
            except InvalidToken as exc:
                raise ApplicationError(f"{path}: the stored secret cannot be decrypted with {KEY_ENV} "
                                       "(a different key?)") from exc
        return {key: _restore(item, f"{path}.{key}" if path else str(key), fernet, given, missing,
                              fallback.get(key) if isinstance(fallback, Mapping) else None)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_restore(item, f"{path}[{index}]", fernet, given, missing,
                         fallback[index] if isinstance(fallback, list) and index < len(fallback) else None)
                for index, item in enumerate(value)]
    if value == REDACTED and is_secret_name(path.rsplit(".", 1)[-1].split("[")[0]):
        if _usable(fallback):
            return fallback
        if path.rsplit(".", 1)[-1] not in given:
            missing.append(path)
    return value


def _usable(fallback: Any) -> bool:
    return fallback is not None and fallback != REDACTED and not isinstance(fallback, Mapping | list)
