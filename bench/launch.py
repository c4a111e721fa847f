"""Time one command from a small launcher: ``python -m bench.launch CMD [ARGS...]``.

Linux's ``ru_maxrss`` of a child is floored at the RSS its parent had when it forked, so the
harness (which may be large) does not spawn measured commands itself: this launcher (a bare
interpreter, ~10 MB) does, and prints ``{"wall": seconds, "rssMb": peak}`` from ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"wall": wall, "rssMb": usage.ru_maxrss / 1024, "exit": code}), flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
