"""The loader: every error kind names file:line:col, the key, and what is allowed."""

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import FAULT_KINDS, Scenario, load_scenario, load_scenarios, parse_scenario

FIXTURES = Path(__file__).parent / "fixtures"


def problems_of(name: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(FIXTURES / name)
    return [str(p) for p in info.value.problems]


def only_problem(name: str) -> str:
    problems = problems_of(name)
    assert len(problems) == 1, problems
    return problems[0]


def test_good_scenario_loads_with_every_section():
    scenario = load_scenario(FIXTURES / "good-hiccup.yaml")
    assert scenario.name == "claude-api-hiccup"
    assert scenario.duration == 60.0
    assert scenario.agent.profile == "hardened" and scenario.agent.set == {"max_retries": 6}
    assert scenario.load.think_time == pytest.approx(0.1)
    assert scenario.load.attacks is not None and scenario.load.attacks.ratio == 0.2
    assert [f.kind for f in scenario.faults] == ["http_error", "latency", "crash"]
    assert scenario.faults[0].params() == {"status": 529, "probability": 0.3, "first_n": None}
    assert scenario.faults[2].for_ is None
    assert scenario.expect == {"naive": "fail", "hardened": "pass"}
    assert scenario.source == FIXTURES / "good-hiccup.yaml"


def test_own_agent_scenario_loads():
    scenario = load_scenario(FIXTURES / "good-own-agent.yaml")
    assert scenario.agent.kind == "command"
    assert scenario.duration == 90.0
    assert scenario.agent.tenants is not None and scenario.agent.tenants["bank"].region == "eu"


def test_unknown_key_lists_allowed_keys():
    problem = only_problem("unknown-key.yaml")
    assert problem.startswith(f"{FIXTURES / 'unknown-key.yaml'}:6:3: load.thinktime: ")
    assert "unknown key 'thinktime'" in problem
    allowed = ("attacks, mix, prompts, request_timeout, sessions, spawn_rate, tenants, "
               "think_time, users")
    assert f"allowed: {allowed}" in problem


def test_wrong_type_names_the_value():
    problem = only_problem("wrong-type.yaml")
    assert ":5:10: load.users: " in problem
    assert "valid integer" in problem and "'twenty'" in problem


def test_bad_enum_lists_allowed_values():
    problem = only_problem("bad-enum.yaml")
    assert ":4:18: agent.profile: invalid value 'hardend'; allowed: naive, hardened" in problem


def test_bad_duration_shows_accepted_forms():
    problem = only_problem("bad-duration.yaml")
    assert ":3:11: duration: invalid duration '30 seconds'" in problem
    assert "ms, s, m, h" in problem


def test_fault_ending_after_duration_points_at_its_for():
    problem = only_problem("fault-out-of-duration.yaml")
    assert ":6:20: faults[1].for: ends at 70s" in problem
    assert "duration 1m" in problem


def test_fault_starting_after_duration_points_at_its_at():
    text = "name: a\ntitle: t\nduration: 10s\nfaults:\n  - {at: 12s, target: llm, kind: loop}\n"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "x.yaml")
    assert [str(p) for p in info.value.problems] == [
        "x.yaml:5:10: faults[0].at: starts at 12s, not before the end of the scenario "
        "(duration 10s)"]


def test_bad_target_for_kind_lists_allowed_targets():
    problem = only_problem("bad-target.yaml")
    assert ":5:33: faults[0].target: target 'tools' is not valid for kind 'http_error'" in problem
    assert "allowed: llm, llm_eu" in problem


def test_unknown_fault_kind_lists_every_kind():
    text = "name: a\ntitle: t\nduration: 10s\nfaults:\n  - {target: llm, kind: latencyy}\n"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "x.yaml")
    problem = str(info.value.problems[0])
    assert problem.startswith(
        "x.yaml:5:25: faults[0].kind: unknown fault kind 'latencyy'; allowed: ")
    assert problem.endswith(", ".join(FAULT_KINDS))


def test_bad_slo_name_and_objective_both_reported():
    slo = pytest.importorskip("harness.slo")
    assert slo.parse_slo
    problems = problems_of("bad-slo.yaml")
    assert len(problems) == 2
    assert ":5:16: slos.availabilty: " in problems[0] and "availability" in problems[0]
    assert ":6:16: slos.latency_p95: " in problems[1] and "fast please" in problems[1]


def test_yaml_syntax_error_gives_file_and_line():
    problem = only_problem("syntax-error.yaml")
    assert problem.startswith(f"{FIXTURES / 'syntax-error.yaml'}:6:5: YAML syntax error")


def test_duplicate_key_is_a_syntax_error_with_line():
    with pytest.raises(ScenarioError) as info:
        parse_scenario("name: a\ntitle: t\nname: b\nduration: 1s\n", "d.yaml")
    assert str(info.value.problems[0]).startswith("d.yaml:3:1: YAML syntax error")
    assert "duplicate key" in str(info.value.problems[0])


def test_one_file_with_many_problems_reports_them_all():
    problems = problems_of("many-problems.yaml")
    expected = [
        ":1:7: name: invalid name 'Many_Problems'",
        ":6:10: load.users: ",
        ":7:19: load.tenants[1]: unknown tenant 'umbrella'; allowed: acme, globex, initech",
        ":9:44: faults[0].kind: unknown fault kind 'latencyy'",
        ":10:20: faults[1].for: ends at 70s",
        ":13:17: expect.naive: invalid value 'fial'; allowed: pass, fail",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    if _has("harness.slo"):
        assert any(":12:16: slos.availabilty" in p for p in problems)
    if _has("reference_agent.config"):
        assert any(":4:44: agent.set.max_retries: " in p and "lots" in p for p in problems)
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_missing_required_keys_are_named():
    with pytest.raises(ScenarioError) as info:
        parse_scenario("name: a\nseed: 3\n", "m.yaml")
    text = str(info.value)
    assert "m.yaml:1:1: title: missing required key 'title'" in text
    assert "duration: missing required key 'duration'" in text


def test_agent_set_flags_checked_by_the_reference_agent():
    pytest.importorskip("reference_agent.config")
    text = "name: a\ntitle: t\nduration: 1s\nagent: {set: {max_retriez: 3, fail_rate: 2}}\n"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "a.yaml")
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 2
    assert "agent.set.max_retriez: unknown agent flag 'max_retriez'" in problems[0]
    assert "agent.set.fail_rate: agent flag fail_rate" in problems[1]


def test_agent_kinds_are_exclusive_and_url_must_be_loopback():
    text = "name: a\ntitle: t\nduration: 1s\nagent: {url: 'http://example.com:80'}\n"
    with pytest.raises(ScenarioError, match=r"a.yaml:4:8: agent: `url` .* loopback"):
        parse_scenario(text, "a.yaml")
    text = "name: a\ntitle: t\nduration: 1s\nagent: {profile: naive, command: 'x {port}'}\n"
    with pytest.raises(ScenarioError, match="reference agent only"):
        parse_scenario(text, "a.yaml")


def test_process_fault_needs_a_process_we_own():
    text = ("name: a\ntitle: t\nduration: 10s\nagent: {url: 'http://127.0.0.1:9'}\n"
            "faults:\n  - {target: agent, kind: freeze}\nexpect: {own: pass}\n")
    with pytest.raises(ScenarioError, match=r"faults\[0\].target: kind 'freeze' needs a process"):
        parse_scenario(text, "a.yaml")


def test_expect_keys_fit_the_agent():
    text = "name: a\ntitle: t\nduration: 10s\nagent: {command: 'x {port}'}\nexpect: {naive: fail}\n"
    with pytest.raises(ScenarioError, match=r"expect.naive: .*allowed: own"):
        parse_scenario(text, "a.yaml")


def test_unreadable_and_empty_files(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ScenarioError, match="empty file"):
        load_scenario(empty)
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(tmp_path / "list.yaml")


def test_load_scenarios_collects_problems_of_every_file(tmp_path):
    for name in ("wrong-type.yaml", "bad-enum.yaml", "good-hiccup.yaml"):
        (tmp_path / name).write_text((FIXTURES / name).read_text())
    with pytest.raises(ScenarioError) as info:
        load_scenarios([tmp_path])
    files = {Path(p.file).name for p in info.value.problems}
    assert files == {"wrong-type.yaml", "bad-enum.yaml"}
    (tmp_path / "wrong-type.yaml").unlink()
    (tmp_path / "bad-enum.yaml").unlink()
    assert [s.name for s in load_scenarios([tmp_path])] == ["claude-api-hiccup"]


def test_scaled_multiplies_the_timeline_only():
    scenario = load_scenario(FIXTURES / "good-hiccup.yaml")
    half = scenario.scaled(0.5)
    assert half.duration == 30.0
    assert [(f.at, f.for_) for f in half.faults] == [(7.5, 10.0), (20.0, 5.0), (25.0, None)]
    assert half.load.think_time == scenario.load.think_time
    assert half.load.request_timeout == scenario.load.request_timeout
    assert half.faults[1].params() == scenario.faults[1].params()
    assert scenario.duration == 60.0  # the original is unchanged
    with pytest.raises(ValueError):
        scenario.scaled(0)


def test_yaml_dict_loads_back_to_the_same_scenario():
    import io

    from ruamel.yaml import YAML

    scenario = load_scenario(FIXTURES / "good-hiccup.yaml")
    buffer = io.StringIO()
    YAML(typ="safe").dump(scenario.to_yaml_dict(), buffer)
    again = parse_scenario(buffer.getvalue(), "dump.yaml")
    assert again.model_dump() == scenario.model_dump()
    assert isinstance(again, Scenario)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_tenant_shares_are_checked_at_each_name():
    text = ("name: a\ntitle: t\nduration: 10s\nload:\n"
            "  tenants: {acme: 1, globex: 0, umbrella: 2, initech: lots}\n")  # fmt: skip
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "w.yaml")
    problems = [str(p) for p in info.value.problems]
    assert problems == [
        "w.yaml:5:30: load.tenants.globex: Input should be greater than or equal to 1; got 0",
        "w.yaml:5:43: load.tenants.umbrella: unknown tenant 'umbrella'; allowed: acme, globex, "
        "initech",
        "w.yaml:5:55: load.tenants.initech: Input should be a valid integer; got 'lots'",
    ]
    mixed = "name: a\ntitle: t\nduration: 10s\nload: {tenants: [acme, 3]}\n"
    with pytest.raises(ScenarioError, match="list of tenant names, or a mapping"):
        parse_scenario(mixed, "m.yaml")


def test_tenant_list_gives_one_share_each():
    text = "name: a\ntitle: t\nduration: 10s\nload: {tenants: [globex, acme, globex]}\n"
    assert parse_scenario(text, "l.yaml").load.tenants == {"globex": 2, "acme": 1}


def test_model_knobs_become_fake_llm_options_and_bad_ones_are_located(tmp_path) -> None:
    from harness.errors import ScenarioError
    from harness.scenario import load_scenario

    good = tmp_path / "knobs.yaml"
    good.write_text("name: knobs\ntitle: t\nduration: 5s\n"
                    "model: {tool_eagerness: 0.9, tool_turns: 2}\n", encoding="utf-8")
    assert load_scenario(good).model.cli_args() == ["--tool-eagerness", "0.9",
                                                    "--tool-turns", "2"]
    bad = tmp_path / "bad-knobs.yaml"
    bad.write_text("name: bad-knobs\ntitle: t\nduration: 5s\n"
                   "model:\n  tool_eagerness: 2\n  eagerness: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(bad)
    text = str(excinfo.value)
    assert "bad-knobs.yaml:5:19: model.tool_eagerness" in text
    assert "bad-knobs.yaml:6:3: model.eagerness" in text
