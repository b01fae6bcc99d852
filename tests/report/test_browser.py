"""Reports opened in headless Chromium: offline, clean console, content and drawn charts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_runs import SLOS

from harness.report import render_compare, render_index, render_run

pytestmark = pytest.mark.integration

OKABE_BLUE = np.array([0x00, 0x72, 0xB2])


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def _ink_share(pixels: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((pixels.min(axis=2) < 235).mean())


def test_run_report_opens_offline_with_slos_faults_and_drawn_charts(run_copy, open_page) -> None:
    run_dir = run_copy("naive")
    report = render_run(run_dir)
    opened = open_page(report)
    opened.assert_clean()
    page = opened.page

    # The fixture's own verdict, not any verdict: the banner must say what slo.json says.
    verdict = json.loads((run_dir / "slo.json").read_text())["verdict"]
    assert page.locator(".banner .word").first.inner_text().split()[-1] == verdict.upper()
    rows = page.locator("table.slos tbody tr")
    assert rows.count() == len(SLOS)
    names = [rows.nth(i).get_attribute("data-slo") for i in range(rows.count())]
    assert names == list(SLOS)
    # Each fault window is labelled on each of the five timelines, and listed in the table.
    for label in ("http_error@llm", "latency@llm"):
        assert page.get_by_text(label, exact=False).count() >= 6

    charts = page.locator("figure.chart")
    assert charts.count() == 6
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        pixels = _pixels(chart.locator("svg").screenshot())
        assert _ink_share(pixels) > 0.03, f"chart {i} looks blank"
    # The requests/s series is drawn in Okabe-Ito blue.
    rps = _pixels(page.locator("#fig-rps svg").screenshot())
    assert (np.abs(rps - OKABE_BLUE).sum(axis=2) < 40).sum() > 200


def test_blank_page_is_detected_as_blank(tmp_path: Path, open_page) -> None:
    """The pixel check above can fail: an empty SVG has no ink."""
    page_file = tmp_path / "blank.html"
    page_file.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
                         '<body><svg viewBox="0 0 100 40" width="400"></svg></body></html>')
    opened = open_page(page_file)
    assert _ink_share(_pixels(opened.page.locator("svg").screenshot())) < 0.001


def test_report_fits_a_phone_and_prints(run_copy, open_page) -> None:
    report = render_run(run_copy("hardened"))
    opened = open_page(report, width=390, height=844)
    opened.assert_clean()
    page = opened.page
    # No sideways scrolling of the page: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    banner = page.locator(".banner").first.bounding_box()
    assert banner is not None and banner["width"] <= 390
    assert page.locator("nav.toc").is_visible()
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    assert page.pdf(format="A4")[:4] == b"%PDF"


def test_killed_run_report_opens_and_says_why(runs, tmp_path: Path, open_page) -> None:
    report = render_run(runs["killed"], tmp_path / "report.html")
    opened = open_page(report)
    opened.assert_clean()
    banner = opened.page.locator(".banner").first.inner_text()
    assert "INCONCLUSIVE" in banner and "no slo.json" in banner
    assert opened.page.get_by_text("down@llm").count() >= 1


def test_compare_and_index_open_clean_and_link_to_reports(run_copy, tmp_path, open_page) -> None:
    naive, hardened = run_copy("naive"), run_copy("hardened")
    for run in (naive, hardened):
        render_run(run)
    compare = render_compare(naive, hardened, tmp_path / "compare.html")
    opened = open_page(compare)
    opened.assert_clean()
    assert opened.page.locator("table.slo-deltas tbody tr").count() == len(SLOS)
    assert opened.page.locator("figure.chart").count() == 6
    assert opened.page.get_by_text("A: http_error@llm").count() >= 1
    assert opened.page.get_by_text("B: latency@llm").count() >= 1

    index = render_index([naive, hardened], tmp_path / "index.html")
    opened = open_page(index)
    opened.assert_clean()
    links = opened.page.locator("table.runs a")
    assert links.count() == 2
    links.first.click()
    opened.page.wait_for_load_state("load")
    assert opened.page.url == (naive / "report.html").resolve().as_uri()
