"""`harness validate` and `harness list` as a user runs them (subprocess)."""

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_validate_good_files_exit_0():
    result = harness("validate", str(FIXTURES / "good-hiccup.yaml"),
                     str(FIXTURES / "good-own-agent.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"ok  {FIXTURES / 'good-hiccup.yaml'}",
                                          f"ok  {FIXTURES / 'good-own-agent.yaml'}"]


def test_validate_directory_with_bad_files_exit_2_and_prints_each_problem():
    result = harness("validate", str(FIXTURES))
    assert result.returncode == 2
    assert f"ok  {FIXTURES / 'good-hiccup.yaml'}" in result.stdout
    assert f"{FIXTURES / 'unknown-key.yaml'}:6:3: load.thinktime: unknown key" in result.stdout
    assert f"{FIXTURES / 'syntax-error.yaml'}:6:5: YAML syntax error" in result.stdout
    assert "scenario file(s) invalid" in result.stderr


def test_validate_missing_file_exit_2():
    result = harness("validate", str(FIXTURES / "does-not-exist.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stdout


def test_list_prints_a_table_of_good_scenarios_and_problems_of_bad_ones():
    result = harness("list", str(FIXTURES))
    assert result.returncode == 2  # some fixtures are bad on purpose
    assert "claude-api-hiccup" in result.stdout
    assert "http_error, latency, crash" in result.stdout
    assert "naive: fail, hardened: pass" in result.stdout
    assert "many-problems.yaml:1:7: name:" in result.stderr


def test_list_of_one_good_file_exit_0():
    result = harness("list", str(FIXTURES / "good-own-agent.yaml"))
    assert result.returncode == 0, result.stderr
    assert "my-agent-smoke" in result.stdout and "own: pass" in result.stdout
