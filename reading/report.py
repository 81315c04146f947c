"""A static HTML report on the archive: ``demarche report --out DIR``.

One file, ``DIR/index.html``, readable without a server or a network.
Sources are named as people know them (``sources.name``), never by key.
First what a researcher asks (issue 19): statements per source over time,
who speaks most, which kinds of statement, which countries are named,
which stories other sources relayed and how fast, which statements were
edited and which taken down, the newest of each source. Then what the
operator asks: the archive's size per source and each source's health
(``reading/health.py``, as ``demarche status`` judges it), condensed: the
sources never run on one line, failing ones with their reason.

Charts are drawn by matplotlib (the Agg backend: no display) as SVG and
written into the page itself: a browser draws them with nothing to fetch,
and the text of the SVG is searchable. Its text is drawn as paths
(matplotlib's default ``svg.fonttype``), so the charts look the same
whether or not the reader has matplotlib's fonts.

Data is read with SQLAlchemy through the ``statements_per_day`` view, so
the report works on SQLite and PostgreSQL archives alike.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from reading.health import SourceHealth, source_health
from reading.research import NewStatement, Research, research
from storage.models import Article, SourceRow

TEMPLATE = "report.html.j2"
# Statements of each source listed in the report.
NEWEST = 5
# Bars per chart before days become weeks, and weeks months: past ~90 bars
# a bar is a few pixels wide on a 1,000 px chart.
MAX_BARS = 90

_PER_DAY = table("statements_per_day", column("source"), column("day"), column("statements"))


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    archive: str
    per_day: dict[str, dict[date, int]]  # source -> day -> dated statements
    totals: dict[str, int]  # source -> all statements, dated or not
    newest: dict[str, list[NewStatement]]
    health: list[SourceHealth]
    names: dict[str, str] = field(default_factory=dict)  # source key -> name
    research: Research | None = None

    def name(self, source: str) -> str:
        return self.names.get(source) or source

    def health_of(self, judged: str) -> list[SourceHealth]:
        return [row for row in self.health if row.health == judged]


def _as_date(value: object) -> date:
    # SQLite's view gives days as ISO text, PostgreSQL's as dates.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def gather(session: Session, quiet_after: Mapping[str, int], now: datetime,
           archive: str, names: Mapping[str, str] | None = None) -> Report:
    """Everything the report shows, read in one session; ``names``: the
    registry's source names (a source never crawled is in the registry
    only), which win over the names the archive recorded."""
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    for source, day, count in session.execute(select(_PER_DAY)):
        per_day[source][_as_date(day)] = count
    totals = dict(session.execute(
        select(Article.source, func.count()).group_by(Article.source)
        .order_by(Article.source)).all())
    when = func.coalesce(Article.published_at, Article.first_seen_at)
    ranked = select(
        Article.source, Article.published_at, Article.title, Article.url, Article.id,
        func.row_number().over(partition_by=Article.source,
                               order_by=(when.desc(), Article.id.desc())).label("n"),
    ).subquery()
    newest: dict[str, list[NewStatement]] = defaultdict(list)
    for row in session.execute(select(ranked).where(ranked.c.n <= NEWEST)
                               .order_by(ranked.c.source, ranked.c.n)):
        newest[row.source].append(NewStatement(row.source, row.published_at, row.title,
                                               row.url, row.id))
    # Sources of the registry first, in its order; then any the archive
    # has that the registry no longer does.
    known = dict(quiet_after)
    for source in totals:
        known.setdefault(source, 3)
    named = {**dict(session.execute(select(SourceRow.key, SourceRow.name)).all()), **(names or {})}
    return Report(now, archive, dict(per_day), totals, dict(newest),
                  source_health(session, known, now), named, research(session))


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def binned(per_day: Mapping[str, Mapping[date, int]],
           period: str | None = None) -> tuple[str, list[date], dict[str, list[int]]]:
    """Counts per period (day, week or month, the finest that keeps the
    chart under MAX_BARS bars unless ``period`` is given), with every
    period of the span present, empty ones as 0."""
    days = [d for counts in per_day.values() for d in counts]
    if not days:
        return period or "day", [], {}
    first, last = min(days), max(days)
    for candidate in ([period] if period else ["day", "week", "month"]):
        periods = [_period_start(first, candidate)]
        while (following := _next(periods[-1], candidate)) <= last:
            periods.append(following)
        if len(periods) <= MAX_BARS:
            break
    index = {start: n for n, start in enumerate(periods)}
    series = {}
    for source in sorted(per_day):
        counts = [0] * len(periods)
        for day, count in per_day[source].items():
            counts[index[_period_start(day, candidate)]] += count
        series[source] = counts
    return candidate, periods, series


def _svg(figure) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    # The XML prolog and DOCTYPE are not allowed inside an HTML document.
    return re.sub(r"^.*?(?=<svg)", "", out.getvalue(), flags=re.DOTALL)


def timeline_chart(per_day: Mapping[str, Mapping[date, int]],
                   names: Mapping[str, str] | None = None) -> str:
    """Stacked bars: statements per source per period, as inline SVG, each
    source by its name."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    period, periods, series = binned(per_day)
    figure = Figure(figsize=(10, 4.2))
    axes = figure.subplots()
    if not periods:
        axes.text(0.5, 0.5, "no dated statements yet", ha="center", va="center",
                  transform=axes.transAxes)
        axes.set_axis_off()
        return _svg(figure)
    labels = [p.isoformat() if period != "month" else p.strftime("%Y-%m") for p in periods]
    positions = range(len(periods))
    bottom = [0] * len(periods)
    # tab10's colours are the easiest to tell apart; tab20 adds a paler
    # twin of each for archives of more sources.
    palette = "tab10" if len(series) <= 10 else "tab20"
    colours = matplotlib.colormaps[palette].colors
    for n, (source, counts) in enumerate(series.items()):
        axes.bar(positions, counts, bottom=bottom, label=(names or {}).get(source) or source,
                 color=colours[n % len(colours)], width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    step = max(1, len(periods) // 12)  # at most a dozen labels
    axes.set_xticks(list(positions)[::step], labels[::step], rotation=30, ha="right")
    axes.set_ylabel(f"statements per {period}")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes.set_title(f"Statements per source per {period} (UTC, by publication date)",
                   loc="left")
    return _svg(figure)


def totals_chart(totals: Mapping[str, int], names: Mapping[str, str] | None = None) -> str:
    """Horizontal bars: all archived statements of each source, by name."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    sources = sorted(totals, key=lambda s: (totals[s], s))
    figure = Figure(figsize=(10, 0.45 * max(len(sources), 2) + 0.8))
    axes = figure.subplots()
    bars = axes.barh([(names or {}).get(s) or s for s in sources], [totals[s] for s in sources],
                     color="#4c72b0")
    axes.bar_label(bars, padding=3)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title("Statements archived per source", loc="left")
    return _svg(figure)


def delay(span: timedelta) -> str:
    """A relay's delay as people say it: "40 min", "3 h 30 min", "2 days 4 h"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "within a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' * (days != 1)}" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes and not days else ""]
    return " ".join(p for p in parts if p)


def render(report: Report) -> str:
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent),
                              autoescape=select_autoescape(["html", "j2"]))
    environment.filters["delay"] = delay
    return environment.get_template(TEMPLATE).render(
        report=report,
        timeline_svg=timeline_chart(report.per_day, report.names),
        totals_svg=totals_chart(report.totals, report.names),
        total=sum(report.totals.values()),
        generator=Markup(GENERATOR),  # the mark check_report_folder looks for
    )


class ReportPathError(ValueError):
    """Where the report would go is refused; the message says why."""


def _folder_for(path: Path, what: str) -> None:
    # The report makes at most the folder it is given, never the folders
    # above it: a mistyped path fails instead of growing a tree.
    if not path.parent.is_dir():
        raise ReportPathError(f"folder {path.parent} does not exist: {what}")


# In every page written here: an index.html without it is someone else's
# (pages written before 2026-12-07 have only the title's opening).
GENERATOR = '<meta name="generator" content="demarche report">'
_OURS = (GENERATOR.encode(), b"<title>demarche report: ")


def check_report_folder(out: Path, force: bool = False) -> None:
    """Refuse a report folder that is a file, lies in a missing folder, or
    holds an index.html that no report wrote (unless ``force``): a report
    is written again over its own page, never over a user's."""
    if out.exists() and not out.is_dir():
        raise ReportPathError(f"{out} is a file: --out names a folder for index.html")
    _folder_for(out, f"--out {out} is created only inside a folder that exists")
    page = out / "index.html"
    if not force and page.exists():
        try:
            with page.open("rb") as stream:
                opening = stream.read(4096)
            ours = any(mark in opening for mark in _OURS)
        except OSError as exc:
            raise ReportPathError(f"cannot read {page}: {exc.strerror}") from None
        if not ours:
            raise ReportPathError(f"{page} exists and is not a demarche report: "
                                  "--force overwrites it")


def write_report(report: Report, out: Path, force: bool = False) -> Path:
    """Write ``out/index.html``; ``out`` itself is created when missing,
    the folders above it never are."""
    check_report_folder(out, force)
    out.mkdir(exist_ok=True)
    page = out / "index.html"
    page.write_text(render(report), encoding="utf-8")
    return page


# Headless Chromium that neither phones home nor needs a display or a GPU
# (the flags of a CI container running as root).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)


def chromium_command(chromium: str, profile: Path, *args: str) -> list[str]:
    return [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]


# Chromium draws no taller picture than its largest texture; 16,384 px
# is the common limit, and a report that long is cut there.
MAX_HEIGHT = 16_384
# Written into a copy of the page to read its height back (--dump-dom):
# the report itself carries no script.
_MEASURE = ("<script>document.documentElement.setAttribute('data-page-height', "
            "Math.ceil(document.documentElement.scrollHeight))</script>")


def page_height(page: Path, *, chromium: str = "chromium", width: int = 1280,
                timeout: float = 120) -> int:
    """The height in CSS pixels of the page as Chromium lays it out at
    ``width``: a copy of it with a script that writes its height into the
    DOM, dumped by headless Chromium."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="demarche-chromium-") as work:
        probe = Path(work) / "measure.html"
        html = page.read_text(encoding="utf-8")
        at = html.rfind("</body>")
        probe.write_text(html[:at] + _MEASURE + html[at:] if at >= 0 else html + _MEASURE,
                         encoding="utf-8")
        dom = subprocess.run(
            chromium_command(chromium, Path(work) / "profile", "--dump-dom",
                             f"--window-size={width},800", probe.as_uri()),
            check=True, capture_output=True, text=True, timeout=timeout).stdout
    found = re.search(r'data-page-height="(\d+)"', dom)
    if found is None:
        raise RuntimeError(f"{chromium} did not lay out {page}")
    return int(found.group(1))


def screenshot(page: Path, png: Path, *, chromium: str = "chromium", width: int = 1280,
               height: int | None = None, timeout: float = 120) -> Path:
    """The report as Chromium draws it, saved as a PNG ``width`` pixels
    wide and, unless ``height`` says otherwise, as tall as the whole page
    (up to ``MAX_HEIGHT``)."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which(chromium) is None:
        raise FileNotFoundError(f"{chromium} not found: install Debian's chromium (.ci/chromium)")
    _folder_for(png, f"--screenshot {png} is written only into a folder that exists")
    if height is None:
        height = min(page_height(page, chromium=chromium, width=width, timeout=timeout),
                     MAX_HEIGHT)
    with tempfile.TemporaryDirectory(prefix="demarche-chromium-") as profile:
        subprocess.run(
            chromium_command(chromium, Path(profile), f"--screenshot={png.resolve()}",
                             f"--window-size={width},{height}", page.resolve().as_uri()),
            check=True, capture_output=True, timeout=timeout)
    return png
