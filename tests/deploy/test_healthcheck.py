"""deploy/healthcheck.sh, the images' HEALTHCHECK, run by bash against loopback servers."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.http_thread import serving

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "healthcheck.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.fixture
def server() -> Iterator[tuple[dict[str, Any], int]]:
    """Answers GET with answer["status"] and records the paths asked for."""
    answer: dict[str, Any] = {"status": 200, "paths": []}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # as uvicorn answers an HTTP/1.0 request

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            answer["paths"].append(self.path)
            self.send_response(answer["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(Handler) as port:
        yield answer, port


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=30)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def test_200_is_healthy_and_the_path_is_the_one_asked_for(server) -> None:
    answer, port = server
    assert _check(str(port), "/_control/health").returncode == 0
    assert answer["paths"] == ["/_control/health"]


def test_another_status_is_unhealthy_and_says_what_came_back(server) -> None:
    answer, port = server
    answer["status"] = 503
    done = _check(str(port), "/healthz")
    assert done.returncode == 1
    assert "/healthz" in done.stderr and "503" in done.stderr


def test_a_closed_port_is_unhealthy_with_or_without_a_path() -> None:
    port = str(_closed_port())
    assert _check(port, "/healthz").returncode != 0
    assert _check(port).returncode != 0


def test_without_a_path_an_accepted_connection_is_enough(server) -> None:
    answer, port = server
    assert _check(str(port)).returncode == 0
    assert answer["paths"] == []
    assert _check().returncode != 0  # no port: a usage error, not healthy


def test_every_python_service_checks_health_without_starting_python() -> None:
    """Python costs ~0.25 s of CPU per check (docs/compose.md): the compose file and the
    Dockerfiles use the script, and the images install it where the checks call it."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        test = (service.get("healthcheck") or {}).get("test") or []
        assert not any("python" in str(part) for part in test), name
    for name in ("agent", "tools", "fake-llm"):
        text = (ROOT / "deploy" / f"{name}.Dockerfile").read_text()
        assert "COPY deploy/healthcheck.sh /usr/local/bin/healthcheck" in text, name
        check = re.search(r"^HEALTHCHECK .*\n(.*)$", text, re.MULTILINE)
        assert check and "healthcheck" in check.group(1) and "python" not in check.group(1)
    assert "!deploy/healthcheck.sh" in (ROOT / ".dockerignore").read_text().splitlines()
