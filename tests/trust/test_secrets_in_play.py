"""The secret filters skip their walk only while no secret can exist, never after one did."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
from metalus_py.base.secrets import REDACTED, Secret, redact_known, secrets_in_play
from metalus_py.state._sqlcore import dumps

document = {"rows": [{"token": "tok-123456"}]}
assert not secrets_in_play()
assert redact_known(document) is document
before = dumps(document)
token = Secret("tok-123456")
assert secrets_in_play()
assert redact_known(document) == {"rows": [{"token": REDACTED}]}
assert redact_known({"held": token}) == {"held": REDACTED}
assert "tok-123456" not in dumps(document) and "tok-123456" in before
print("ok")
"""


def test_filters_walk_as_soon_as_a_secret_exists() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
