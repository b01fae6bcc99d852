"""`agent.upstreams` and fault targets naming them: every problem at its file:line:col."""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.scenario import parse_scenario
from harness.targets import target_for, upstream_env_var

HEAD = """\
name: own-upstreams
title: "Our agent's CRM goes slow"
duration: 30s
agent:
  command: "python agent.py --port {port}"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.yaml")
    return [str(p) for p in info.value.problems]


def test_url_and_command_upstreams_load_and_reach_the_target() -> None:
    scenario = parse_scenario(HEAD + """\
  upstreams:
    crm: http://127.0.0.1:9100/api
    vector-store: {command: "python vs.py --host {host} --port {port}", health: /ready,
                   start_timeout: 20s, env: {VS_MODE: test}}
    kb: {url: "http://localhost:9200", health: /healthz}
faults:
  - {at: 5s, for: 10s, target: crm, kind: latency, latency_ms: 800}
  - {at: 5s, for: 10s, target: vector-store, kind: reset_peer}
  - {at: 5s, for: 10s, target: kb, kind: down}
  - {at: 5s, for: 10s, target: llm, kind: timeout}
""")
    upstreams = scenario.agent.upstreams
    assert upstreams["crm"].url == "http://127.0.0.1:9100/api"
    assert upstreams["crm"].health_path is None  # accepting connections is enough
    assert upstreams["vector-store"].start_timeout == 20.0
    assert upstreams["vector-store"].health_path == "/ready"
    assert [f.target for f in scenario.faults] == ["crm", "vector-store", "kb", "llm"]
    target = target_for(scenario.agent, "own", 1)
    assert set(target.upstreams()) == {"crm", "vector-store", "kb"}
    assert target.upstreams()["vector-store"].argv("127.0.0.1", 4000) == [
        "python", "vs.py", "--host", "127.0.0.1", "--port", "4000"]
    assert target.describe()["upstreams"]["crm"]["env_var"] == "HARNESS_UPSTREAM_CRM_URL"
    # A command upstream is health-checked at /healthz unless told otherwise.
    defaulted = parse_scenario(HEAD + '  upstreams: {kb: {command: "kb --port {port}"}}\n')
    assert defaulted.agent.upstreams["kb"].health_path == "/healthz"
    # It dumps and loads back unchanged (run directories keep scenario.yaml).
    dumped = scenario.to_yaml_dict()["agent"]["upstreams"]
    assert dumped["crm"] == {"url": "http://127.0.0.1:9100/api", "start_timeout": "1m", "env": {}}


def test_env_var_names_are_upper_case_with_underscores() -> None:
    assert upstream_env_var("crm") == "HARNESS_UPSTREAM_CRM_URL"
    assert upstream_env_var("vector-store") == "HARNESS_UPSTREAM_VECTOR_STORE_URL"


def test_every_bad_upstream_is_reported_at_its_line() -> None:
    found = problems(HEAD + """\
  upstreams:
    CRM: http://127.0.0.1:9100
    llm: http://127.0.0.1:9101
    far: http://10.1.2.3:80
    ftp: ftp://127.0.0.1:21
    noport: {command: "python kb.py"}
    both: {url: "http://127.0.0.1:1", command: "kb {port}"}
    neither: {health: /healthz}
    number: 5
    urlenv: {url: "http://127.0.0.1:1", env: {A: b}}
    typo: {comand: "kb {port}"}
    badhealth: {command: "kb {port}", health: healthz}
""")
    assert found == [
        "s.yaml:7:5: agent.upstreams.CRM: invalid upstream name 'CRM'; use lowercase letters, "
        "digits and single dashes, starting with a letter (e.g. crm, vector-store)",
        "s.yaml:8:5: agent.upstreams.llm: upstream name 'llm' is taken by the harness; "
        "reserved: agent, llm, tools, toxiproxy, prometheus, locust",
        "s.yaml:9:10: agent.upstreams.far: upstream url 'http://10.1.2.3:80' must be on "
        "loopback (127.0.0.1, localhost or ::1): faults and load stay on this machine",
        "s.yaml:10:10: agent.upstreams.ftp: upstream url 'ftp://127.0.0.1:21' must start with "
        "http:// or https://",
        "s.yaml:11:13: agent.upstreams.noport: `command` must contain {port}: the harness "
        "picks a free port",
        "s.yaml:12:11: agent.upstreams.both: give either a URL (already running) or "
        "`command` (we start it)",
        "s.yaml:13:14: agent.upstreams.neither: give either a URL (already running) or "
        "`command` (we start it)",
        "s.yaml:14:13: agent.upstreams.number: expected a URL (http://127.0.0.1:9100) or a "
        "mapping {command, health, start_timeout, env}",
        "s.yaml:15:13: agent.upstreams.urlenv: `env` applies only with `command`",
        "s.yaml:16:12: agent.upstreams.typo.comand: unknown key 'comand'; allowed: command, "
        "env, health, start_timeout, url",
        "s.yaml:17:47: agent.upstreams.badhealth.health: String should match pattern '^/'; "
        "got 'healthz'",
    ]


def test_upstreams_need_an_agent_the_harness_starts() -> None:
    found = problems("""\
name: ref-upstreams
title: t
duration: 30s
agent:
  url: http://127.0.0.1:8000
  upstreams: {crm: "http://127.0.0.1:9100"}
""")
    assert found == ["s.yaml:5:3: agent: `upstreams` apply only with `command`"]


def test_a_network_fault_target_must_be_built_in_or_an_upstream_of_this_scenario() -> None:
    found = problems(HEAD + """\
  upstreams: {crm: "http://127.0.0.1:9100", kb: {command: "kb --port {port}"}}
faults:
  - {at: 1s, for: 2s, target: crmm, kind: latency, latency_ms: 100}
  - {at: 1s, for: 2s, target: Crm, kind: bandwidth, rate_kbps: 1}
  - {at: 1s, for: 2s, target: crm, kind: http_error, status: 529}
  - {at: 1s, for: 2s, target: crm, kind: crash}
""")
    assert found == [
        "s.yaml:8:31: faults[0].target: target 'crmm' is not valid for kind 'latency'; "
        "allowed: agent, llm, llm_eu, tools, crm, kb",
        "s.yaml:9:31: faults[1].target: target 'Crm' is not valid for kind 'bandwidth'; "
        "allowed: agent, llm, llm_eu, tools or a name of agent.upstreams",
        "s.yaml:10:31: faults[2].target: target 'crm' is not valid for kind 'http_error'; "
        "allowed: llm, llm_eu",
        "s.yaml:11:31: faults[3].target: target 'crm' is not valid for kind 'crash'; "
        "allowed: agent, llm, llm_eu, tools",
    ]


def test_an_upstream_target_without_upstreams_says_none_are_declared() -> None:
    found = problems(HEAD + """\
faults:
  - {at: 1s, for: 2s, target: crm, kind: reset_peer}
""")
    assert found == ["s.yaml:7:31: faults[0].target: target 'crm' is not valid for kind "
                     "'reset_peer'; allowed: agent, llm, llm_eu, tools (agent.upstreams "
                     "declares none)"]


def test_fault_targets_are_checked_even_when_the_agent_block_is_broken() -> None:
    found = problems(HEAD + """\
  upstreams: {crm: "http://127.0.0.1:9100"}
  helth: /healthz
faults:
  - {at: 1s, for: 2s, target: kb, kind: latency, latency_ms: 5}
""")
    assert any("agent.helth: unknown key 'helth'" in p for p in found)
    assert any("faults[0].target: target 'kb' is not valid for kind 'latency'; allowed: "
               "agent, llm, llm_eu, tools, crm" in p for p in found)
