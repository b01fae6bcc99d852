"""What the real HTTP client (Locust's FastHttpSession) raises reads as a person would write
it: a timeout, a reset, a closed connection, a non-HTTP answer, a refused connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_real_client_failures_map_to_the_vocabulary() -> None:
    probe = Path(__file__).with_name("client_errors_probe.py")
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                          timeout=120, check=True)
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert seen == {"silent": "Timeout", "reset": "ConnectionReset",
                    "close": "ConnectionClosed", "garbage": "BadResponse",
                    "refused": "ConnectionRefused"}, done.stderr[-2000:]
