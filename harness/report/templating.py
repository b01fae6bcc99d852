"""The jinja2 environment: packaged templates, autoescaping on, formatting filters."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

from harness import __version__
from harness import units as fmt


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=fmt.pct, ms=fmt.ms, seconds=fmt.seconds, usd=fmt.usd, num=fmt.num,
        offset=fmt.offset, when=fmt.when, slo_value=fmt.slo_value, verdict_word=fmt.verdict_word,
        budget=fmt.budget,
        verdict_symbol=lambda v: fmt.VERDICT_SYMBOLS[fmt.normalise_verdict(v)], tojson_pretty=_json,
    )
    env.globals["harness_version"] = __version__
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
