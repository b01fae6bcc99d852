"""Prometheus recording and alerting rules for the agent, generated from one source.

The SLO alerts are the multiwindow, multi-burn-rate alerts of the Google SRE workbook
("Alerting on SLOs"): page when the error budget burns 14.4x too fast over 1h *and* 5m, or
6x over 6h and 30m; ticket at 3x over 1d and 2h, or 1x over 3d and 6h. Each long window
catches the burn, its short window (1/12 of it) makes the alert stop soon after the burn does.

Real windows are far longer than a test run, so the same rules can be rendered with every
window and `for:` divided by a `scale` (60: an hour becomes a minute, 5m becomes 5s). Rule
names keep the nominal window (`agent:error_ratio:rate1h`) so alerts, dashboards and
promtool tests read the same in both renderings; the file's header says what the windows
really are.

    python -m harness.stack.alert_rules > deploy/prometheus/rules/agent.yml
    python -m harness.stack.alert_rules --scale 60 > deploy/prometheus/short/agent.yml
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

__all__ = ["RuleSettings", "render_rules", "rules"]

# Nominal window -> seconds. Every window a rule uses appears here.
WINDOWS: dict[str, int] = {
    "5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400, "3d": 259200,
}
# (severity, [(long, short, burn factor), ...]) from the SRE workbook, table 5-8.
BURN_ALERTS: tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...] = (
    ("page", (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    ("ticket", (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)
_HOURS_PER_MONTH = 730.0
# Chat requests that count against availability: server errors and no answer at all.
_ERROR_STATUS = '5..|0'


@dataclass(frozen=True)
class RuleSettings:
    """Objectives the rules encode. Bucket bounds must be bounds of the agent's histograms
    (the reference agent's metrics.py): 5s for latency, 10 for iterations."""

    availability_target: float = 0.999
    latency_threshold_s: float = 5.0
    latency_target: float = 0.99
    max_llm_calls_per_request: float = 8.0
    runaway_iterations: float = 10.0
    monthly_cost_budget_usd: float = 1000.0
    scale: float = 1.0  # windows and `for:` are divided by this
    job: str = "agent"


def _duration(seconds: float) -> str:
    """Prometheus duration text, at least 1s (`90` -> `1m30s`, `0.5` -> `1s`)."""
    total = max(1, round(seconds))
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            out += f"{total // size}{unit}"
            total %= size
    return out


def _le(bound: float) -> str:
    # prometheus_client renders bucket bounds as Go floats: 5 -> "5.0", 0.25 -> "0.25".
    return repr(float(bound))


def _num(value: float) -> str:
    return f"{value:.10g}"


def rules(settings: RuleSettings = RuleSettings()) -> dict[str, Any]:
    """The rule file as a dict (`groups: [...]`)."""
    s = settings
    w = {name: _duration(seconds / s.scale) for name, seconds in WINDOWS.items()}
    for_1m, for_2m = _duration(60 / s.scale), _duration(120 / s.scale)
    budget = 1.0 - s.availability_target
    slow_budget = 1.0 - s.latency_target
    hourly_cost = s.monthly_cost_budget_usd / _HOURS_PER_MONTH
    le_latency, le_iter = _le(s.latency_threshold_s), _le(s.runaway_iterations)

    sli: list[dict[str, Any]] = []
    for name in WINDOWS:
        win = w[name]
        sli += [
            {"record": f"agent:requests:rate{name}",
             "expr": f"sum(rate(agent_requests_total[{win}]))"},
            {"record": f"agent:request_errors:rate{name}",
             # `or vector(0)`: no error series yet means a ratio of 0, not "no data".
             "expr": (f'sum(rate(agent_requests_total{{status=~"{_ERROR_STATUS}"}}[{win}])) '
                      "or vector(0)")},
            {"record": f"agent:error_ratio:rate{name}",
             "expr": f"agent:request_errors:rate{name} / agent:requests:rate{name}"},
            {"record": f"agent:slow_ratio:rate{name}",
             "expr": (f'1 - sum(rate(agent_request_duration_seconds_bucket{{le="{le_latency}"}}'
                      f"[{win}])) / sum(rate(agent_request_duration_seconds_count[{win}]))")},
            {"record": f"agent:cost_usd:rate{name}",
             "expr": f"sum(rate(agent_cost_usd_total[{win}])) or vector(0)"},
        ]
    five = w["5m"]
    llm = [
        {"record": "agent:request_duration_seconds:p95_rate5m",
         "expr": ("histogram_quantile(0.95, sum by (le) "
                  f"(rate(agent_request_duration_seconds_bucket[{five}])))")},
        {"record": "agent:llm_calls_per_request:ratio_rate5m",
         "expr": f"sum(rate(agent_llm_calls_total[{five}])) / agent:requests:rate5m"},
        {"record": "agent:runaway_requests:rate5m",
         "expr": (f"sum(rate(agent_iterations_count[{five}])) - "
                  f'sum(rate(agent_iterations_bucket{{le="{le_iter}"}}[{five}]))')},
        {"record": "agent:cost_usd_per_request:ratio_rate5m",
         "expr": "agent:cost_usd:rate5m / agent:requests:rate5m"},
        {"record": "agent:cost_usd_per_hour:rate1h", "expr": "agent:cost_usd:rate1h * 3600"},
        {"record": "agent:tenant_cost_usd:rate1h",
         "expr": f"sum by (tenant) (rate(agent_cost_usd_total[{w['1h']}]))"},
    ]

    def burn(metric: str, limit: float, windows: tuple[tuple[str, str, float], ...]) -> str:
        # max() drops the metric name, so both branches of `or` yield one unnamed series
        # (two names would become two alerts with the same labels: an evaluation error).
        return " or ".join(
            f"(max(agent:{metric}:rate{long}) > {_num(f * limit)} "
            f"and max(agent:{metric}:rate{short}) > {_num(f * limit)})"
            for long, short, f in windows)

    alerts: list[dict[str, Any]] = []
    for severity, windows in BURN_ALERTS:
        alerts.append({
            "alert": f"AgentAvailabilityBurn{severity.capitalize()}",
            "expr": burn("error_ratio", budget, windows),
            "labels": {"severity": severity, "slo": "availability"},
            "annotations": {
                "summary": f"Agent error budget burning fast ({severity})",
                "description": (f"Availability SLO {s.availability_target:.4%}: the error ratio "
                                "is above the multiwindow burn-rate thresholds."),
            },
        })
    page_windows = BURN_ALERTS[0][1]
    alerts += [
        {"alert": "AgentLatencyBurnPage",
         "expr": burn("slow_ratio", slow_budget, page_windows),
         "labels": {"severity": "page", "slo": "latency"},
         "annotations": {
             "summary": "Agent latency budget burning fast",
             "description": (f"More than the allowed share of chats slower than "
                             f"{_num(s.latency_threshold_s)}s (target {s.latency_target:.2%})."),
         }},
        {"alert": "AgentRunawayLLMCalls",
         "expr": ("max(agent:runaway_requests:rate5m) > 0 or "
                  "max(agent:llm_calls_per_request:ratio_rate5m) > "
                  f"{_num(s.max_llm_calls_per_request)}"),
         "for": for_1m,
         "labels": {"severity": "page", "slo": "llm_calls"},
         "annotations": {
             "summary": "Agent makes runaway LLM calls per request",
             "description": (f"Chats running more than {_num(s.runaway_iterations)} LLM rounds, "
                             f"or more than {_num(s.max_llm_calls_per_request)} LLM calls per "
                             "request on average: a tool loop or a retry storm."),
         }},
        {"alert": "AgentCostBurn",
         "expr": burn("cost_usd", hourly_cost / 3600.0, page_windows),
         "labels": {"severity": "page", "slo": "cost"},
         "annotations": {
             "summary": "LLM spend burning the monthly budget too fast",
             "description": (f"Monthly budget ${_num(s.monthly_cost_budget_usd)} "
                             f"(${hourly_cost:.4f}/h): spend rate above the burn thresholds."),
         }},
        {"alert": "AgentDown",
         "expr": f'up{{job="{s.job}"}} == 0',
         "for": for_1m,
         "labels": {"severity": "page", "slo": "availability"},
         "annotations": {"summary": "Prometheus cannot scrape the agent"}},
        {"alert": "AgentCircuitOpen",
         "expr": "max(agent_circuit_state) >= 2",
         "for": for_2m,
         "labels": {"severity": "ticket", "slo": "availability"},
         "annotations": {"summary": "The agent's circuit breaker to the LLM is open"}},
    ]
    return {"groups": [
        {"name": "agent-sli", "rules": sli},
        {"name": "agent-llm", "rules": llm},
        {"name": "agent-alerts", "rules": alerts},
    ]}


def render_rules(settings: RuleSettings = RuleSettings()) -> str:
    """The rule file as YAML text, with a header saying how it was made."""
    yaml = YAML()
    yaml.width = 4096  # one expression a line: promtool errors point at whole rules
    buf = io.StringIO()
    yaml.dump(rules(settings), buf)
    scale = _num(settings.scale)
    header = "# Generated by `python -m harness.stack.alert_rules"
    header += f" --scale {scale}`" if settings.scale != 1 else "`"
    header += "; do not edit by hand.\n"
    if settings.scale != 1:
        hour = _duration(3600 / settings.scale)
        header += (f"# Short windows for test runs: every window and `for:` is divided by "
                   f"{scale}; rule names keep the nominal windows (rate1h = {hour}).\n")
    return header + buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.stack.alert_rules",
                                     description="Print the agent's Prometheus rules.")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="divide every window by this (60: 1h becomes 1m)")
    parser.add_argument("--availability", type=float, default=0.999, help="target, 0..1")
    parser.add_argument("--monthly-cost-budget", type=float, default=1000.0, help="USD")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    sys.stdout.write(render_rules(RuleSettings(
        availability_target=args.availability, scale=args.scale,
        monthly_cost_budget_usd=args.monthly_cost_budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
