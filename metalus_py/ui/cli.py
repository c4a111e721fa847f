"""``metalus ui [--state URL] [--host 127.0.0.1] [--port 8765] [--token T]``: serve the monitor.

The token may come from ``METALUS_UI_TOKEN``. Exit 2 (nothing served) for a non-loopback host
without a token, or a state store that cannot be opened (its URL shown with the password masked).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from metalus_py.ui.security import is_loopback

INVALID = 2


def mask_url(url: str) -> str:
    """``scheme://user:***@host/...``: the URL with its password replaced."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metalus ui", description="Serve the live web monitor over a state store.")
    parser.add_argument("--state", default=None, help="state store URL (default: METALUS_STATE, else .metalus/state.db)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--token", default=None, help="require this token (default: METALUS_UI_TOKEN)")
    return parser


def main(argv: list[str]) -> int:
    """Entry point of ``metalus ui``."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    token = args.token or os.environ.get("METALUS_UI_TOKEN") or None
    if not is_loopback(args.host) and not token:
        print(f"metalus ui: refusing to serve on {args.host} without a token: give --token T or set "
              "METALUS_UI_TOKEN (or bind to 127.0.0.1)", file=sys.stderr)
        return INVALID
    url = args.state if args.state is not None else os.environ.get("METALUS_STATE", "")
    if url.strip().lower() == "none":
        print("metalus ui: needs a state store (not --state none)", file=sys.stderr)
        return INVALID
    from metalus_py.state import open_store

    try:
        store = open_store(url)
    except Exception as exc:
        from metalus_py.base.secrets import redact

        password = _password(url)
        message = redact(str(exc), [password]) if password else str(exc)
        print(f"metalus ui: cannot open the state store {mask_url(url) or '(default)'}: {message}", file=sys.stderr)
        return INVALID
    assert store is not None
    try:
        serve(store, host=args.host, port=args.port, token=token, state_url=url or store.url)
    finally:
        store.close()
    return 0


def _password(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password
    except ValueError:
        return None


def serve(store: Any, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          state_url: str | None = None) -> None:
    """Run the monitor with uvicorn until interrupted (uvicorn's access log off: ours hides tokens)."""
    import uvicorn

    from metalus_py.ui.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    app = create_app(store, state_url=state_url, token=token)
    shown = f"[{host}]" if ":" in host else host
    print(f"metalus ui: serving {store.url if hasattr(store, 'url') else ''} on http://{shown}:{port}/"
          + (" (token required: open /login?token=...)" if token else ""), file=sys.stderr, flush=True)
    # Open event streams would hold a shutdown forever: give them a few seconds, then close them.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", timeout_graceful_shutdown=3)
