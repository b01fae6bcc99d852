"""Run one scenario for one profile: stack + load + faults -> records -> SLO verdict -> outputs.

The order of teardown is the reverse of start-up and always runs: faults are reverted, load
stops, the stack goes down. Records are on disk as they happen, so even an interrupted run
leaves its evidence (and an interrupted run never writes a verdict it did not earn).
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML

from harness import __version__
from harness.errors import StackError, UsageError
from harness.faults.base import FaultContext
from harness.faults.rollback import watch_deploys
from harness.faults.scheduler import FaultScheduler
from harness.load.config import AttackConfig, LoadConfig
from harness.load.runner import LoadRunner
from harness.measure import load_run
from harness.run.progress import Progress
from harness.run.tail import RecordTail
from harness.scenario import Scenario
from harness.slo import SLOReport, evaluate
from harness.stack.compose import ComposeConfig, ComposeStack
from harness.stack.local import AgentSpec, LocalStack, StackConfig

PROFILES = ("naive", "hardened")
_VERSIONED = ("anthropic", "locust", "pandas", "pydantic", "fastapi", "mcp", "toxiproxy-python")


@dataclass
class RunOptions:
    out_root: Path = Path("reports")
    seed: int | None = None  # overrides the scenario's seed
    time_scale: float = 1.0
    strict: bool = False
    workers: int = 0
    progress: bool = True
    render: bool = True  # write report.html
    use_expect: bool = True  # succeed when the verdict equals `expect[profile]`
    prometheus: bool | None = None  # None: when a `prometheus` binary is on PATH
    stack: str = "local"  # local (embedded processes) | compose (docker-compose.yml)
    tools_store: str | None = None  # the tool server's tenant store (postgresql://... for RLS)


@dataclass
class RunResult:
    scenario: Scenario
    profile: str  # naive | hardened | own
    run_dir: Path
    verdict: str  # pass | fail | inconclusive
    expected: str | None
    slos: list[dict[str, Any]] = field(default_factory=list)
    report_html: Path | None = None

    @property
    def succeeded(self) -> bool:
        """The run is green: its verdict equals the expectation, or every SLO was met."""
        if self.expected is not None:
            return self.verdict == self.expected
        return self.verdict == "pass"

    @property
    def suite_name(self) -> str:
        return f"{self.scenario.name}[{self.profile}]"


def profiles_for(scenario: Scenario, requested: str | None) -> list[str]:
    """Which profiles to run: `own` for the user's agent; else the CLI choice, the scenario's
    agent.profile, the profiles named in `expect`, or hardened."""
    if scenario.agent.kind != "reference":
        return ["own"]
    if requested == "all":
        return list(PROFILES)
    if requested:
        return [requested]
    if scenario.agent.profile:
        return [scenario.agent.profile]
    named = [p for p in PROFILES if p in scenario.expect]
    return named or ["hardened"]


def _new_run_dir(out_root: Path, scenario: Scenario, profile: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = out_root / f"{stamp}-{scenario.name}-{profile}"
    run_dir, n = base, 1
    while run_dir.exists():
        n += 1
        run_dir = base.with_name(f"{base.name}-{n}")
    run_dir.mkdir(parents=True)
    return run_dir


def _versions() -> dict[str, str]:
    found = {"harness": __version__, "python": sys.version.split()[0]}
    for name in _VERSIONED:
        with suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def _tenants(scenario: Scenario, seed: int) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """(tenant -> {key, region}) and the extra load data (canaries of every tenant, ids of the
    tenants that send load) for the agent kind."""
    if scenario.agent.tenants:
        tenants = {n: {"key": t.key, "region": t.region}
                   for n, t in scenario.agent.tenants.items()}
        return tenants, {}
    from reference_agent import tenants as ref

    tenants = {n: {"key": t.api_key, "region": t.region} for n, t in ref.TENANTS.items()}
    extra = {
        "canaries": ref.canaries(seed),
        "order_ids": {n: ref.order_ids(n) for n in scenario.load.tenants},
        "customer_ids": {n: ref.customer_ids(n) for n in scenario.load.tenants},
    }
    return tenants, extra


def _without_password(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def rerun_command(scenario: Scenario, profile: str, seed: int, time_scale: float) -> str:
    path = str(scenario.source) if scenario.source else f"<{scenario.name}.yaml>"
    argv = ["harness", "run", path, "--seed", str(seed)]
    if profile != "own":
        argv += ["--profile", profile]
    if time_scale != 1.0:
        argv += ["--time-scale", f"{time_scale:g}"]
    return shlex.join(argv)


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every `finally` (revert, stop, teardown) runs."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_scenario(
    scenario: Scenario,
    profile: str,
    options: RunOptions,
    on_run_dir: Callable[[Path], None] | None = None,
) -> RunResult:
    """Run `scenario` once with `profile` (naive | hardened | own) and return its verdict."""
    seed = options.seed if options.seed is not None else scenario.seed
    scaled = scenario.scaled(options.time_scale) if options.time_scale != 1.0 else scenario
    run_dir = _new_run_dir(options.out_root, scenario, profile)
    if on_run_dir is not None:
        on_run_dir(run_dir)
    tenants, load_extra = _tenants(scenario, seed)
    run_info: dict[str, Any] = {
        "scenario": scenario.name, "title": scenario.title, "chapter": scenario.chapter,
        "description": scenario.description, "profile": profile, "seed": seed,
        "time_scale": options.time_scale, "duration_s": scaled.duration,
        "source": str(scenario.source) if scenario.source else None,
        "rerun": rerun_command(scenario, profile, seed, options.time_scale),
        "versions": _versions(), "tenants": tenants, "expected": scenario.expect.get(profile),
        "status": "running", "started": time.time(), "ended": None, "verdict": None,
        "tools_store": _without_password(options.tools_store) or "sqlite (in memory)",
    }
    yaml = YAML()
    yaml.default_flow_style = False
    with (run_dir / "scenario.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(scaled.to_yaml_dict(), fh)
    _write_json(run_dir / "run.json", run_info)

    agent = scenario.agent
    prometheus = options.prometheus
    if prometheus is None:
        from harness.stack.prometheus import find_prometheus

        prometheus = find_prometheus() is not None
    stack_config = StackConfig(
        run_dir=run_dir, seed=seed, prometheus=prometheus, tools_store=options.tools_store,
        agent=AgentSpec(
            profile=None if profile == "own" else profile, overrides=dict(agent.set),
            command=agent.command, url=agent.url, health=agent.health, env=dict(agent.env),
        ),
    )
    load = scaled.load
    load_tenants = {name: tenants[name]["key"] for name in load.tenants}
    try:
        with _sigterm_unwinds(), _open_stack(options, stack_config) as stack:
            run_info["stack"] = stack.describe()
            _write_json(run_dir / "run.json", run_info)
            load_config = LoadConfig(
                target_url=stack.agent_url, chat_path=agent.chat_path, users=load.users,
                # Locust's own limit is a backstop; the harness stops it at `duration`.
                spawn_rate=load.spawn_rate, run_time_s=scaled.duration + 120.0,
                tenants=load_tenants, tenant_weights=dict(load.tenants),
                mix=dict(load.mix), seed=seed, think_time_s=load.think_time,
                request_timeout_s=load.request_timeout,
                attacks=AttackConfig(**load.attacks.model_dump()) if load.attacks else None,
                records_dir=run_dir, **load_extra,
            )
            ctx = FaultContext(
                toxiproxy_url=stack.urls["toxiproxy"],
                llm_control={"llm": stack.urls["llm"], "llm_eu": stack.urls["llm_eu"]},
                tools_url=stack.urls["tools"], processes=stack,
            )
            _drive(scaled, run_dir, stack, load_config, ctx, options, run_info)
    except KeyboardInterrupt:
        run_info.update(status="interrupted", ended=time.time())
        _write_json(run_dir / "run.json", run_info)
        raise
    except BaseException as exc:
        run_info.update(status="error", ended=time.time(), error=str(exc))
        _write_json(run_dir / "run.json", run_info)
        raise
    run_info.update(status="finished", ended=time.time())
    _write_json(run_dir / "run.json", run_info)
    return _conclude(scenario, profile, run_dir, run_info, options)


def _open_stack(options: RunOptions, config: StackConfig) -> LocalStack | ComposeStack:
    if options.stack == "local":
        return LocalStack(config)
    if config.agent.command or config.agent.url:
        raise UsageError("--stack compose runs the reference agent image; for your own agent "
                         "use the local stack (agent.command / agent.url)")
    return ComposeStack(ComposeConfig(
        project_dir=Path.cwd(), profile=config.agent.profile or "hardened",
        agent_overrides=dict(config.agent.overrides), run_dir=config.run_dir,
    ))


def _drive(scenario: Scenario, run_dir: Path, stack: LocalStack | ComposeStack,
           load_config: LoadConfig, ctx: FaultContext, options: RunOptions,
           run_info: dict[str, Any]) -> None:
    """Load and faults for `scenario.duration`; both always stop, faults reverted first."""
    stack_events = run_dir / "stack_events.jsonl"

    def record_stack_event(event: dict[str, Any]) -> None:
        with stack_events.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")

    stack.on_event = record_stack_event
    tail = RecordTail(run_dir)
    load = LoadRunner(load_config, run_dir / "logs" / "locust.log", workers=options.workers)
    scheduler = FaultScheduler(scenario.faults, ctx, run_dir / "faults.jsonl")
    progress = Progress(scenario, enabled=options.progress)
    try:
        load.start()
        # t = 0 is the first recorded request, not Locust's start-up (which takes seconds):
        # faults are scheduled against traffic, and the harness, not Locust, ends the run.
        _await_first_record(load, tail, timeout_s=60.0)
        scheduler.start()
        started = time.monotonic()
        run_info["load_started"] = time.time()  # t = 0 of the scenario's timeline
        _write_json(run_dir / "run.json", run_info)
        agent = stack_agent(stack)
        with progress, watch_deploys(scheduler, run_dir, agent.profile, agent.overrides):
            while (elapsed := time.monotonic() - started) < scenario.duration:
                if load.wait(timeout=0.25) is not None:
                    break  # Locust ended early (see logs/locust.log)
                tail.poll()
                progress.update(elapsed, tail.stats(time.time()),
                                [f.describe() for f in scheduler.active()])
            tail.poll()
            progress.update(time.monotonic() - started, tail.stats(time.time()), [])
    finally:
        scheduler.stop()
        load.stop()
        run_info["load_ended"] = time.time()
        stack.collect_alerts(start=run_info.get("load_started") or run_info["started"])


def stack_agent(stack: LocalStack | ComposeStack) -> AgentSpec:
    """The reference agent's profile and flags as the stack runs it (profile None: yours)."""
    if isinstance(stack, LocalStack):
        return stack.config.agent
    return AgentSpec(profile=stack.config.profile, overrides=dict(stack.config.agent_overrides))


def _await_first_record(load: LoadRunner, tail: RecordTail, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tail.poll()
        if tail.total > 0:
            return
        if load.wait(timeout=0.1) is not None:
            raise StackError("locust", "load generator exited before its first request",
                             load.log_path.read_text(errors="replace")[-3000:])
    raise StackError("locust", f"no request recorded within {timeout_s:.0f}s",
                     load.log_path.read_text(errors="replace")[-3000:])


def _conclude(scenario: Scenario, profile: str, run_dir: Path, run_info: dict[str, Any],
              options: RunOptions) -> RunResult:
    data = load_run(run_dir)
    report: SLOReport = evaluate(scenario.slos, data, strict=options.strict, seed=run_info["seed"])
    report.write(run_dir)
    slos = report.to_dict()["slos"]
    run_info["verdict"] = report.verdict
    _write_json(run_dir / "run.json", run_info)
    result = RunResult(scenario=scenario, profile=profile, run_dir=run_dir,
                       verdict=report.verdict, expected=scenario.expect.get(profile)
                       if options.use_expect else None, slos=slos)
    from harness.run.junit import write_junit

    write_junit(run_dir / "junit.xml", [junit_entry(result)])
    if options.render:
        from harness.report import render_run

        result.report_html = render_run(run_dir)
    return result


def junit_entry(result: RunResult) -> dict[str, Any]:
    return {"suite": result.suite_name, "run_dir": str(result.run_dir), "verdict": result.verdict,
            "expected": result.expected, "profile": result.profile, "slos": result.slos}
