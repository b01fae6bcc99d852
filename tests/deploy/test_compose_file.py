"""Static checks of docker-compose.yml and deploy/: what runs without a Docker engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.stack.compose import (
    COMPOSE_PORTS,
    EVIDENCE,
    POD_PROXIES,
    PROMETHEUS_PRODUCTION,
    PROMETHEUS_SHORT,
    SERVICES,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_CFG: dict[str, dict[str, Any]] = COMPOSE["services"]
# The pause container has no shell to probe with; workers serve nothing (the master checks them).
NO_HEALTHCHECK = {"pod", "worker"}
# `${VAR:-default}`: an upstream image that a variable may replace.
OVERRIDABLE = re.compile(r"^\$\{(?P<var>[A-Z_]+):-(?P<default>[^}]+)\}$")
OUR_IMAGES = re.compile(r"^agent-chaos/")


def _default(value: str) -> str:
    match = OVERRIDABLE.match(value)
    return match.group("default") if match else value


def _published(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    out = []
    for spec in service.get("ports", []):
        host_ip, host, container = str(spec).split(":")
        out.append((host_ip, int(host), int(container)))
    return out


def test_every_service_of_the_design_is_there() -> None:
    assert {"pod", "toxiproxy", "fake-llm", "fake-llm-eu", "tools", "agent", "postgres",
            "prometheus", "grafana", "master", "worker"} <= set(SERVICES_CFG)
    assert set(SERVICES.values()) <= set(SERVICES_CFG)


def test_no_host_networking_and_ports_published_on_loopback_only() -> None:
    for name, service in SERVICES_CFG.items():
        assert service.get("network_mode") != "host", name
        assert service.get("network_mode") in (None, "service:pod"), name
        for host_ip, _, _ in _published(service):
            assert host_ip == "127.0.0.1", f"{name} publishes on {host_ip}"


def test_published_ports_match_the_harness_config() -> None:
    pod = {host for _, host, _ in _published(SERVICES_CFG["pod"])}
    grafana = {host for _, host, _ in _published(SERVICES_CFG["grafana"])}
    assert pod | grafana == set(COMPOSE_PORTS.values())
    assert grafana == {COMPOSE_PORTS["grafana"]}
    for _, host, container in _published(SERVICES_CFG["pod"]):
        assert host == container  # the harness's address is the pod's port
    others = {n for n, s in SERVICES_CFG.items() if n not in ("pod", "grafana") and "ports" in s}
    assert not others, "only the pod and Grafana publish ports"


def test_toxiproxy_config_matches_the_proxy_ports_and_upstreams() -> None:
    proxies = {p["name"]: p for p in json.loads(
        (ROOT / "deploy" / "toxiproxy" / "toxiproxy.json").read_text())}
    for name, port in POD_PROXIES.items():
        assert proxies[name]["listen"].endswith(f":{port}")
    assert proxies["agent"]["listen"] == f"0.0.0.0:{COMPOSE_PORTS['agent_proxy']}"
    for name, key in (("llm_control", "llm_control"), ("llm_eu_control", "llm_eu_control"),
                      ("tools_control", "tools_control")):
        assert proxies[name]["listen"] == f"0.0.0.0:{COMPOSE_PORTS[key]}"
    assert proxies["llm"]["upstream"] == proxies["llm_control"]["upstream"] == "127.0.0.1:8100"
    assert proxies["tools"]["upstream"] == proxies["tools_control"]["upstream"]
    # Proxies the faults use stay inside the pod; only the agent's entry is published.
    for name in ("llm", "llm_eu", "tools"):
        assert proxies[name]["listen"].startswith("127.0.0.1:")
    agent_env = SERVICES_CFG["agent"]["environment"]
    assert agent_env["ANTHROPIC_BASE_URL"].endswith(proxies["llm"]["listen"].split(":")[1])


@pytest.mark.parametrize("name", sorted(set(SERVICES_CFG) - NO_HEALTHCHECK))
def test_services_have_healthchecks(name: str) -> None:
    check = SERVICES_CFG[name].get("healthcheck")
    assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_depends_on_waits_for_health_where_there_is_a_healthcheck() -> None:
    for name, service in SERVICES_CFG.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in SERVICES_CFG, f"{name} depends on unknown {dep}"
            expected = ("service_started" if dep in NO_HEALTHCHECK else "service_healthy")
            assert cond["condition"] == expected, f"{name} -> {dep}"
    assert set(SERVICES_CFG["agent"]["depends_on"]) == {"toxiproxy", "fake-llm", "fake-llm-eu",
                                                        "tools"}


def test_images_are_pinned() -> None:
    for name, service in SERVICES_CFG.items():
        image = service.get("image")
        assert image, f"{name} has no image name"
        image = _default(image)
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else None
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"


def test_every_upstream_image_can_be_replaced_by_a_variable() -> None:
    """Where no registry is reachable, local images stand in (deploy/compose-test.sh)."""
    variables = {}
    for name, service in SERVICES_CFG.items():
        image = service["image"]
        if OUR_IMAGES.match(image):
            continue
        match = OVERRIDABLE.match(image)
        assert match, f"{name}: {image} has no ${{VARIABLE:-...}} override"
        variables[name] = match.group("var")
    assert variables == {"pod": "POD_IMAGE", "toxiproxy": "TOXIPROXY_IMAGE",
                         "postgres": "POSTGRES_IMAGE", "prometheus": "PROMETHEUS_IMAGE",
                         "grafana": "GRAFANA_IMAGE"}
    script = (ROOT / "deploy" / "compose-test.sh").read_text()
    for var in set(variables.values()) - {"GRAFANA_IMAGE"}:
        assert f"{var}=" in script, f"deploy/compose-test.sh does not set {var}"


def test_built_services_take_the_base_image_as_a_build_argument() -> None:
    built = {n: s for n, s in SERVICES_CFG.items() if "build" in s}
    assert set(built) == {"fake-llm", "fake-llm-eu", "tools", "agent"}
    for name, service in built.items():
        text = (ROOT / service["build"]["dockerfile"]).read_text()
        assert "HEALTHCHECK" in text, name
        assert "127.0.0.1" in text  # our servers bind loopback inside the pod
        default = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.MULTILINE)
        assert default and ":" in default.group(1), name
        assert not default.group(1).endswith(":latest"), name
        assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.MULTILINE), name
        args = service["build"]["args"]
        assert _default(args["BASE_IMAGE"]) == default.group(1), name
        assert _default(args["WHEELHOUSE_IMAGE"]) == "scratch"  # default: PyPI, no wheelhouse


def test_the_images_share_their_dependency_layers() -> None:
    """Same lines up to the project's own install: the dependencies are built once."""
    prefixes = set()
    for name in ("agent", "fake-llm", "tools"):
        lines = [line for line in (ROOT / "deploy" / f"{name}.Dockerfile").read_text()
                 .splitlines() if line and not line.startswith("#")]
        prefixes.add(tuple(lines[:lines.index("COPY README.md ./")]))
    assert len(prefixes) == 1


def test_bind_mounts_use_the_long_syntax() -> None:
    """`docker compose config --no-interpolate` cannot split a short spec holding ${...:-...}."""
    for name, service in SERVICES_CFG.items():
        for volume in service.get("volumes", []):
            assert isinstance(volume, dict), f"{name}: short volume syntax {volume!r}"
            if volume["type"] == "bind":
                assert (ROOT / volume["source"]).exists(), f"{name}: {volume['source']}"
                assert volume.get("read_only") is True, f"{name}: {volume['source']}"


def test_tool_server_uses_the_postgres_rls_store() -> None:
    assert SERVICES_CFG["tools"]["environment"]["TOOLS_STORE"].startswith("postgresql://tools")
    init = SERVICES_CFG["postgres"]["volumes"][0]
    assert init["source"] == "./deploy/postgres/init"
    assert init["target"] == "/docker-entrypoint-initdb.d"


def test_the_evidence_files_are_the_ones_the_containers_write() -> None:
    """collect_evidence copies these from /data; the Dockerfiles' commands write them there."""
    commands = " ".join((ROOT / "deploy" / f).read_text() for f in
                        ("fake-llm.Dockerfile", "tools.Dockerfile"))
    assert "--ledger /data/llm_calls.$LLM_REGION.jsonl" in commands
    assert "--log /data/tool_calls.jsonl" in commands
    regions = {SERVICES_CFG[SERVICES[n]]["environment"].get("LLM_REGION") for n, _ in EVIDENCE}
    assert {f"llm_calls.{r}.jsonl" for r in regions if r} == {
        f for _, f in EVIDENCE if f.startswith("llm_calls")}
    for name, _ in EVIDENCE:
        assert {"type": "volume", "source": "run-data", "target": "/data"} in (
            SERVICES_CFG[SERVICES[name]]["volumes"])


def test_prometheus_config_is_selectable_for_short_runs() -> None:
    command = " ".join(SERVICES_CFG["prometheus"]["command"])
    assert "--config.file=/etc/prometheus/${PROMETHEUS_CONFIG:-prometheus.yml}" in command
    assert "--query.lookback-delta=${PROMETHEUS_LOOKBACK:-5m}" in command
    assert PROMETHEUS_PRODUCTION == {"PROMETHEUS_CONFIG": "prometheus.yml",
                                     "PROMETHEUS_LOOKBACK": "5m"}
    prom = ROOT / "deploy" / "prometheus"
    for choice, rules, interval in ((PROMETHEUS_PRODUCTION, "rules", "15s"),
                                    (PROMETHEUS_SHORT, "short", "1s")):
        config = yaml.safe_load((prom / choice["PROMETHEUS_CONFIG"]).read_text())
        assert config["global"]["scrape_interval"] == interval
        assert config["rule_files"] == [f"/etc/prometheus/{rules}/*.yml"]
        assert list((prom / rules).glob("*.yml"))


def test_grafana_sits_behind_a_profile() -> None:
    assert SERVICES_CFG["grafana"]["profiles"] == ["grafana"]
    assert all("profiles" not in s for n, s in SERVICES_CFG.items()
               if n not in ("grafana", "master", "worker"))


def test_the_locust_master_serves_its_published_web_ui() -> None:
    command = SERVICES_CFG["master"]["command"]
    assert "--headless" not in command and "--autostart" in command
    assert COMPOSE_PORTS["locust"] in {host for _, host, _ in _published(SERVICES_CFG["pod"])}


def test_the_build_context_leaves_out_everything_the_images_do_not_copy(tmp_path: Path) -> None:
    """.dockerignore, read by the docker SDK's own matcher on a tree shaped like a checkout."""
    from docker.utils import exclude_paths

    patterns = [p for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    for path in ("pyproject.toml", "README.md", "deploy/requirements.py", "harness/cli.py",
                 "deploy/healthcheck.sh", "reference_agent/agent.py", ".venv/lib/big.so",
                 ".git/HEAD", "reports/x.json",
                 "tests/test_x.py", "harness/__pycache__/cli.cpython-311.pyc",
                 "deploy/agent.Dockerfile"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    sent = set(exclude_paths(str(tmp_path), patterns))
    files = {p for p in sent if (tmp_path / p).is_file()}
    assert files == {"pyproject.toml", "README.md", "deploy/requirements.py", "harness/cli.py",
                     "deploy/healthcheck.sh", "reference_agent/agent.py"}
    copied = set()
    for name in ("agent", "fake-llm", "tools"):
        text = (ROOT / "deploy" / f"{name}.Dockerfile").read_text()
        for sources in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
            copied |= set(sources.split())
    assert copied == {"pyproject.toml", "deploy/requirements.py", "deploy/healthcheck.sh",
                      "README.md", "harness", "reference_agent"}


def test_locust_scales_with_workers_pointing_at_the_master() -> None:
    worker = SERVICES_CFG["worker"]
    assert "--worker" in worker["command"] and "deploy" not in worker.get("container_name", "")
    assert "container_name" not in worker  # `--scale worker=N` needs generated names
    assert "--master" in SERVICES_CFG["master"]["command"]
    config = json.loads((ROOT / "deploy" / "locust" / "load.json").read_text())
    assert config["target_url"] == f"http://127.0.0.1:{COMPOSE_PORTS['agent_proxy']}"
