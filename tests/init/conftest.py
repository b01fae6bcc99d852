from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

AGENTS = Path(__file__).parent / "agents"


@dataclass
class Result:
    code: int
    output: str


@pytest.fixture
def agent_script(tmp_path: Path):
    """A copy of a test agent under tmp_path, so its processes can be found by path."""

    def copy(name: str) -> Path:
        target = tmp_path / "agents" / name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(AGENTS / name, target)
        return target

    return copy


def harness(*args: str, cwd: Path, timeout_s: float = 400) -> Result:
    """`harness ARGS` in a subprocess whose temporary files (the probe's stack) go under
    `cwd`, so that `left_running(cwd)` finds any process it left behind."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(cwd)}
    proc = subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout_s,
                          check=False)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"))


def left_running(folder: Path) -> list[str]:
    """Command lines of live processes that mention `folder` (agents, the stack's servers)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(folder) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(cmdline)
        except psutil.Error:
            continue
    return found
