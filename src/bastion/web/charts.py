"""Server-side charts: matplotlib (Agg) rendered to SVG text (docs/decisions/0050).

Text stays text (``svg.fonttype = "none"``), so the browser draws Chinese labels with its own CJK
fonts instead of matplotlib needing them. Each chart is its own figure object (no pyplot global
state), so concurrent requests never draw into each other. Serve the SVG as its own response and
show it with ``<img>``; :func:`svg_response` sets the content type, caching and the chart's own
relaxed ``style-src`` (matplotlib writes one small inline ``<style>``), leaving the page CSP strict.

    svg = line_chart(title="温度", series=[Series("ATM-001", times, values)], y_label="°C")
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")

from django.http import HttpResponse
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

# The console's palette (console.css): brand blue, then amber, green, red, grey.
PALETTE = ("#1f5fbf", "#b26a00", "#1e7d32", "#c62828", "#5f6b7a")
FONT_FAMILY = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"]
_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "bastion",  # stable ids: the same data gives the same bytes (ETag-friendly)
    "font.family": FONT_FAMILY,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#c9d1db",
    "axes.labelcolor": "#334155",
    "xtick.color": "#5f6b7a",
    "ytick.color": "#5f6b7a",
    "axes.grid": True,
    "grid.color": "#e5e9ef",
}


@dataclass(frozen=True)
class Series:
    """One line: a label and matching x (datetimes or numbers) and y values (None = gap)."""

    label: str
    x: Sequence[Any]
    y: Sequence[float | None]


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=96, layout="constrained")


def _to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "Bastion"})
    return buffer.getvalue()


def line_chart(
    *,
    title: str,
    series: Sequence[Series],
    y_label: str = "",
    thresholds: Sequence[tuple[float, str]] = (),
    empty_text: str = "",
    y_range: tuple[float, float] | None = None,
    x_range: tuple[Any, Any] | None = None,
    width: float = 7.0,
    height: float = 2.6,
) -> str:
    """A line chart as SVG text; ``thresholds`` are dashed horizontal lines with labels.

    Sparse series (fewer than 30 points) also get point markers, so a single reading shows.
    """
    with matplotlib.rc_context(_RC):
        figure = _figure(width, height)
        axes = figure.add_subplot()
        axes.set_title(title, loc="left", fontsize=11, color="#111827")
        drawn = False
        for index, line in enumerate(series):
            points = [(x, y) for x, y in zip(line.x, line.y, strict=True) if y is not None]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            marker = "o" if len(points) < 30 else None
            colour = PALETTE[index % len(PALETTE)]
            axes.plot(xs, ys, label=line.label, color=colour, linewidth=1.6, marker=marker, markersize=3)
            drawn = True
        for value, label in thresholds if drawn else ():
            axes.axhline(value, color=PALETTE[3], linestyle="--", linewidth=1)
            axes.annotate(label, xy=(1, value), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                          fontsize=8, color=PALETTE[3])  # fmt: skip
        if not drawn:
            axes.text(
                0.5, 0.5, empty_text, transform=axes.transAxes, ha="center", va="center", color="#5f6b7a"
            )
            axes.set_xticks([])
            axes.set_yticks([])
        elif series and series[0].x and isinstance(series[0].x[0], datetime):
            locator = AutoDateLocator(tz=series[0].x[0].tzinfo)
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=series[0].x[0].tzinfo))
        if y_range is not None:
            axes.set_ylim(*y_range)
        if x_range is not None and drawn:
            axes.set_xlim(*x_range)
        axes.set_ylabel(y_label)
        if drawn and len(series) > 1:
            axes.legend(loc="upper left", frameon=False, fontsize=8)
        return _to_svg(figure)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    y_label: str = "",
    width: float = 7.0,
    height: float = 2.6,
    empty_text: str = "",
) -> str:
    """A bar chart as SVG text (e.g. faults per month)."""
    with matplotlib.rc_context(_RC):
        figure = _figure(width, height)
        axes = figure.add_subplot()
        axes.set_title(title, loc="left", fontsize=11, color="#111827")
        if labels:
            axes.bar(list(labels), list(values), color=PALETTE[0])
            axes.grid(axis="x", visible=False)
        else:
            axes.text(
                0.5, 0.5, empty_text, transform=axes.transAxes, ha="center", va="center", color="#5f6b7a"
            )
            axes.set_xticks([])
            axes.set_yticks([])
        axes.set_ylabel(y_label)
        return _to_svg(figure)


def svg_response(svg: str, *, max_age: int = 60) -> HttpResponse:
    """The chart as its own response: SVG type, short private caching, its own narrow CSP."""
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Content-Type-Options"] = "nosniff"
    # matplotlib's SVG carries one inline <style>; allow exactly that for this response only.
    response._csp_replace = {"style-src": ["'unsafe-inline'"], "default-src": ["'none'"]}  # type: ignore[attr-defined]
    return response
