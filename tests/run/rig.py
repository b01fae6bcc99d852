"""Helpers for tests that start `harness run` in the background and break the rig under it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.run.conftest import alive, descendants, wait_for

LONG = """\
name: long-quiet
title: "A long quiet run, to be broken from outside"
duration: 90s
agent: {profile: hardened}
load: {users: 2, spawn_rate: 2, tenants: [acme], mix: {chat: 1}, think_time: 200ms}
slos:
  availability: ">= 99%"
"""


def records(out: Path) -> list[dict]:
    """Every complete request record under `out` (a torn last line is not a record)."""
    rows = []
    for path in out.glob("*/requests*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows


def wait_for_load(out: Path, timeout_s: float = 180) -> None:
    wait_for(lambda: len(records(out)) >= 3, timeout_s, "the first requests to be recorded")


def find_child(pid: int, *words: str) -> psutil.Process:
    """The descendant of `pid` whose command line holds every word."""
    for proc in descendants(pid):
        try:
            cmdline = " ".join(proc.cmdline())
        except psutil.NoSuchProcess:
            continue
        if all(w in cmdline for w in words):
            return proc
    raise AssertionError(f"no child of {pid} runs {words}")


def run_dir(out: Path) -> Path:
    (found,) = [p for p in out.iterdir() if p.is_dir()]
    return found


def status(out: Path) -> str:
    return json.loads((run_dir(out) / "run.json").read_text())["status"]


def assert_nothing_left(children: list[psutil.Process]) -> None:
    wait_for(lambda: not alive(children), 20, "every child to exit")


def send(pid: int, sig: signal.Signals) -> None:
    psutil.Process(pid).send_signal(sig)


PYTHON = sys.executable
__all__ = ["LONG", "PYTHON", "assert_nothing_left", "find_child", "records", "run_dir", "send",
           "status", "subprocess", "wait_for_load"]
