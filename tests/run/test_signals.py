"""Signals reach the harness however it was started: a background job of a script (SIGINT
ignored by the shell), a new session without a terminal, pytest. Each unwinds the same way:
exit 130 within 15 s, nothing left running, the evidence kept, no verdict."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.run.conftest import descendants, wait_for
from tests.run.rig import LONG, PYTHON, assert_nothing_left, records, status, wait_for_load

pytestmark = pytest.mark.integration


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "long-quiet.yaml"
    path.write_text(LONG, encoding="utf-8")
    return path


def _harness_pid(tmp_path: Path) -> int:
    pid_file = tmp_path / "pid"
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() != "", 30,
             "the harness's pid")
    return int(pid_file.read_text())


def _finish(tmp_path: Path, shell: subprocess.Popen[bytes]) -> tuple[int, str]:
    output, _ = shell.communicate(timeout=60)
    return int((tmp_path / "rc").read_text()), output.decode()


def _background_job(tmp_path: Path, out: Path, launcher: str = "") -> subprocess.Popen[bytes]:
    """`bash -c 'harness run ... &'`: a non-interactive shell starts the job with SIGINT
    ignored, as a CI step or `make ... &` does."""
    script = (f"{launcher} {PYTHON} -m harness run {_scenario(tmp_path)} --out {out} --quiet "
              f"--no-prometheus & echo $! > {tmp_path / 'pid'}; wait $!; echo $? > "
              f"{tmp_path / 'rc'}")
    return subprocess.Popen(["bash", "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _interrupt(tmp_path: Path, launcher: str, sig: signal.Signals, twice: bool = False) -> str:
    out = tmp_path / "reports"
    shell = _background_job(tmp_path, out, launcher)
    pid = _harness_pid(tmp_path)
    wait_for_load(out)
    children = descendants(pid)
    sent = time.monotonic()
    os.kill(pid, sig)
    if twice:
        time.sleep(0.3)
        os.kill(pid, sig)
    rc, output = _finish(tmp_path, shell)
    assert time.monotonic() - sent < 15, output
    assert rc == 130, output
    assert_nothing_left(children)
    assert status(out) == "interrupted"
    assert records(out), "the evidence so far is kept"
    assert not list(out.glob("*/slo.json")), "no verdict it did not earn"
    return output


def test_sigint_reaches_a_background_job_of_a_script(tmp_path: Path) -> None:
    output = _interrupt(tmp_path, "", signal.SIGINT)
    assert "SIGINT: stopping" in output


def test_sigint_reaches_the_harness_in_a_new_session_without_a_terminal(tmp_path: Path) -> None:
    _interrupt(tmp_path, "setsid", signal.SIGINT)


def test_sighup_unwinds_like_sigint(tmp_path: Path) -> None:
    output = _interrupt(tmp_path, "", signal.SIGHUP)
    assert "SIGHUP: stopping" in output


def test_a_second_signal_during_teardown_is_noted_and_teardown_finishes(tmp_path: Path) -> None:
    output = _interrupt(tmp_path, "", signal.SIGINT, twice=True)
    assert "SIGINT again during teardown: noted" in output


def test_sigint_under_pytest_tears_the_run_down(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "long-quiet.yaml").write_text(
        LONG + "expect: {hardened: pass}\n", encoding="utf-8")
    out = tmp_path / "reports"
    script = (f"{PYTHON} -m pytest -p no:cacheprovider -q scenarios --harness-out {out} & "
              f"echo $! > {tmp_path / 'pid'}; wait $!; echo $? > {tmp_path / 'rc'}")
    shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pid = _harness_pid(tmp_path)
    wait_for_load(out)
    children = descendants(pid)
    sent = time.monotonic()
    os.kill(pid, signal.SIGINT)
    rc, output = _finish(tmp_path, shell)
    assert time.monotonic() - sent < 15, output
    assert rc == pytest.ExitCode.INTERRUPTED, output
    assert_nothing_left(children)
    assert status(out) == "interrupted"
