"""promtool on the real config, rules and rule unit tests; generated files stay generated."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.stack.alert_rules import RuleSettings, render_rules
from tests.requires import require_binary

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = require_binary("promtool")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(("path", "scale"), [("rules/agent.yml", 1.0), ("short/agent.yml", 60.0)])
def test_checked_in_rules_are_the_generators_output(path: str, scale: float) -> None:
    assert (PROM / path).read_text() == render_rules(RuleSettings(scale=scale)), (
        f"regenerate: python -m harness.stack.alert_rules --scale {scale:g} > "
        f"deploy/prometheus/{path}")


def test_promtool_check_config() -> None:
    done = _promtool("check", "config", "--syntax-only", str(PROM / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_check_rules() -> None:
    done = _promtool("check", "rules", str(PROM / "rules" / "agent.yml"),
                     str(PROM / "short" / "agent.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_test_rules() -> None:
    tests = sorted(str(p) for p in (PROM / "tests").glob("*.yml"))
    assert len(tests) >= 2
    done = _promtool("test", "rules", *tests)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_test_rules_can_fail(tmp_path: Path) -> None:
    """A test expecting the page on a healthy series must fail: the harness can see failure."""
    (tmp_path / "bad_test.yml").write_text(f"""\
rule_files: [{PROM / 'rules' / 'agent.yml'}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'agent_requests_total{{status="200",tenant="acme"}}'
        values: '0+100x120'
    alert_rule_test:
      - eval_time: 70m
        alertname: AgentAvailabilityBurnPage
        exp_alerts:
          - exp_labels: {{severity: page, slo: availability}}
""")
    done = _promtool("test", "rules", str(tmp_path / "bad_test.yml"))
    assert done.returncode != 0
