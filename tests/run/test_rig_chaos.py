"""Chaos of the rig itself: a dependency of the agent killed, frozen, or the run directory's
disk full. Each ends the run as a rig failure (exit 3) naming the process, with no verdict,
no process or toxic left behind, and the records up to that point intact."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.requires import skip_or_fail
from tests.run.conftest import descendants
from tests.run.rig import (
    LONG,
    PYTHON,
    assert_nothing_left,
    find_child,
    records,
    run_dir,
    status,
    wait_for_load,
)

pytestmark = pytest.mark.integration


def _start(tmp_path: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    path = tmp_path / "long-quiet.yaml"
    path.write_text(LONG, encoding="utf-8")
    return subprocess.Popen([PYTHON, "-m", "harness", "run", str(path), "--out", str(out),
                             "--quiet", *extra], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _broken_rig(proc: subprocess.Popen[bytes], out: Path, children: list) -> str:
    output, _ = proc.communicate(timeout=120)
    text = output.decode()
    assert proc.returncode == 3, text
    assert "rig failure: no verdict" in text
    assert_nothing_left(children)
    assert status(out) == "rig_failed"
    assert not (run_dir(out) / "slo.json").exists()
    assert records(out), "the records up to the failure are kept"
    for line in (run_dir(out) / "stack_events.jsonl").read_text().splitlines():
        json.loads(line)
    return text


@pytest.mark.parametrize(("process", "words"), [
    ("llm", ("fake-llm", "--region us")),
    ("llm_eu", ("fake-llm", "--region eu")),
    ("tools", ("reference_agent.tools",)),
    ("toxiproxy", ("serve toxiproxy",)),
])
def test_a_dependency_killed_mid_run_is_a_rig_failure(tmp_path: Path, process: str,
                                                      words: tuple[str, ...]) -> None:
    out = tmp_path / "reports"
    proc = _start(tmp_path, out, "--no-prometheus")
    wait_for_load(out)
    children = descendants(proc.pid)
    find_child(proc.pid, *words).send_signal(signal.SIGKILL)
    text = _broken_rig(proc, out, children)
    assert f"error: {process}: died unexpectedly" in text


def test_prometheus_killed_mid_run_is_a_rig_failure(tmp_path: Path) -> None:
    if not any((Path(d) / "prometheus").exists() for d in os.environ["PATH"].split(":")):
        skip_or_fail("`prometheus` is not installed")
    out = tmp_path / "reports"
    proc = _start(tmp_path, out, "--prometheus")
    wait_for_load(out)
    children = descendants(proc.pid)
    find_child(proc.pid, "prometheus", "--config.file").send_signal(signal.SIGKILL)
    assert "error: prometheus: died unexpectedly" in _broken_rig(proc, out, children)


def test_a_frozen_dependency_is_a_rig_failure(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = _start(tmp_path, out, "--no-prometheus")
    wait_for_load(out)
    children = descendants(proc.pid)
    find_child(proc.pid, "reference_agent.tools").send_signal(signal.SIGSTOP)
    text = _broken_rig(proc, out, children)
    assert "error: tools: failed 4 health checks in a row" in text


def test_a_full_disk_is_a_rig_failure(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        skip_or_fail("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        out = disk / "reports"
        proc = _start(tmp_path, out, "--no-prometheus")
        wait_for_load(out)
        children = descendants(proc.pid)
        try:  # take everything that is left (the run may have filled it already)
            with (disk / "filler").open("wb") as fh:
                while True:
                    fh.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        output, _ = proc.communicate(timeout=120)
        text = output.decode()
        assert proc.returncode == 3, text
        assert "no space left" in text
        assert_nothing_left(children)
        assert records(out)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
