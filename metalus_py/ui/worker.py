"""``python -m metalus_py.ui.worker``: resume one recorded run, the request read as JSON from stdin.

Started by :class:`~metalus_py.ui.launch.Launcher` for the monitor's resume and retrigger
buttons. Exit code as ``metalus resume``: 0 complete, 1 failed, 2 bad request, 3 paused, 4 killed.
"""

from __future__ import annotations

import json
import logging
import sys


def main() -> int:
    """Read ``{"state", "runId", "parameters"}`` from stdin and resume that run."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    from metalus_py.base.exceptions import ApplicationError
    from metalus_py.durable.options import RunOptions
    from metalus_py.durable.session import resume_run
    from metalus_py.state import open_store

    request = json.loads(sys.stdin.read())
    store = open_store(request["state"], must_exist=True)
    if store is None:
        return 2
    try:
        result = resume_run(store, request["runId"], request.get("parameters") or {}, options=RunOptions())
        return int(result.exit_code)
    except ApplicationError as exc:
        print(f"metalus ui worker: run {request['runId']}: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
