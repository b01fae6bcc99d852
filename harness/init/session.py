"""The agent `harness init` probes: started by the local stack as a run would start it, or
already running at a URL.

    with started_agent("python my_agent.py --port {port}", start_timeout_s=60) as agent:
        agent.base_url          # http://127.0.0.1:PORT, the agent itself (not its proxy)
        agent.check_alive()     # StackError once the agent has exited
        agent.llm_usage()       # (calls, usd) the fake LLM's ledger holds so far

A started agent gets the same stack and environment as under `harness run` (fake LLMs, tool
server, Toxiproxy, ANTHROPIC_BASE_URL...), so what answers here answers there. Leaving the
block stops every process, whatever happened inside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness.errors import StackError, UsageError
from harness.netutil import is_loopback
from harness.stack.base import StackConfig
from harness.stack.local import AGENT, LocalStack
from harness.targets import Dependencies, Launch
from harness.targets.own import CommandTarget
from harness.targets.reference import reference_tenants


@dataclass
class ProbeSession:
    """Where the probed agent answers, and what init may ask about it."""

    base_url: str
    command: str | None  # None: an agent already running at base_url
    log_tail: Callable[[], str] = lambda: ""
    check_alive: Callable[[], None] = lambda: None
    # (ledger calls, cost in USD) so far; None when the harness did not start the fake LLM
    llm_usage: Callable[[], tuple[int, float]] | None = None


class _HealthUnknown(CommandTarget):
    """The user's command with no health path yet: the stack spawns it without waiting for
    one (an empty path), and init looks for the path itself."""

    def launch(self, port: int, deps: Dependencies) -> Launch:
        return dataclasses.replace(super().launch(port, deps), health="")


def _check_command(command: str) -> None:
    if "{port}" not in command:
        raise UsageError(f"--command {command!r} must contain {{port}}: the harness picks a "
                         "free port and puts it there")
    try:
        shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"--command {command!r} cannot be parsed: {exc}") from exc


def _ledger_usage(run_dir: Path) -> tuple[int, float]:
    calls, usd = 0, 0.0
    for path in run_dir.glob("llm_calls.*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                row = json.loads(line)
                calls += 1
                usd += float(row.get("cost_usd") or 0.0)
    return calls, usd


@contextlib.contextmanager
def started_agent(command: str, start_timeout_s: float,
                  env: dict[str, str] | None = None) -> Iterator[ProbeSession]:
    """Start the stack with `command` as its agent; every process stops on leaving."""
    _check_command(command)
    with tempfile.TemporaryDirectory(prefix="harness-init-") as tmp:
        run_dir = Path(tmp)
        # The reference tenants are the ones a starter scenario without `tenants` borrows.
        target = _HealthUnknown(command=command, known_tenants=reference_tenants(1),
                                env=dict(env or {}), start_timeout_s=start_timeout_s)
        # The stack's own processes get at least what `harness run` gives them.
        config = StackConfig(run_dir=run_dir, target=target,
                             start_timeout_s=max(StackConfig.start_timeout_s, start_timeout_s))
        with LocalStack(config) as stack:
            proc = stack.processes[AGENT]

            def check_alive() -> None:
                exits = [e for e in stack.hub.events
                         if e["event"] == "exited" and e["process"] == AGENT]
                if exits or not proc.alive():
                    code = exits[0].get("code") if exits else (
                        proc.proc.returncode if proc.proc else None)
                    raise StackError(AGENT, f"exited during start-up (exit code {code}; "
                                            f"command: {shlex.join(proc.argv)})",
                                     proc.log_tail())

            assert proc.url is not None
            yield ProbeSession(base_url=proc.url, command=shlex.join(proc.argv),
                               log_tail=proc.log_tail, check_alive=check_alive,
                               llm_usage=lambda: _ledger_usage(run_dir))


@contextlib.contextmanager
def running_agent(url: str) -> Iterator[ProbeSession]:
    """An agent already running at `url` (loopback only, like `agent.url`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
        raise UsageError(f"--url {url!r} must be http(s) on loopback (127.0.0.1 or "
                         "localhost): load stays on this machine")
    if parts.port is None:
        raise UsageError(f"--url {url!r} needs a port, e.g. http://127.0.0.1:8000")
    if parts.path not in ("", "/") or parts.query:
        raise UsageError(f"--url {url!r} must be the agent's base URL, without a path: init "
                         "finds the health and chat paths itself")
    yield ProbeSession(base_url=f"{parts.scheme}://{parts.netloc}", command=None)
