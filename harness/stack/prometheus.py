"""A real Prometheus on loopback for the local stack: scrapes the agent, loads the SLO rules.

    prom = start_prometheus(run_dir, {"agent": stack.urls["agent"]}, spawn=stack_spawner)
    ...                                  # the run; alerts fire as the rules say
    collect_alerts(prom.url, run_dir)    # -> run_dir/alerts.jsonl (docs/contracts.md)
    prom.stop()

The rules are rendered into the run directory with windows divided by `window_scale`
(default 60: the SRE workbook's 1h/5m page becomes 1m/5s), so alerts can fire within a
test run. Prometheus prints no `listening on` line; its URL is fixed up front (a free port)
and `/-/ready` is its health check.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML

from harness.errors import StackError
from harness.measure.prometheus import PrometheusReader, collect_alerts
from harness.netutil import LOOPBACK, free_port, require_loopback
from harness.stack.alert_rules import RuleSettings, render_rules
from harness.stack.process import ManagedProcess

__all__ = ["DEFAULT_WINDOW_SCALE", "PrometheusProcess", "collect_alerts", "find_prometheus",
           "start_prometheus", "wait_for_scrape", "write_config"]

DEFAULT_WINDOW_SCALE = 60.0
READY_PATH = "/-/ready"


def find_prometheus() -> str | None:
    """Path of a `prometheus` binary on PATH (Debian: /usr/bin/prometheus), else None."""
    return shutil.which("prometheus")


class PrometheusProcess(ManagedProcess):
    """Prometheus: its URL is known before it starts (it prints no `listening on` line), so
    ManagedProcess waits for `/-/ready` only."""


def _target(url: str) -> str:
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise StackError("prometheus", f"scrape target {url!r} needs a host and a port")
    require_loopback(parts.hostname)
    return f"{parts.hostname}:{parts.port}"


def write_config(
    path: Path,
    targets: Mapping[str, str],
    rule_files: Sequence[Path],
    scrape_interval_s: float = 1.0,
    evaluation_interval_s: float = 1.0,
) -> Path:
    """Write prometheus.yml: one job per target (job name = key, e.g. `agent`)."""
    interval = f"{max(1, round(scrape_interval_s))}s"
    config: dict[str, Any] = {
        "global": {"scrape_interval": interval,
                   "scrape_timeout": interval,
                   "evaluation_interval": f"{max(1, round(evaluation_interval_s))}s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {"job_name": job, "metrics_path": urlsplit(url).path or "/metrics",
             "static_configs": [{"targets": [_target(url)]}]}
            for job, url in targets.items()
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(config, fh)
    return path


def start_prometheus(
    run_dir: Path,
    targets: Mapping[str, str],
    rules_dir: Path | None = None,
    spawn: Callable[[Callable[[], Any]], Any] | None = None,
    *,
    window_scale: float = DEFAULT_WINDOW_SCALE,
    settings: RuleSettings | None = None,
    binary: str | None = None,
    start_timeout_s: float = 60.0,
) -> PrometheusProcess:
    """Start Prometheus on a free loopback port and return it once `/-/ready` answers.

    `targets`: job name -> metrics URL (`http://127.0.0.1:PORT/metrics`; a bare base URL gets
    `/metrics`). The generated agent rules (scaled by `window_scale`) are always loaded, plus
    every `*.yml` in `rules_dir`. `spawn` runs the fork on the caller's spawner thread
    (LocalStack's PR_SET_PDEATHSIG thread); without it the fork happens on this thread.
    Data, config and rules live in `run_dir/prometheus/`, the log in `run_dir/logs/`.
    """
    exe = binary or find_prometheus()
    if exe is None:
        raise StackError("prometheus", "no `prometheus` binary on PATH "
                                       "(Debian/Ubuntu: apt-get install prometheus)")
    home = run_dir / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    rule_settings = settings or RuleSettings(scale=window_scale)
    agent_rules = home / "agent.rules.yml"
    agent_rules.write_text(render_rules(rule_settings), encoding="utf-8")
    rule_files = [agent_rules.resolve()]
    if rules_dir is not None:
        rule_files += sorted(p.resolve() for p in Path(rules_dir).glob("*.yml"))
    interval = 1.0 if rule_settings.scale > 1 else 15.0
    scrape = {job: url if urlsplit(url).path not in ("", "/") else url.rstrip("/") + "/metrics"
              for job, url in targets.items()}
    config = write_config(home / "prometheus.yml", scrape, rule_files, interval, interval)
    port = free_port()
    proc = PrometheusProcess(
        "prometheus",
        [exe, f"--config.file={config.resolve()}",
         f"--storage.tsdb.path={(home / 'data').resolve()}",
         f"--web.listen-address={LOOPBACK}:{port}",
         "--storage.tsdb.retention.time=1d",
         # The local stack's instant queries must see a recovery within seconds, not 5m.
         "--query.lookback-delta=30s" if rule_settings.scale > 1 else "--query.lookback-delta=5m"],
        run_dir / "logs" / "prometheus.log",
        health=READY_PATH, url=f"http://{LOOPBACK}:{port}", start_timeout_s=start_timeout_s,
    )
    if spawn is not None:
        spawn(proc.spawn)
    else:
        proc.spawn()
    proc.wait_ready()
    return proc


def wait_for_scrape(prom_url: str, job: str, timeout_s: float = 30.0) -> None:
    """Block until Prometheus has scraped `job` successfully at least once."""
    reader = PrometheusReader(prom_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if reader.target_up(job):
            return
        time.sleep(0.2)
    raise StackError("prometheus", f"job {job!r} not scraped within {timeout_s:.0f}s")
