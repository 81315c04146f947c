"""`demarche report`: the static HTML report on SQLite and PostgreSQL, its
charts as inline SVG, its researcher section before its operator section,
sources by name, health condensed, and the whole page as headless Chromium
draws it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from crawler.sources import load_sources
from reading.report import (
    MAX_BARS,
    binned,
    chromium_command,
    delay,
    gather,
    page_height,
    render,
    screenshot,
)
from storage.engine import open_archive
from storage.models import Article, CrawlRun
from tests.conftest import ROOT
from tests.test_export_enriched import archive  # noqa: F401 - the fixture
from tests.test_search import demo_in, make_demo

CHROMIUM = "/usr/bin/chromium"
DEMARCHE = [sys.executable, "-m", "cli"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory)


def write_report(archive_url: str, out: Path) -> str:
    result = subprocess.run([*DEMARCHE, "report", "--archive", archive_url, "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=os.environ)
    assert result.returncode == 0, result.stderr
    assert re.search(r"\d+ statements of 5 sources", result.stdout), result.stdout
    return (out / "index.html").read_text(encoding="utf-8")


def test_report_on_both_backends(archive_url: str, demo_db: Path, tmp_path: Path):
    html = write_report(demo_in(archive_url, demo_db), tmp_path / "report")
    # Two charts, drawn into the page: nothing to fetch.
    for chart in ("timeline-chart", "totals-chart"):
        assert re.search(rf'<figure id="{chart}"><svg [^>]*>', html), chart
    assert html.count("<svg") == 2
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', html)
    assert "<?xml" not in html
    # Days of the demo on the time axis (matplotlib writes text as paths,
    # with the text in a comment beside them).
    assert "Statements per source per day" in html
    # The newest statements of every source, linked to their pages.
    assert 'href="https://sputnikglobe.com/20120402/172567892.html"' in html
    assert "Moscow Says Annan Plan Deadline Must Bind Both Sides in Syria" in html
    # Sources by name, never by key: in the charts, the tables, the health.
    for key in load_sources():
        assert key not in html, key
    assert html.index('<section id="research">') < html.index('<section id="operator">')
    research = html[html.index('<section id="research">'):html.index('<section id="operator">')]
    assert "Sputnik International: Russia" in research
    speakers = research[research.index('<table id="speakers">'):]
    assert "<td>Sergei Lavrov</td><td>Foreign Minister, Russia</td>" in speakers
    countries = research[research.index('<table id="countries">'):]
    assert "<td>Syria <span" in countries
    assert "<td>news report</td>" in research[research.index('<table id="types">'):]
    # Source health as demarche status judges it, condensed: the demo's
    # crawls finished (on PostgreSQL its articles came without the run
    # ledger); registered sources it does not crawl are one line.
    health = html[html.index('<div id="health">'):]
    health = health[:health.index("</section>")]
    crawled = 5 if archive_url.startswith("sqlite") else 0
    never = len(load_sources()) - crawled
    assert f"<p>{crawled} ok, 0 failing, 0 quiet,\n{never} never run.</p>" in health
    assert re.search(rf'<summary><span class="health health-never-run">{never}\s+sources never '
                     r"run</span></summary>", health)
    assert health.count("<tr>") == (crawled + 1 if crawled else 0)
    if crawled:
        sputnik = re.search(r"<tr><td>Sputnik International: Russia</td>(.*?)</tr>", health,
                            re.DOTALL)
        assert sputnik and '"health health-ok">ok</span>' in sputnik.group(1)


def test_researcher_section_shows_relays_edits_and_takedowns(archive: dict):  # noqa: F811
    now = datetime(2024, 5, 8, tzinfo=UTC)
    with Session(open_archive(archive["url"])) as s, s.begin():
        s.execute(update(Article).where(Article.id == archive["translation"])
                  .values(removed_at=now, removed_reason="http 404"))
        s.add(CrawlRun(source="mid_ru_en", started_at=now, status="failed",
                       stats={"demarche/why": "every entry point answered 403"}))
    with Session(open_archive(archive["url"])) as s:
        registry = load_sources()
        report = gather(s, {key: row.quiet_after for key, row in registry.items()}, now,
                        "the test archive", {key: row.name for key, row in registry.items()})
    research = report.research
    assert research is not None and research.relayed == (1, 2)
    (story,) = research.stories
    assert story.first.id == archive["statement"]
    assert story.relays == [("sputnik_russia", timedelta(hours=3, minutes=30))]
    assert [(s.id, versions) for s, versions, _ in research.edited] == [
        (archive["statement"], 1)]
    assert [(s.id, why) for s, _, why in research.removed] == [
        (archive["translation"], "http 404")]
    assert [(t.label, t.statements) for t in research.speakers][0] == ("Sergei Lavrov", 2)
    html = render(report)
    stories = html[html.index('<div id="stories">'):]
    assert "Sputnik International: Russia: 3 h 30 min" in stories[:stories.index("</div>")]
    edits = html[html.index('<div id="edits">'):]
    assert "1 statement changed on\nits site" in edits and f"(id {archive['statement']})" in edits
    takedowns = html[html.index('<div id="takedowns">'):]
    assert "2024-05-08 (http 404)" in takedowns[:takedowns.index("</div>")]
    # A failing source with its reason, in the operator's half.
    problems = html[html.index('<table id="health-problems">'):]
    problems = problems[:problems.index("</table>")]
    assert re.search(r"<tr><td>Ministry of Foreign Affairs of the Russian Federation \(English\)"
                     r"</td>\s*<td><span class=\"health health-failing\">failing</span></td>\s*"
                     r"<td>1 failed run in a row: every entry point answered 403</td>", problems)
    assert html.index('id="research"') < html.index('id="health"')


def test_delays_read_as_people_say_them():
    assert [delay(timedelta(seconds=s)) for s in (20, 600, 12600, 3600, 2 * 86400 + 4 * 3600 + 60,
                                                   86400)] == [
        "within a minute", "10 min", "3 h 30 min", "1 h", "2 days 4 h", "1 day"]


def test_periods_widen_to_keep_charts_readable():
    start = date(2024, 1, 1)
    short = {"a": {start: 2, start + timedelta(days=3): 1}}
    assert binned(short) == ("day", [start + timedelta(days=n) for n in range(4)],
                             {"a": [2, 0, 0, 1]})
    year = {"a": {start + timedelta(days=n): 1 for n in range(0, 300, 7)},
            "b": {start + timedelta(days=10): 5}}
    period, periods, series = binned(year)
    assert period == "week" and len(periods) <= MAX_BARS
    assert sum(series["a"]) == 43 and sum(series["b"]) == 5
    assert all(p.weekday() == 0 for p in periods)
    decade = {"a": {start: 1, date(2034, 2, 3): 1}}
    period, periods, series = binned(decade)
    assert period == "month" and periods[0] == start and periods[-1] == date(2034, 2, 1)
    assert series["a"][0] == 1 and series["a"][-1] == 1 and sum(series["a"]) == 2
    assert binned({}) == ("day", [], {})


@pytest.fixture(scope="module")
def chromium() -> str:
    # As the PostgreSQL tests do: missing in CI is a failure, never a skip.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run .ci/chromium (make test does), which "
                    "installs Debian's chromium")
    return CHROMIUM


def test_report_renders_in_headless_chromium(chromium: str, demo_db: Path, tmp_path: Path):
    write_report(f"sqlite:///{demo_db}", tmp_path / "report")
    page = tmp_path / "report" / "index.html"
    height = page_height(page, chromium=chromium)
    # The whole report, taller than the window of 2,000 px it was once cut to.
    assert height > 2000
    png = screenshot(page, tmp_path / "report.png", chromium=chromium)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1280, height)
        rgb = image.convert("RGB")
        # A blank or error page has a handful of colours; bars of five
        # sources, anti-aliased text and tables have hundreds.
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200, len(colours or [])
        # The charts' colours are on the page: tab10's blue and orange bars.
        present = {rgb for _count, rgb in colours}
        assert (31, 119, 180) in present and (255, 127, 14) in present
        # The page's last element, its dark footer, is in the picture's last
        # rows (below it only the page's bottom margin): nothing was cut.
        footer = [y for y in range(height - 120, height)
                  if rgb.getpixel((640, y)) == (29, 29, 31)]
        assert footer and height - max(footer) < 60, (height, footer[-1:] or None)

    profile = tmp_path / "profile"
    dom = subprocess.run(chromium_command(chromium, profile, "--dump-dom", page.as_uri()),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for chart in ("timeline-chart", "totals-chart"):
        figure = re.search(rf'<figure id="{chart}">\s*<svg[^>]*>(.*?)</svg>', dom, re.DOTALL)
        assert figure, chart
        # Drawn bars, not an empty frame.
        assert figure.group(1).count("<path") > 10, chart
