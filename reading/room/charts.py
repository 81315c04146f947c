"""The reading room's charts, drawn on the server as inline SVG.

matplotlib (Agg, no display) as in ``reading/report.py``, whose
``binned`` groups days into days, weeks or months so a chart keeps under
``MAX_BARS`` bars. The SVG goes into the page: nothing is fetched, the
pages work offline. Each chart carries a ``<title>`` and the page a table
or list of the same figures, for readers who cannot see it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup

from reading.report import binned
from reading.trend import TrendPoint

# The colour of a single series and of the share line: both reach 4.5:1
# against the white page (WCAG AA for text), so a bar reads as well as a
# word does.
BAR = "#1f5f99"
LINE = "#a3361f"


def _figure(height: float = 3.4):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, height))
    return figure, figure.subplots()


def _svg(figure, label: str) -> Markup:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    svg = re.sub(r"^.*?(?=<svg)", "", out.getvalue(), flags=re.DOTALL)
    # An accessible name for the drawing; its figures are on the page too.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(svg)


def _empty(axes, message: str) -> None:  # type: ignore[no-untyped-def]
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def stacked_timeline(per_day: Mapping[str, Mapping[date, int]], title: str,
                     what: str = "statements") -> Markup:
    """Stacked bars of counts per series (a source, a type) per period."""
    figure, axes = _figure()
    period, periods, series = binned(per_day)
    if not periods:
        _empty(axes, f"no dated {what}")
        return _svg(figure, title)
    import matplotlib

    colours = [BAR] if len(series) == 1 else list(
        matplotlib.colormaps["tab10" if len(series) <= 10 else "tab20"].colors)
    positions = list(range(len(periods)))
    bottom = [0] * len(periods)
    for n, (name, counts) in enumerate(series.items()):
        axes.bar(positions, counts, bottom=bottom, width=0.8, label=name,
                 color=colours[n % len(colours)])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    labels = [p.strftime("%Y-%m") if period == "month" else p.isoformat() for p in periods]
    step = max(1, len(periods) // 10)
    axes.set_xticks(positions[::step], labels[::step], rotation=30, ha="right")
    axes.set_ylabel(f"{what} per {period}")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes.set_title(f"{title} (per {period}, UTC)", loc="left")
    return _svg(figure, title)


def trend_chart(points: Sequence[TrendPoint], query: str) -> Markup:
    """Statements matching a query per period as bars, their share of all
    statements of the period as a line on its own axis."""
    title = f"\u201c{query}\u201d: matching statements and their share"
    figure, axes = _figure()
    if not points:
        _empty(axes, "no dated statements")
        return _svg(figure, title)
    positions = list(range(len(points)))
    axes.bar(positions, [p.matching for p in points], width=0.8, color=BAR, label="matching")
    axes.set_ylabel("matching statements")
    axes.yaxis.get_major_locator().set_params(integer=True)
    share = axes.twinx()
    share.plot(positions, [100 * p.share for p in points], color=LINE, marker="o",
               label="share of all statements")
    share.set_ylabel("share (%)")
    share.set_ylim(0, 105)
    step = max(1, len(points) // 10)
    axes.set_xticks(positions[::step], [p.period for p in points][::step], rotation=30,
                    ha="right")
    axes.spines[["top"]].set_visible(False)
    share.spines[["top"]].set_visible(False)
    axes.set_title(title, loc="left")
    return _svg(figure, title)
