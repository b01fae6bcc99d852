"""Run one scenario for one profile: stack + load + faults -> records -> SLO verdict -> outputs.

The order of teardown is the reverse of start-up and always runs: faults are reverted, load
stops, the stack goes down. Records are on disk as they happen, so even an interrupted run
leaves its evidence (and an interrupted run never writes a verdict it did not earn). A
dependency that dies mid-run ends the run as a rig failure (exit 3, no verdict).
"""

from __future__ import annotations

import errno
import shlex
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from harness import __version__
from harness.errors import HarnessError, InternalError, StackError
from harness.faults.base import FaultContext
from harness.faults.rollback import watch_deploys
from harness.faults.scheduler import FaultScheduler
from harness.load.config import AttackConfig, LoadConfig
from harness.load.runner import LoadRunner
from harness.measure import load_run
from harness.records import StackEventLog
from harness.run.progress import Progress
from harness.run.signals import unwind_on_signals
from harness.run.state import RunRecord, RunState
from harness.run.tail import RecordTail
from harness.scenario import Scenario
from harness.slo import SLOReport, evaluate
from harness.stack.base import RigFailure, Stack, StackConfig, open_stack
from harness.targets import Target, load_fields, target_for
from harness.verdict import meets_expectation

PROFILES = ("naive", "hardened")
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
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
    stack: str = "local"  # a name in harness.stack.base.STACKS
    tools_store: str | None = None  # the tool server's tenant store (postgresql://... for RLS)
    stack_options: dict[str, Any] = field(default_factory=dict)  # e.g. the compose file


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
        return meets_expectation(self.verdict, self.expected)

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
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def rerun_command(scenario: Scenario, profile: str, seed: int, time_scale: float) -> str:
    path = str(scenario.source) if scenario.source else f"<{scenario.name}.yaml>"
    argv = ["harness", "run", path, "--seed", str(seed)]
    if profile != "own":
        argv += ["--profile", profile]
    if time_scale != 1.0:
        argv += ["--time-scale", f"{time_scale:g}"]
    return shlex.join(argv)


def _internal(exc: BaseException, run_dir: Path) -> InternalError:
    """An unexpected exception: its traceback goes to the run's log, the CLI prints one line."""
    log = run_dir / "logs" / "harness.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return InternalError(exc, str(log))


def run_scenario(
    scenario: Scenario,
    profile: str,
    options: RunOptions,
    on_run_dir: Callable[[Path], None] | None = None,
    target: Target | None = None,
) -> RunResult:
    """Run `scenario` once with `profile` (naive | hardened | own) and return its verdict.
    `target` replaces the agent the scenario describes (a release gate's baseline or
    candidate); its `label` is the profile column then."""
    seed = options.seed if options.seed is not None else scenario.seed
    scaled = scenario.scaled(options.time_scale) if options.time_scale != 1.0 else scenario
    target = target or target_for(scenario.agent, profile, seed)
    run_dir = _new_run_dir(options.out_root, scenario, profile)
    if on_run_dir is not None:
        on_run_dir(run_dir)
    tenants = target.tenants()
    record = RunRecord(run_dir, {
        "scenario": scenario.name, "title": scenario.title, "chapter": scenario.chapter,
        "description": scenario.description, "profile": profile, "seed": seed,
        "time_scale": options.time_scale, "duration_s": scaled.duration,
        "source": str(scenario.source) if scenario.source else None,
        "rerun": rerun_command(scenario, profile, seed, options.time_scale),
        "versions": _versions(), "agent": target.describe(),
        "tenants": {n: {"key": t.key, "region": t.region} for n, t in tenants.items()},
        "expected": scenario.expect.get(profile),
    })
    yaml = YAML()
    yaml.default_flow_style = False
    with (run_dir / "scenario.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(scaled.to_yaml_dict(), fh)

    prometheus = options.prometheus
    if prometheus is None:
        from harness.stack.prometheus import find_prometheus

        prometheus = find_prometheus() is not None
    stack_config = StackConfig(run_dir=run_dir, target=target, seed=seed, prometheus=prometheus,
                               tools_store=options.tools_store,
                               options=dict(options.stack_options),
                               model_args=scenario.model.cli_args())
    try:
        with unwind_on_signals(), open_stack(options.stack, stack_config) as stack:
            described = stack.describe()
            record.update(stack=described, tools_store=described.get("tools_store"))
            record.enter(RunState.RUNNING)
            _drive(scaled, run_dir, stack, _load_config(scaled, target, stack, run_dir, seed,
                                                       options), options, record)
    except KeyboardInterrupt:
        record.enter(RunState.INTERRUPTED)
        raise
    except StackError as exc:
        record.enter(RunState.RIG_FAILED, error=str(exc))
        raise
    except HarnessError as exc:
        record.enter(RunState.ERROR, error=str(exc))
        raise
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            internal = _internal(exc, run_dir)
            record.enter(RunState.ERROR, error=str(internal))
            raise internal from exc
        failure = RigFailure("run directory", f"no space left on device: {exc}")
        record.enter(RunState.RIG_FAILED, error=str(failure))
        raise failure from exc
    except Exception as exc:
        internal = _internal(exc, run_dir)
        record.enter(RunState.ERROR, error=str(internal))
        raise internal from exc
    record.enter(RunState.CONCLUDING)
    try:
        return _conclude(scenario, profile, run_dir, record, options)
    except HarnessError as exc:
        record.enter(RunState.ERROR, error=str(exc))
        raise
    except Exception as exc:
        internal = _internal(exc, run_dir)
        record.enter(RunState.ERROR, error=str(internal))
        raise internal from exc


def _load_config(scenario: Scenario, target: Target, stack: Stack, run_dir: Path, seed: int,
                 options: RunOptions) -> LoadConfig:
    load = scenario.load
    tenants = target.tenants()
    return LoadConfig(
        target_url=stack.endpoints.agent, api=scenario.agent.api, users=load.users,
        # Locust's own limit is a backstop; the harness stops it at `duration`.
        spawn_rate=load.spawn_rate, run_time_s=scenario.duration + 120.0,
        tenants={name: tenants[name].key for name in load.tenants},
        tenant_weights=dict(load.tenants), mix=dict(load.mix), seed=seed,
        think_time_s=load.think_time, request_timeout_s=load.request_timeout,
        attacks=AttackConfig(**load.attacks.model_dump()) if load.attacks else None,
        records_dir=run_dir, **load_fields(target, list(load.tenants)),
    )


def _drive(scenario: Scenario, run_dir: Path, stack: Stack, load_config: LoadConfig,
           options: RunOptions, record: RunRecord) -> None:
    """Load and faults for `scenario.duration`; both always stop, faults reverted first."""
    stack_events = StackEventLog(run_dir)
    stack.hub.add_listener(stack_events)
    endpoints = stack.endpoints
    ctx = FaultContext(toxiproxy_url=endpoints.toxiproxy, llm_control=dict(endpoints.llm),
                       tools_url=endpoints.tools, processes=stack)
    tail = RecordTail(run_dir)
    load = LoadRunner(load_config, run_dir / "logs" / "locust.log", workers=options.workers)
    scheduler = FaultScheduler(scenario.faults, ctx, run_dir / "faults.jsonl")
    progress = Progress(scenario, enabled=options.progress)
    disk = DiskWatch(run_dir)
    try:
        load.start()
        # t = 0 is the first recorded request, not Locust's start-up (which takes seconds):
        # faults are scheduled against traffic, and the harness, not Locust, ends the run.
        _await_first_record(load, tail, stack, timeout_s=60.0)
        scheduler.start()
        started = time.monotonic()
        record.update(load_started=time.time())  # t = 0 of the scenario's timeline
        watcher = watch_deploys(scheduler, run_dir, stack.running.auto_rollback())
        with progress, watcher:
            while (elapsed := time.monotonic() - started) < scenario.duration:
                if (failure := stack.failure() or disk.check()) is not None:
                    raise failure
                if (code := load.wait(timeout=0.25)) is not None:
                    raise RigFailure("locust", f"the load generator exited early (code {code}) "
                                               f"after {elapsed:.0f}s", _log_tail(load))
                tail.poll()
                progress.update(elapsed, tail.stats(time.time()),
                                [f.describe() for f in scheduler.active()])
            tail.poll()
            progress.update(time.monotonic() - started, tail.stats(time.time()), [])
    finally:
        scheduler.stop()
        load.stop()
        record.update(load_ended=time.time())
        stack.collect_evidence(start=record.info.get("load_started") or record.info["started"])
        stack_events.close()


class DiskWatch:
    """The run directory's free space: records that cannot be written are a broken rig."""

    MIN_FREE_BYTES = 512 * 1024

    def __init__(self, run_dir: Path, every_s: float = 1.0) -> None:
        self.run_dir = run_dir
        self.every_s = every_s
        self._next = 0.0

    def check(self) -> RigFailure | None:
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + self.every_s
        free = shutil.disk_usage(self.run_dir).free
        if free >= self.MIN_FREE_BYTES:
            return None
        return RigFailure("run directory", f"no space left on device for records "
                                           f"({free} bytes free in {self.run_dir})")


def _log_tail(load: LoadRunner) -> str:
    try:
        return load.log_path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


def _await_first_record(load: LoadRunner, tail: RecordTail, stack: Stack,
                        timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tail.poll()
        if tail.total > 0:
            return
        if (failure := stack.failure()) is not None:
            raise failure
        if load.wait(timeout=0.1) is not None:
            raise StackError("locust", "load generator exited before its first request",
                             _log_tail(load))
    raise StackError("locust", f"no request recorded within {timeout_s:.0f}s", _log_tail(load))


def _conclude(scenario: Scenario, profile: str, run_dir: Path, record: RunRecord,
              options: RunOptions) -> RunResult:
    data = load_run(run_dir)
    report: SLOReport = evaluate(scenario.slos, data, strict=options.strict,
                                 seed=record.info["seed"])
    report.write(run_dir)
    slos = report.to_dict()["slos"]
    record.enter(RunState.FINISHED, verdict=report.verdict)
    result = RunResult(scenario=scenario, profile=profile, run_dir=run_dir,
                       verdict=report.verdict, expected=scenario.expect.get(profile)
                       if options.use_expect else None, slos=slos)
    from harness.run.junit import write_junit

    write_junit(run_dir / "junit.xml", [junit_entry(result)])
    if options.render:
        from harness.report import render_run

        result.report_html = render_run(run_dir, data=data, slo=report)
    return result


def junit_entry(result: RunResult) -> dict[str, Any]:
    return {"suite": result.suite_name, "run_dir": str(result.run_dir), "verdict": result.verdict,
            "expected": result.expected, "profile": result.profile, "slos": result.slos}
