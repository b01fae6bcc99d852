"""Static checks of docker-compose.yml and deploy/: what runs without a Docker engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.stack.compose import COMPOSE_PORTS, POD_PROXIES, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_CFG: dict[str, dict[str, Any]] = COMPOSE["services"]
# The pause container has no shell to probe with; workers serve nothing (the master checks them).
NO_HEALTHCHECK = {"pod", "worker"}


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
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else None
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"


def test_built_services_use_dockerfiles_with_a_healthcheck() -> None:
    built = {n: s for n, s in SERVICES_CFG.items() if "build" in s}
    assert set(built) == {"fake-llm", "fake-llm-eu", "tools", "agent"}
    for name, service in built.items():
        text = (ROOT / service["build"]["dockerfile"]).read_text()
        assert "HEALTHCHECK" in text, name
        base = re.search(r"^FROM (\S+)", text, re.MULTILINE)
        assert base and ":" in base.group(1) and not base.group(1).endswith(":latest")
        assert "127.0.0.1" in text  # our servers bind loopback inside the pod


def test_tool_server_uses_the_postgres_rls_store() -> None:
    assert SERVICES_CFG["tools"]["environment"]["TOOLS_STORE"].startswith("postgresql://tools")
    init = SERVICES_CFG["postgres"]["volumes"][0]
    assert init.startswith("./deploy/postgres/init:/docker-entrypoint-initdb.d")


def test_locust_scales_with_workers_pointing_at_the_master() -> None:
    worker = SERVICES_CFG["worker"]
    assert "--worker" in worker["command"] and "deploy" not in worker.get("container_name", "")
    assert "container_name" not in worker  # `--scale worker=N` needs generated names
    assert "--master" in SERVICES_CFG["master"]["command"]
    config = json.loads((ROOT / "deploy" / "locust" / "load.json").read_text())
    assert config["target_url"] == f"http://127.0.0.1:{COMPOSE_PORTS['agent_proxy']}"
