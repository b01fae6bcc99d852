"""The starter scenario `harness init` writes: what was found about the agent, turned into a
timeline (a baseline, an API hiccup, a slow model, a runaway loop, recovery) and SLOs whose
objectives sit well away from what the probe measured.

The text is built by hand, not dumped, so that it carries comments a user can act on; it is
validated by the scenario loader before anyone sees it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from harness.init.prompts import PROMPTS
from harness.scenario import Scenario, format_duration, parse_scenario
from harness.scenario.schema import LoadSpec

DURATION_S = 120.0
BASELINE_FAULTS = (  # (at s, for s, YAML flow mapping of the fault without at/for)
    (20.0, 20.0, 'target: llm, kind: http_error, status: 529, probability: 0.3, '
                 'name: "API hiccup: bursts of 529 overloaded"'),
    (50.0, 20.0, 'target: llm, kind: latency, latency_ms: 1000, jitter_ms: 250, '
                 'name: "slow model: 1 s more per LLM call"'),
    (80.0, 20.0, 'target: llm, kind: loop, '
                 'name: "runaway loop: the model always asks for another tool call"'),
)
URL_FAULTS = (
    (20.0, 20.0, 'target: agent, kind: latency, latency_ms: 1000, jitter_ms: 250, '
                 'name: "slow network in front of the agent"'),
)
COST_ROOM = 3.0  # a runaway loop in a sixth of the run multiplies the mean far more
SLOW_MODEL_ROOM_S = 4.0  # slow model: 1 s per LLM call, for up to four calls of a reply
_LADDER_S = (0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 45, 60)


@dataclass(frozen=True)
class Findings:
    """What the probe learnt about the agent."""

    command: str | None  # as the user gave it (with {port}); None with `url`
    url: str | None
    health: str
    healthy_after_s: float
    preset: str
    stream: str  # none | sse | chunked
    replies: int  # probe replies measured
    slowest_s: float
    first_token_s: float | None  # slowest time to first text, when it streams
    cost_per_reply_usd: float | None  # fake LLM ledger cost / replies; None: no ledger
    llm_calls: int  # fake LLM calls the probe's replies made (0 with `url`)


def round_up_s(seconds: float) -> float:
    """The next step of a 1-2-5-like ladder (an objective reads better as 1.5s than 1.37s)."""
    return next((s for s in _LADDER_S if s >= seconds), float(math.ceil(seconds)))


def round_up_usd(usd: float) -> str:
    """Two significant digits, rounded up, as an objective: 0.00213 -> '$0.0022'."""
    exponent = math.floor(math.log10(usd)) - 1
    value = math.ceil(usd / 10 ** exponent - 1e-9) * 10 ** exponent
    return f"${value:.{max(0, -exponent)}f}"


def scenario_name(command: str | None, url: str | None) -> str:
    """A slug from the agent's command (its script or module) or URL port."""
    if command:
        words = command.split()
        script = next((w for w in words if w.endswith(".py")), None)
        if script is not None:
            stem = Path(script).stem
        elif "-m" in words[:-1]:
            stem = words[words.index("-m") + 1]
        else:
            stem = Path(words[0]).name
    else:
        stem = f"agent-{(url or '').rsplit(':', 1)[-1].strip('/')}"
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug[:60] or "my-agent"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _agent_block(f: Findings, start_timeout_s: float) -> list[str]:
    lines = ["agent:"]
    if f.command is not None:
        lines += [f"  command: {_quote(f.command)}",
                  f"  health: {f.health}",
                  f"  start_timeout: {format_duration(start_timeout_s)}"]
    else:
        lines += [f"  url: {f.url}", f"  health: {f.health}"]
    lines.append(f"  api: {{preset: {f.preset}, stream: {f.stream}}}")
    if f.command is not None:
        lines.append("  # env: {MY_SETTING: value}   # more environment; ANTHROPIC_BASE_URL "
                     "and ANTHROPIC_API_KEY are set")
    lines += ["  # tenants:                     # your API keys (default: the reference "
              "tenants acme, globex)",
              "  #   acme: {key: my-key-for-acme, canaries: [CANARY-acme-1234abcd]}"]
    return lines


def _load_block() -> list[str]:
    lines = ["load:", "  users: 4", "  spawn_rate: 4", "  tenants: [acme, globex]",
             "  think_time: 500ms"]
    if "prompts" in LoadSpec.model_fields:
        lines.append("  prompts:                       # your traffic: a list, or a file "
                     "(JSONL, CSV, YAML)")
        lines += [f"    - {_quote(p)}" for p in PROMPTS]
    else:
        lines.append("  mix: {chat: 1}                 # the built-in task library")
    return lines


def _faults_block(f: Findings) -> list[str]:
    faults = BASELINE_FAULTS if f.command is not None else URL_FAULTS
    lines = ["faults:", f"  # 0s-{format_duration(faults[0][0])}: baseline, no fault"]
    for at, span, body in faults:
        lines.append(f"  - {{at: {format_duration(at)}, for: {format_duration(span)}, {body}}}")
    end = faults[-1][0] + faults[-1][1]
    lines.append(f"  # {format_duration(end)}-{format_duration(DURATION_S)}: recovery")
    if f.command is not None:
        lines.append("  # (the loop bites only an agent that offers the model tools; add your "
                     "own faults: harness/faults/README.md)")
    if f.command is None:
        lines += ["  # LLM faults (an API hiccup, a slow model, a runaway loop) reach an agent "
                  "only through",
                  "  # the fake LLM the harness starts and hands it in ANTHROPIC_BASE_URL: "
                  "let the harness",
                  "  # start your agent (harness init --command ...) to test them."]
    return lines


def _slos_block(f: Findings) -> list[str]:
    baseline = round_up_s(max(1.0, 3 * f.slowest_s))
    room = SLOW_MODEL_ROOM_S if f.command is not None else 2.0
    lines = ["slos:", '  availability: ">= 99%"',
             f'  latency_p95[during=baseline]: "<= {format_duration(baseline)}"',
             f'  latency_p95: "<= {format_duration(round_up_s(baseline + room))}"']
    if f.stream != "none" and f.first_token_s is not None:
        ttft = round_up_s(max(0.5, 3 * f.first_token_s))
        lines.append(f'  ttft_p95[during=baseline]: "<= {format_duration(ttft)}"')
    if f.cost_per_reply_usd:
        lines.append(f'  cost_per_request: "<= {round_up_usd(COST_ROOM * f.cost_per_reply_usd)}"')
    elif f.command is not None:
        lines.append("  # no cost_per_request: the probe's replies made no call to the fake "
                     "LLM (does your client read ANTHROPIC_BASE_URL?)")
    return lines


def _header(f: Findings) -> list[str]:
    agent = f.command if f.command is not None else f.url
    measured = f"{f.replies} probe replies: slowest {f.slowest_s:.2f}s"
    if f.first_token_s is not None:
        measured += f", first text after {f.first_token_s:.2f}s at most"
    if f.cost_per_reply_usd:
        measured += f", ${f.cost_per_reply_usd:.5f} of fake-LLM calls per reply"
    return [
        f"# Starter scenario written by `harness init` for: {agent}",
        f"# Found: health {f.health} (200 after {f.healthy_after_s:.1f}s); preset "
        f"{f.preset} answered 2xx with reply text; stream: {f.stream}.",
        f"# Measured: {measured}.",
        "# Objectives sit well away from these values, so the gate flips on regressions, "
        "not on noise:",
        "# run it once at full time scale, read report.html and tune them. Every key: "
        "docs/your-agent.md.",
    ]


def starter_text(f: Findings, name: str, start_timeout_s: float) -> str:
    """The scenario file's text (not validated: see `starter_scenario`)."""
    lines = [
        *_header(f),
        f"name: {name}",
        f"title: {_quote(f'{name} under an API hiccup, a slow model and a runaway loop')}"
        if f.command is not None else f"title: {_quote(f'{name} under a slow network')}",
        "seed: 1",
        f"duration: {format_duration(DURATION_S)}",
        *_agent_block(f, start_timeout_s),
        *_load_block(),
        *_faults_block(f),
        *_slos_block(f),
        "expect: {own: pass}",
    ]
    return "\n".join(lines) + "\n"


def starter_scenario(f: Findings, name: str, start_timeout_s: float,
                     file: str) -> tuple[str, Scenario]:
    """The text and the scenario it loads as; ScenarioError (every problem) if it does not."""
    text = starter_text(f, name, start_timeout_s)
    return text, parse_scenario(text, file)
