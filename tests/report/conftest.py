"""Report test fixtures: fixture runs (see report_runs.py) and a headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_runs import CHROMIUM, CHROMIUM_ARGS, make_killed_run, make_run

from tests.requires import skip_or_fail


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only fixture runs; tests that write copy them first (see `run_copy`)."""
    base = tmp_path_factory.mktemp("runs")
    return {
        "hardened": make_run(base / "20250101-000000-claude-api-hiccup-hardened"),
        "naive": make_run(base / "20250101-000100-claude-api-hiccup-naive", profile="naive",
                          fault_error_rate=0.6, seed=2),
        "killed": make_killed_run(base / "20250101-000200-killed-naive"),
    }


@pytest.fixture
def run_copy(runs: dict[str, Path], tmp_path: Path):
    def copy(name: str) -> Path:
        return Path(shutil.copytree(runs[name], tmp_path / runs[name].name))
    return copy


# Module scope, not session: the sync API keeps an asyncio loop running in the main thread
# while it is open, and a later test's `asyncio.run` in the same worker would then fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class OpenedPage:
    """A page loaded from a file with every console message and request it made."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.goto(url, wait_until="load")

    def assert_clean(self) -> None:
        """No console error, no script error, and no request but the file itself."""
        errors = [text for kind, text in self.console if kind in ("error", "warning")]
        assert errors == [], errors
        assert self.page_errors == []
        assert [u for u in self.requests if u != self.url] == [], self.requests


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_(path: Path, width: int = 1200, height: int = 900) -> OpenedPage:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return OpenedPage(context.new_page(), path.resolve().as_uri())

    try:
        yield open_
    finally:
        for context in contexts:
            context.close()
