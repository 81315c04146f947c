"""`demarche report`: the static HTML report on SQLite and PostgreSQL, its
charts as inline SVG, and the page as headless Chromium draws it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from reading.report import MAX_BARS, binned, chromium_command, screenshot
from tests.conftest import ROOT
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
    assert "9 statements of 5 sources" in result.stdout
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
    # Source health as demarche status judges it: the demo's crawls
    # finished (on PostgreSQL its articles came without the run ledger);
    # registered sources it does not crawl have never run.
    health = html[html.index('<table id="health">'):]
    health = health[:health.index("</table>")]
    sputnik = re.search(r"<tr><td>sputnik_russia</td>(.*?)</tr>", health, re.DOTALL)
    assert sputnik
    judged = "ok" if archive_url.startswith("sqlite") else "never run"
    assert f'">{judged}</span>' in sputnik.group(1)
    assert '<td class="num">3</td>' in sputnik.group(1)
    assert "health-never-run" in health


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
    png = screenshot(page, tmp_path / "report.png", chromium=chromium, size=(1280, 2000))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1280, 2000)
        # A blank or error page has a handful of colours; bars of five
        # sources, anti-aliased text and tables have hundreds.
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200, len(colours or [])
        # The charts' colours are on the page: tab10's blue and orange bars.
        present = {rgb for _count, rgb in colours}
        assert (31, 119, 180) in present and (255, 127, 14) in present

    profile = tmp_path / "profile"
    dom = subprocess.run(chromium_command(chromium, profile, "--dump-dom", page.as_uri()),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for chart in ("timeline-chart", "totals-chart"):
        figure = re.search(rf'<figure id="{chart}">\s*<svg[^>]*>(.*?)</svg>', dom, re.DOTALL)
        assert figure, chart
        # Drawn bars, not an empty frame.
        assert figure.group(1).count("<path") > 10, chart
