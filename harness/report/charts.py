"""Charts as inline SVG strings (matplotlib, Agg): no CDN, no script, no external font.

Text stays text (`svg.fonttype: none`) so labels are searchable, selectable and small; the
browser draws them with its own sans-serif. Colours are Okabe-Ito (colour-blind safe) and every
series also differs by line style, so a greyscale print still tells them apart.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from harness.report.aggregate import Histogram, StackMark, Window

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
SERIES_COLOURS = ("blue", "vermillion", "green", "purple", "black")
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)))
WINDOW_STYLES = (("orange", "//"), ("sky", "\\\\"), ("purple", "xx"))

_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "figure.dpi": 100,
}


@dataclass(frozen=True)
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class WindowSet:
    """Fault windows of one run; `prefix` tells runs apart on a comparison chart."""

    windows: Sequence[Window]
    prefix: str = ""


def _to_svg(fig: plt.Figure, chart_id: str) -> str:
    buf = io.StringIO()
    # A fixed salt per chart keeps element ids unique on the page and the output reproducible.
    with matplotlib.rc_context({"svg.hashsalt": chart_id}):
        # Fixed margins instead of bbox_inches="tight": tight layout draws the figure twice.
        fig.subplots_adjust(left=0.09, right=0.985, top=0.88, bottom=0.19)
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    # Drop fixed width/height so CSS can scale the chart to the screen; viewBox keeps the ratio.
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)


def _shade(ax: plt.Axes, window_sets: Sequence[WindowSet]) -> None:
    """Shade and label every fault window; labels are staggered so overlaps stay readable."""
    slot = 0
    for set_index, wset in enumerate(window_sets):
        colour, hatch = WINDOW_STYLES[set_index % len(WINDOW_STYLES)]
        for w in wset.windows:
            ax.axvspan(w.start, w.end, facecolor=OKABE_ITO[colour], alpha=0.18,
                       edgecolor=OKABE_ITO[colour], hatch=hatch, linewidth=0.0, zorder=0)
            ax.text(w.start, 0.98 - 0.09 * (slot % 4), f" {wset.prefix}{w.label}",
                    transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=7.5,
                    color="#333333", zorder=5,
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
            slot += 1


_MARK_STYLES = {"crash": ("vermillion", "-"), "restart": ("green", "--")}


def _mark(ax: plt.Axes, marks: Sequence[StackMark]) -> None:
    """A vertical line at each crash (solid) and restart (dashed), labelled at the bottom."""
    for mark in marks:
        if mark.kind not in _MARK_STYLES:
            continue
        colour, style = _MARK_STYLES[mark.kind]
        ax.axvline(mark.t, color=OKABE_ITO[colour], linestyle=style, linewidth=1.1, zorder=4)
        ax.text(mark.t, 0.02, f" {mark.process} {mark.event}", transform=ax.get_xaxis_transform(),
                va="bottom", ha="left", fontsize=7, color=OKABE_ITO[colour], rotation=90,
                zorder=5)


def line_chart(
    chart_id: str,
    title: str,
    ylabel: str,
    series: Sequence[Series],
    window_sets: Sequence[WindowSet] = (),
    yfmt: Callable[[float], str] | None = None,
    xmax: float | None = None,
    marks: Sequence[StackMark] = (),
) -> str:
    """A time series chart (x: seconds since the run started) with shaded fault windows and
    the stack's crashes and restarts marked."""
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(9.0, 2.6))
        for i, s in enumerate(series):
            ax.plot(s.x, s.y, label=s.label, linewidth=1.4,
                    color=OKABE_ITO[SERIES_COLOURS[i % len(SERIES_COLOURS)]],
                    linestyle=LINE_STYLES[i % len(LINE_STYLES)], drawstyle="steps-post")
        ax.set_xlim(0, xmax if xmax else None)
        ax.set_ylim(bottom=0)
        ymax = max((np.nanmax(s.y) for s in series if np.isfinite(s.y).any()), default=0)
        if not ymax or not np.isfinite(ymax):
            ax.set_ylim(0, 1)
        else:
            # Headroom so the window labels do not sit on the data.
            ax.set_ylim(0, ymax * 1.35)
        _shade(ax, window_sets)
        _mark(ax, marks)
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
        ax.set_xlabel("seconds since start")
        ax.set_ylabel(ylabel)
        if yfmt:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: yfmt(v)))
        if len(series) > 1:
            ax.legend(loc="upper right", fontsize=7.5, frameon=False, ncol=len(series))
        return _to_svg(fig, chart_id)


def histogram_chart(chart_id: str, title: str, hist: Histogram) -> str:
    """Latency histogram on a log axis, successful and failed requests stacked."""
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(9.0, 2.6))
        widths = np.diff(hist.edges)
        left = hist.edges[:-1]
        ax.bar(left, hist.ok, width=widths, align="edge", color=OKABE_ITO["blue"],
               label="succeeded", linewidth=0)
        ax.bar(left, hist.failed, width=widths, bottom=hist.ok, align="edge",
               color=OKABE_ITO["vermillion"], hatch="//", edgecolor="white", linewidth=0,
               label="failed")
        # Log scale only where it helps: a narrow range on a log axis is all minor ticks.
        if hist.edges[-1] / hist.edges[0] > 20:
            ax.set_xscale("log")
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
        ax.set_xlabel("latency")
        ax.set_ylabel("requests")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_ms(v)))
        ax.legend(loc="upper right", fontsize=7.5, frameon=False)
        return _to_svg(fig, chart_id)


def fmt_ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g} s"
    return f"{value:g} ms"
