"""Who may use the monitor: the token, the login cookie, the same-origin rule and the access log.

* With a token, every request must carry it: ``Authorization: Bearer T`` (API clients) or the
  cookie that ``/login?token=T`` sets (browsers; it then redirects so the token leaves the
  address bar). Anything else is answered 401.
* Mutating requests (anything but GET/HEAD/OPTIONS) coming from a browser page of another site
  (``Sec-Fetch-Site: cross-site``/``same-site``, or an ``Origin`` that is not this server) are
  refused with 403, token or not.
* The access log is written here (uvicorn's own is turned off) and never shows a query string,
  so ``/login?token=T`` is logged as ``/login``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote

COOKIE = "metalus_ui_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("metalus_py.ui.access")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


async def _answer(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
                  ) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class Guard:
    """ASGI middleware applying the rules of the module docstring, and writing the access log."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token or None

    def _valid(self, given: str | None) -> bool:
        return self.token is not None and given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def _authorised(self, headers: dict[str, str]) -> bool:
        if self.token is None:
            return True
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self._valid(value.strip()):
            return True
        cookie = _cookies(headers.get("cookie", "")).get(COOKIE)
        return self._valid(unquote(cookie) if cookie is not None else None)

    @staticmethod
    def _cross_site(scope: Scope, headers: dict[str, str]) -> bool:
        if scope.get("method", "GET") in SAFE_METHODS:
            return False
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return True
        origin = headers.get("origin")
        if origin is None:
            return False
        scheme = "https" if scope.get("scheme") == "https" else "http"
        return origin.rstrip("/") != f"{scheme}://{headers.get('host', '')}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status_seen: list[int] = []

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(int(message["status"]))
            await send(message)

        try:
            await self._dispatch(scope, receive, logging_send)
        finally:
            client = scope.get("client") or ("-", 0)
            access_log.info('%s "%s %s" %s %.0fms', client[0], scope.get("method"), scope.get("path"),
                            status_seen[0] if status_seen else "-", (time.monotonic() - started) * 1000)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        if scope.get("path") == "/login":
            await self._login(scope, send)
            return
        if not self._authorised(headers):
            if "text/html" in headers.get("accept", ""):  # a person at a browser
                page = (b"<!doctype html><title>metalus: token required</title><body style='font-family:sans-serif'>"
                        b"<h1>A token is required</h1><p>Open <code>/login?token=TOKEN</code> once with the token "
                        b"the monitor was started with (<code>--token</code> or <code>METALUS_UI_TOKEN</code>).</p>")
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                        (b"content-length", str(len(page)).encode()), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": page})
                return
            await _answer(send, 401, {"error": "a token is required: send 'Authorization: Bearer TOKEN', "
                                               "or open /login?token=TOKEN in the browser"},
                          [(b"www-authenticate", b"Bearer")])
            return
        if self._cross_site(scope, headers):
            await _answer(send, 403, {"error": "cross-site request refused (Origin/Sec-Fetch-Site is not this server)"})
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [None])[0]
        if self.token is not None and not self._valid(given):
            await _answer(send, 401, {"error": "wrong or missing token"})
            return
        cookie = f"{COOKIE}={quote(given or '', safe='')}; Path=/; HttpOnly; SameSite=Strict" if self.token else ""
        headers = [(b"location", b"/"), (b"cache-control", b"no-store"),
                   (b"referrer-policy", b"no-referrer")]
        if cookie:
            headers.append((b"set-cookie", cookie.encode("latin-1")))
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
