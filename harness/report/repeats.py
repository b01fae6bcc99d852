"""`repeats.html`: pass^N and the across-run interval of each SLO (harness run --repeat)."""

from __future__ import annotations

import os
from pathlib import Path

from harness.atomic import write_atomic
from harness.gate.repeat import Repeated
from harness.report.templating import render_template

__all__ = ["render_repeats"]


def render_repeats(groups: list[Repeated], out: Path) -> Path:
    def link(run_dir: str) -> str:
        return Path(os.path.relpath(Path(run_dir) / "report.html", out.parent)).as_posix()

    return write_atomic(out, render_template("repeats.html.j2", groups=groups, link=link))
