"""Fixtures for the agents suite: the fake LLM and the agents as real processes on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.netutil import free_port

REPO = Path(__file__).resolve().parents[2]
AGENTS = REPO / "agents"
START_TIMEOUT_S = 120.0  # the frameworks import slowly on a busy 2-core machine


def suite_env(**extra: str) -> dict[str, str]:
    """The environment of an agent process: this venv's python first on PATH (the suite's
    commands say `python agents/...`), the tree under test importable."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FakeLLM:
    """`harness serve fake-llm` as a process, seen through its control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.url}/_control/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def ledger(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "ledger").json()["calls"])

    def set_behaviour(self, **fields: Any) -> None:
        self._control("PUT", "behaviour", json=fields)

    def reset(self) -> None:
        self._control("DELETE", "ledger")
        self._control("DELETE", "behaviour")


@pytest.fixture(scope="module")
def fake_llm_process() -> Iterator[FakeLLM]:
    """One fake LLM per module: it starts slowly on a busy machine, and tests reset it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "fake-llm", "--port", "0", "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=suite_env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()  # the first line names the address
        assert line.startswith("listening on "), f"fake LLM said {line!r}"
        yield FakeLLM(line.removeprefix("listening on "))
    finally:
        stop(proc)


@pytest.fixture
def fake_llm(fake_llm_process: FakeLLM) -> FakeLLM:
    fake_llm_process.reset()
    return fake_llm_process


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url} exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url}/healthz not healthy in {START_TIMEOUT_S:.0f}s: "
                         f"{log.read_text()[-2000:]}")


StartAgent = Callable[..., str]


@pytest.fixture
def start_agent(tmp_path: Path, fake_llm: FakeLLM) -> Iterator[StartAgent]:
    """start_agent(name, *args, **env) -> the URL of agents/<name>.py, healthy, on the fake."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str, **env: str) -> str:
        port = free_port()
        log = tmp_path / f"{name}-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(AGENTS / f"{name}.py"), "--port", str(port), *args],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                env=suite_env(ANTHROPIC_BASE_URL=fake_llm.url, ANTHROPIC_API_KEY="test-key",
                              **env))
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        return url

    try:
        yield start
    finally:
        for proc in procs:
            stop(proc)
