"""`harness init --command CMD | --url URL`: probe an agent, write a starter scenario for it.

Exit codes: 0 written (and valid), 2 bad usage (or the file exists without --force), 3 the
agent never became healthy, exited, or answered no request preset (the command, the URLs
tried, the last answers and the agent's log tail), 130 interrupted. Nothing is left running.
"""

from __future__ import annotations

import argparse
import shlex
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import InternalError, ScenarioError, UsageError

if TYPE_CHECKING:
    from harness.init.api_probe import Exchange

DEFAULT_DIR = Path("chaos")
MEASURED_REPLIES = 3  # after the preset's first reply: enough to set objectives far from them


def add_arguments(parser: argparse.ArgumentParser) -> None:
    agent = parser.add_mutually_exclusive_group(required=True)
    agent.add_argument("--command", metavar="CMD",
                       help='your agent\'s start command, with {port} (and optionally {host}), '
                            'e.g. "python my_agent.py --port {port}": started with the fake '
                            "LLM and the rest of the stack, as `harness run` would")
    agent.add_argument("--url", metavar="URL",
                       help="an agent already running on loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="the scenario file to write (default: chaos/<name>.yaml)")
    parser.add_argument("--health", default=None, metavar="PATH",
                        help="the health path (default: the first of /healthz, /health, "
                             "/ready, /livez, / that answers 200)")
    parser.add_argument("--preset", default=None, metavar="NAME",
                        help="try only this request preset (default: each of harness, "
                             "openai-chat, anthropic-messages)")
    parser.add_argument("--start-timeout", default="60s", metavar="DURATION",
                        help="how long the agent may take to answer its health path "
                             "(default: 60s)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _parse(args: argparse.Namespace) -> tuple[float, tuple[str, ...]]:
    from harness.init.health import CANDIDATES
    from harness.load.api import PRESETS
    from harness.scenario import parse_duration

    try:
        timeout = parse_duration(args.start_timeout)
    except ValueError as exc:
        raise UsageError(f"--start-timeout: {exc}") from exc
    if not timeout > 0:
        raise UsageError(f"--start-timeout must be > 0, got {args.start_timeout!r}")
    if args.health is not None and not args.health.startswith("/"):
        raise UsageError(f"--health {args.health!r} must be a path starting with /")
    if args.preset is not None and args.preset not in PRESETS:
        raise UsageError(f"--preset {args.preset!r} is not a preset; allowed: "
                         f"{', '.join(PRESETS)}")
    return timeout, (args.health,) if args.health else CANDIDATES


def _streaming(found: Exchange) -> str:
    if found.stream == "none":
        return ", not streamed"
    first = "" if found.first_text_s is None else f", first text after {found.first_text_s:.2f}s"
    return f", streamed ({found.stream}{first})"


def main(args: argparse.Namespace) -> int:
    from harness.atomic import write_atomic
    from harness.init import api_probe, session, starter
    from harness.init.health import find_health
    from harness.targets.reference import reference_tenants

    timeout, candidates = _parse(args)
    name = starter.scenario_name(args.command, args.url)
    out: Path = args.out or DEFAULT_DIR / f"{name}.yaml"
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; give --force to overwrite it, or --out FILE")
    acme = reference_tenants(1)["acme"]
    tenant = api_probe.Tenant(acme.name, acme.key)

    probing: AbstractContextManager[session.ProbeSession]
    if args.command is not None:
        print("starting the fake LLM, the tool server, the proxy and your agent ...", flush=True)
        probing = session.started_agent(args.command, timeout)
    else:
        probing = session.running_agent(args.url)
    with probing as agent:
        health = find_health(agent, candidates, timeout)
        print(f"health: {health.path} answered 200 after {health.after_s:.1f}s", flush=True)
        found, tried = api_probe.find_preset(agent, tenant, args.preset)
        print(f"api: preset {found.preset} answered HTTP {found.status} with reply text"
              + _streaming(found), flush=True)
        more = api_probe.measure(agent, found, tenant, MEASURED_REPLIES)
        calls, usd = agent.llm_usage() if agent.llm_usage else (0, 0.0)
    replies = [found, *(e for e in more if e.usable)]
    answered = sum(e.usable for e in (*tried, *more))  # every reply the ledger may bill
    firsts = [e.first_text_s for e in replies if e.first_text_s is not None]
    findings = starter.Findings(
        command=args.command, url=args.url, health=health.path,
        healthy_after_s=health.after_s, preset=found.preset, stream=found.stream,
        replies=len(replies), slowest_s=max(e.latency_s for e in replies),
        first_token_s=max(firsts) if firsts else None,
        cost_per_reply_usd=usd / answered if calls else None,
        llm_calls=calls)
    start_timeout = max(timeout, starter.round_up_s(3 * health.after_s))
    try:
        text, _ = starter.starter_scenario(findings, name, start_timeout, str(out))
    except ScenarioError as exc:  # what init writes must load: anything else is our bug
        raise InternalError(exc) from exc
    write_atomic(out, text)
    if args.command is not None and not calls:
        print("note: your agent made no call to the fake LLM; does its client read "
              "ANTHROPIC_BASE_URL? LLM faults cannot reach it otherwise", flush=True)
    print(f"wrote {out} (valid scenario: {name})")
    print(f"try:  harness run {shlex.quote(str(out))} --time-scale 0.25")
    return 0
