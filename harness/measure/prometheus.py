"""Read agent-side metrics and alert history from Prometheus (via prometheus-api-client).

    reader = PrometheusReader("http://127.0.0.1:9090")
    reader.value("agent:error_ratio:rate5m")           # float | None (instant query)
    reader.alert_episodes(start, end)                  # AlertEpisode list, oldest first
    collect_alerts(prom_url, run_dir, start, end)      # -> run_dir/alerts.jsonl

An *episode* is one uninterrupted stretch during which an alert (one label set) was firing,
seen through `ALERTS{alertstate="firing"}` at the query step (default: 1s, coarser for long
runs so a range query stays under Prometheus's 11,000 points).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from requests import RequestException

from harness.errors import HarnessError
from harness.records import ALERTS_FILE, AlertEpisode, write_alerts
from harness.records.schema import PROMETHEUS

__all__ = ["ALERTS_FILE", "PrometheusError", "PrometheusReader", "collect_alerts"]

_MAX_POINTS = 10_000
_INTERNAL_LABELS = ("__name__", "alertname", "alertstate")


class PrometheusError(HarnessError):
    """Prometheus could not be queried (down, bad query)."""


def _dt(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


class PrometheusReader:
    """Queries one Prometheus server; every failure becomes a `PrometheusError`."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = PrometheusConnect(url=self.url, disable_ssl=True)
        self._timeout = max(1, math.ceil(timeout_s))

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query: the result vector (`[{"metric": {...}, "value": [ts, "v"]}, ...]`)."""
        try:
            return list(self._client.custom_query(promql, timeout=self._timeout))
        except (PrometheusApiClientException, RequestException) as exc:
            raise PrometheusError(f"query {promql!r} on {self.url}: {exc}") from exc

    def query_range(self, promql: str, start: float, end: float,
                    step_s: float) -> list[dict[str, Any]]:
        """Range query: `[{"metric": {...}, "values": [[ts, "v"], ...]}, ...]`."""
        try:
            return list(self._client.custom_query_range(
                promql, start_time=_dt(start), end_time=_dt(end), step=f"{step_s:g}s",
                timeout=self._timeout))
        except (PrometheusApiClientException, RequestException) as exc:
            raise PrometheusError(f"range query {promql!r} on {self.url}: {exc}") from exc

    def value(self, promql: str) -> float | None:
        """The single value of an instant query, or None when the result is empty."""
        result = self.query(promql)
        if not result:
            return None
        return float(result[0]["value"][1])

    def target_up(self, job: str) -> bool:
        """Has `job` been scraped successfully (up == 1)?"""
        return self.value(f'max(up{{job="{job}"}})') == 1.0

    def alert_episodes(self, start: float, end: float,
                       step_s: float | None = None) -> list[AlertEpisode]:
        """Firing episodes of every alert between `start` and `end` (epoch s), oldest first:
        `labels` without alertname/alertstate, `ts` the first sample seen firing, `ts_end`
        the last."""
        if end <= start:
            return []
        step = step_s or max(1.0, math.ceil((end - start) / _MAX_POINTS))
        series = self.query_range('ALERTS{alertstate="firing"}', start, end, step)
        episodes: list[AlertEpisode] = []
        for item in series:
            metric = item.get("metric", {})
            labels = {k: v for k, v in metric.items() if k not in _INTERNAL_LABELS}
            times = sorted(float(ts) for ts, _ in item.get("values", []))
            first = prev = None
            for ts in times:
                if first is None:
                    first = prev = ts
                elif ts - prev > 1.5 * step:  # a gap: the alert resolved and fired again
                    episodes.append(_episode(metric, labels, first, prev, step))
                    first = ts
                prev = ts
            if first is not None and prev is not None:
                episodes.append(_episode(metric, labels, first, prev, step))
        episodes.sort(key=lambda e: (e.ts, e.alert or ""))
        return episodes


def _episode(metric: dict[str, str], labels: dict[str, str], first: float, last: float,
             step: float) -> AlertEpisode:
    return AlertEpisode(alert=metric.get("alertname"), severity=labels.get("severity"),
                        labels=labels, ts=first, ts_end=last, step_s=step)


def collect_alerts(prom_url: str, run_dir: str | Path, start: float,
                   end: float | None = None, step_s: float | None = None) -> Path:
    """Make every firing episode between `start` and `end` (default: now) Prometheus' rows
    of `run_dir/alerts.jsonl` (see docs/contracts.md); returns the path.

    Call it before stopping Prometheus. Collecting again replaces Prometheus' earlier rows;
    rows of other sources (the deploy watcher) are kept (`harness.records.write_alerts`)."""
    episodes = PrometheusReader(prom_url).alert_episodes(
        start, end if end is not None else time.time(), step_s)
    return write_alerts(run_dir, PROMETHEUS, episodes)
