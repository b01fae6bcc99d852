"""The reference agent is an ordinary agent: it imports nothing from the harness."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import reference_agent
from reference_agent.netutil import bind_loopback, is_loopback

PACKAGE = Path(reference_agent.__file__).parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_the_agent_imports_the_harness() -> None:
    offenders = {str(p.relative_to(PACKAGE)): sorted(n for n in _imported(p)
                                                     if n.split(".")[0] == "harness")
                 for p in PACKAGE.rglob("*.py")}
    assert {p: n for p, n in offenders.items() if n} == {}


def test_importing_every_module_loads_no_harness_module() -> None:
    code = (
        "import importlib, pkgutil, sys, reference_agent\n"
        "for m in pkgutil.walk_packages(reference_agent.__path__, 'reference_agent.'):\n"
        "    if m.name != 'reference_agent.tools.store_postgres':  # needs psycopg, optional\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'harness'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "localhost", "::1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "example.com", ""])
def test_binding_anything_but_loopback_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        bind_loopback(host, 0)


def test_port_zero_resolves_before_the_announcement() -> None:
    with bind_loopback("127.0.0.1", 0) as sock:
        assert sock.getsockname()[1] > 0
