"""One test per exit code of `harness` (README, `harness --help`): each meaning is distinct."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import cli
from harness.errors import EXIT_INTERNAL, EXIT_STACK, EXIT_USAGE
from tests.run.conftest import start_harness

GREEN = """\
name: tiny-green
title: "A tiny run that meets its SLOs"
duration: 4s
agent: {profile: hardened}
load: {users: 2, spawn_rate: 2, tenants: [acme], mix: {chat: 1}, think_time: 200ms}
slos:
  requests: ">= 2"
"""
MISSED = GREEN.replace("tiny-green", "tiny-missed").replace('">= 2"', '">= 100000"')
NEVER_HEALTHY = """\
name: never-healthy
title: "An agent that never answers its health check"
duration: 4s
agent:
  command: "python3 -c 'import time; time.sleep(600)' --port {port}"
  start_timeout: 3s
slos:
  requests: ">= 1"
"""


def _run(tmp_path: Path, name: str, text: str, *extra: str) -> tuple[int, str, Path]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "reports"
    proc = start_harness("run", str(path), "--out", str(out), "--quiet", "--no-prometheus",
                         *extra, cwd=tmp_path)
    output, _ = proc.communicate(timeout=300)
    return proc.returncode, output.decode(), out


def test_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130 "):
        assert f"\n  {code}" in text


@pytest.mark.integration
def test_0_when_every_slo_is_met(tmp_path: Path) -> None:
    code, output, _ = _run(tmp_path, "tiny-green", GREEN)
    assert code == 0, output


@pytest.mark.integration
def test_1_when_an_slo_is_missed(tmp_path: Path) -> None:
    code, output, _ = _run(tmp_path, "tiny-missed", MISSED)
    assert code == 1, output
    assert "requests >= 100000" in output


def test_2_for_a_bad_scenario_and_for_bad_usage(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\ntitle: x\nduration: 5q\n", encoding="utf-8")
    assert cli.main(["validate", str(bad)]) == EXIT_USAGE
    assert "bad.yaml:3:11: duration: invalid duration" in capsys.readouterr().out
    assert cli.main(["run", str(bad), "--time-scale", "0"]) == EXIT_USAGE
    assert "--time-scale must be > 0" in capsys.readouterr().err


@pytest.mark.integration
def test_3_when_the_agent_never_becomes_healthy_and_nothing_is_left(tmp_path: Path) -> None:
    code, output, out = _run(tmp_path, "never-healthy", NEVER_HEALTHY)
    assert code == EXIT_STACK, output
    # The command, the health URL tried, the last answer and the tail of the agent's log.
    assert "agent:" in output and "/healthz not healthy within 3s" in output
    assert "last answer: ConnectError" in output and "time.sleep(600)" in output
    (run,) = out.iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "rig_failed"
    assert not (run / "slo.json").exists()


def test_4_for_an_internal_error_with_a_traceback_in_a_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import harness.commands.validate as validate

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug in the harness")

    monkeypatch.setattr(validate, "load_scenario", broken)
    path = tmp_path / "ok.yaml"
    path.write_text(GREEN, encoding="utf-8")
    assert cli.main(["validate", str(path)]) == EXIT_INTERNAL
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err  # one line, not a traceback
    assert err.startswith("error: internal error: ZeroDivisionError: a bug in the harness")
    log = Path(err.rsplit("(traceback: ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text() and "broken" in log.read_text()


@pytest.mark.integration
def test_4_inside_a_run_keeps_the_traceback_in_the_runs_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import harness.run.runner as runner

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug while concluding")

    monkeypatch.setattr(runner, "_conclude", broken)
    path = tmp_path / "tiny-green.yaml"
    path.write_text(GREEN, encoding="utf-8")
    out = tmp_path / "reports"
    code = cli.main(["run", str(path), "--out", str(out), "--quiet", "--no-prometheus"])
    assert code == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "error: internal error: KeyError" in err
    (run,) = out.iterdir()
    assert "Traceback" in (run / "logs" / "harness.log").read_text()
    assert json.loads((run / "run.json").read_text())["status"] == "error"
