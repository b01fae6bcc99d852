"""`harness init` without processes: its usage errors, and the starter it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cli
from harness.errors import EXIT_USAGE
from harness.init.starter import (
    Findings,
    round_up_s,
    round_up_usd,
    scenario_name,
    starter_scenario,
)


def _findings(**changes: object) -> Findings:
    base = dict(command="python my_agent.py --port {port}", url=None, health="/healthz",
                healthy_after_s=1.2, preset="harness", stream="none", replies=4,
                slowest_s=0.4, first_token_s=None, cost_per_reply_usd=0.0021, llm_calls=4)
    return Findings(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "says"), [
    (["--command", "python a.py"], "must contain {port}"),
    (["--command", "python 'a.py --port {port}"], "cannot be parsed"),
    (["--url", "http://10.0.0.8:8000"], "must be http(s) on loopback"),
    (["--url", "http://127.0.0.1"], "needs a port"),
    (["--url", "http://127.0.0.1:8000/v1/chat"], "without a path"),
    (["--url", "http://127.0.0.1:8000", "--health", "healthz"], "must be a path starting"),
    (["--url", "http://127.0.0.1:8000", "--preset", "grpc"], "allowed: harness, openai-chat"),
    (["--url", "http://127.0.0.1:8000", "--start-timeout", "soon"], "--start-timeout"),
])
def test_bad_arguments_exit_2_naming_the_problem(
        argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", *argv, "--out", str(tmp_path / "x.yaml")]) == EXIT_USAGE
    assert says in capsys.readouterr().err


def test_neither_command_nor_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["init"])
    assert exc.value.code == EXIT_USAGE


def test_an_existing_file_is_kept_without_force(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("my own work\n")
    code = cli.main(["init", "--url", "http://127.0.0.1:9", "--out", str(out)])
    assert code == EXIT_USAGE
    assert "exists; give --force" in capsys.readouterr().err
    assert out.read_text() == "my own work\n"


def test_objectives_are_round_and_above_what_was_measured() -> None:
    assert round_up_s(1.37) == 1.5 and round_up_s(0.1) == 0.25 and round_up_s(61) == 61
    assert round_up_usd(0.00213) == "$0.0022" and round_up_usd(0.02) == "$0.020"
    assert round_up_usd(3.4) == "$3.4"


def test_names_come_from_the_script_or_module() -> None:
    assert scenario_name("python travel_agent.py --port {port}", None) == "travel-agent"
    assert scenario_name("python -m my_pkg.server --port {port}", None) == "my-pkg-server"
    assert scenario_name("uvicorn app:api --port {port}", None) == "uvicorn"
    assert scenario_name(None, "http://127.0.0.1:8000") == "agent-8000"


def test_the_command_starter_has_the_four_phases_and_fitting_slos() -> None:
    text, scenario = starter_scenario(_findings(), "my-agent", 60, "my-agent.yaml")
    assert [f.kind for f in scenario.faults] == ["http_error", "latency", "loop"]
    assert scenario.faults[0].at > 0  # a baseline before the first fault
    assert scenario.faults[-1].end() < scenario.duration  # and a recovery after the last
    assert scenario.slos["latency_p95[during=baseline]"] == "<= 1.5s"  # 3 x 0.4s, rounded up
    assert scenario.slos["cost_per_request"] == "<= $0.0063"  # 3 x $0.0021
    assert not any(name.startswith("ttft") for name in scenario.slos)
    assert scenario.expect == {"own": "pass"}
    assert "# Measured: 4 probe replies: slowest 0.40s" in text


def test_a_streaming_agent_gets_a_ttft_objective() -> None:
    _, scenario = starter_scenario(_findings(preset="openai-chat", stream="sse",
                                             first_token_s=0.3), "s", 60, "s.yaml")
    assert scenario.agent.api.stream == "sse"
    assert scenario.slos["ttft_p95[during=baseline]"] == "<= 1s"


def test_an_agent_calling_no_fake_llm_gets_no_cost_slo_and_a_comment() -> None:
    text, scenario = starter_scenario(_findings(cost_per_reply_usd=None, llm_calls=0), "q",
                                      60, "q.yaml")
    assert "cost_per_request" not in scenario.slos
    assert "does your client read ANTHROPIC_BASE_URL?" in text


def test_a_url_starter_has_only_faults_that_reach_a_running_agent() -> None:
    text, scenario = starter_scenario(
        _findings(command=None, url="http://127.0.0.1:8000", cost_per_reply_usd=None,
                  llm_calls=0), "agent-8000", 60, "u.yaml")
    assert scenario.agent.url == "http://127.0.0.1:8000"
    assert {f.target for f in scenario.faults} == {"agent"}
    assert "cost_per_request" not in scenario.slos
    assert "harness init --command" in text


def test_a_command_with_quotes_survives_the_yaml() -> None:
    command = """python -c 'import a; a.run("x")' --port {port}"""
    _, scenario = starter_scenario(_findings(command=command), "q", 60, "q.yaml")
    assert scenario.agent.command == command


def test_the_starter_load_config_builds_for_borrowed_reference_tenants(tmp_path: Path) -> None:
    """An own agent without `tenants` borrows the reference ones; load sent by only some of
    them must not carry the data of the others (the load refuses unknown tenants)."""
    from harness.load.config import LoadConfig
    from harness.targets import load_fields, target_for

    _, scenario = starter_scenario(_findings(), "my-agent", 60, "my-agent.yaml")
    target = target_for(scenario.agent, "own", scenario.seed)
    senders = list(scenario.load.tenants)
    fields = load_fields(target, senders)
    assert set(fields["order_ids"]) == set(senders) == {"acme", "globex"}
    assert "initech" in fields["canaries"]  # a leak into a silent tenant still counts
    keys = {name: t.key for name, t in target.tenants().items() if name in senders}
    LoadConfig(target_url="http://127.0.0.1:9", users=1, spawn_rate=1, run_time_s=1, seed=1,
               tenants=keys, records_dir=tmp_path, **fields)
