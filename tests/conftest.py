"""Checks every test of the suite shares."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A test must not leave an asyncio loop running in the main thread: every later test of
    that worker calling `asyncio.run` fails then, far from the cause (Playwright's sync API
    does this while it is open, so only the tests sharing its `browser` may follow it)."""
    yield
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # none running: the normal case
        return
    if nextitem is not None and "browser" in getattr(nextitem, "fixturenames", ()):
        return
    raise AssertionError(f"{item.nodeid} left an asyncio event loop running in the main thread")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, then those that start processes, then the rest: with xdist's
    `--dist worksteal` the long ones start early and an idle worker takes the short ones
    queued behind them (in file order with `--dist load`, one worker idled for 3.5 min of a
    16-min run while the other finished the A/A gate)."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("integration") else 2

    items.sort(key=rank)  # stable: file order within a rank
