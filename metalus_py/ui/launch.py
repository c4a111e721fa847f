"""Running ``resume`` and ``retrigger`` in a separate process, so the monitor stays responsive.

The request goes to ``python -m metalus_py.ui.worker`` on its standard input as JSON (the state
URL, possibly with a password, and any secret given again never appear in a command line). The
child gets its own session, so stopping the monitor does not stop the runs it started.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

_LOG = logging.getLogger("metalus_py.ui")


class Launcher:
    """Starts worker processes and reaps them when they end."""

    def __init__(self, state_url: str) -> None:
        self.state_url = state_url
        self._lock = threading.Lock()
        self.children: list[subprocess.Popen[bytes]] = []

    def resume(self, run_id: str, parameters: Mapping[str, Any]) -> subprocess.Popen[bytes]:
        """Resume ``run_id`` (a retrigger's new run too) in a new process."""
        request = {"state": self.state_url, "runId": run_id, "parameters": dict(parameters)}
        child = subprocess.Popen([sys.executable, "-m", "metalus_py.ui.worker"], stdin=subprocess.PIPE,
                                 start_new_session=True)
        assert child.stdin is not None
        child.stdin.write(json.dumps(request).encode())
        child.stdin.close()
        with self._lock:
            self.children.append(child)
        threading.Thread(target=self._reap, args=(child, run_id), daemon=True).start()
        return child

    def _reap(self, child: subprocess.Popen[bytes], run_id: str) -> None:
        code = child.wait()
        _LOG.info("run %s: worker process %s ended with exit code %s", run_id, child.pid, code)
        with self._lock:
            self.children.remove(child)
