"""`agent.upstreams`: your agent's own HTTP dependencies, each put behind a Toxiproxy proxy.

    upstreams:
      crm: http://127.0.0.1:9100                         # already running
      kb: {command: "python kb.py --port {port}", health: /healthz, start_timeout: 30s}

A name is a slug (lowercase letters, digits, single dashes): it names the proxy, the fault
target (`target: crm`) and the agent's environment variable (`HARNESS_UPSTREAM_CRM_URL`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from harness.netutil import is_loopback
from harness.scenario.types import Duration, StrictModel

# Names of the proxies and processes the harness has already: an upstream may not take them.
RESERVED_NAMES = ("agent", "llm", "tools", "toxiproxy", "prometheus", "locust")
DEFAULT_UPSTREAM_START_TIMEOUT_S = 60.0
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _upstream_name(value: str) -> str:
    if not _NAME.fullmatch(value) or len(value) > 40:
        raise ValueError(f"invalid upstream name {value!r}; use lowercase letters, digits and "
                         "single dashes, starting with a letter (e.g. crm, vector-store)")
    if value in RESERVED_NAMES:
        raise ValueError(f"upstream name {value!r} is taken by the harness; reserved: "
                         f"{', '.join(RESERVED_NAMES)}")
    return value


def is_upstream_name(value: str) -> bool:
    """Whether `value` could name an upstream (the fault schema's part of a target check)."""
    return bool(_NAME.fullmatch(value)) and len(value) <= 40 and value not in RESERVED_NAMES


UpstreamName = Annotated[str, AfterValidator(_upstream_name)]


def loopback_url_problem(url: str) -> str | None:
    """Why `url` cannot be an upstream (None when it can): http(s), loopback, a valid port."""
    if not re.match(r"^https?://", url):
        return f"{url!r} must start with http:// or https://"
    split = urlsplit(url)
    if not is_loopback(split.hostname or ""):
        return (f"{url!r} must be on loopback (127.0.0.1, localhost or ::1): faults and load "
                "stay on this machine")
    try:
        split.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        return f"{url!r} has a bad port: {exc}"
    return None


def _as_mapping(value: Any) -> Any:
    if isinstance(value, str):
        return {"url": value}
    if isinstance(value, dict):
        return value
    raise ValueError("expected a URL (http://127.0.0.1:9100) or a mapping "
                     "{command, health, start_timeout, env}")


class _Upstream(StrictModel):
    """One dependency: `url` (already running) or `command` (started by the harness on a port
    it picks). Either is ready when `health` answers 200 (a URL without `health`: when it
    accepts connections) within `start_timeout`; else the run stops with exit 3."""

    url: str | None = None
    command: str | None = Field(default=None, min_length=1)
    health: str | None = Field(default=None, pattern=r"^/")
    start_timeout: Duration = Field(default=DEFAULT_UPSTREAM_START_TIMEOUT_S, gt=0, le=3600)
    env: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> _Upstream:
        if (self.url is None) == (self.command is None):
            raise ValueError("give either a URL (already running) or `command` (we start it)")
        if self.url is not None:
            problem = loopback_url_problem(self.url)
            if problem:
                raise ValueError(f"upstream url {problem}")
            if self.env:
                raise ValueError("`env` applies only with `command`")
        if self.command is not None and "{port}" not in self.command:
            raise ValueError("`command` must contain {port}: the harness picks a free port")
        return self

    @property
    def health_path(self) -> str | None:
        """The path probed before the agent starts: `/healthz` for a command by default; a
        URL upstream without `health` only has to accept connections."""
        if self.health is not None:
            return self.health
        return "/healthz" if self.command is not None else None


UpstreamSpec = Annotated[_Upstream, BeforeValidator(_as_mapping)]
