"""Configuration is checked whole when it is read (issue 14, points 15 and
2): every field of a registry row typed, every regex and CSS selector
compiled, loopback, private and metadata hosts refused unless the run
allows them; a timetable whose cron can never fire, or whose settings
would move the archive or lift a guard, refused; each problem one line
naming the file, the row and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.sources import RegistryError, load_sources, registry_of
from schedules.timetable import RESERVED_SETTINGS, TimetableError, load_timetable
from tests.conftest import ROOT

ROW = {
    "key": "x", "name": "X", "kind": "ministry", "country": "RU", "language": "ru",
    "domains": ["x.org"], "spider": "listing", "entry_points": ["https://x.org/news/"],
    "article_pattern": r"/news/\d+",
}


def toml(value: object) -> str:
    """A TOML value (JSON's spelling is TOML's, but for tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def registry(path: Path, *rows: dict[str, object]) -> Path:
    text = "".join("[[source]]\n" + "".join(f"{k} = {toml(v)}\n" for k, v in row.items())
                   for row in rows)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **options: bool) -> list[str]:
    with pytest.raises(RegistryError) as error:
        load_sources(path, **options)
    return str(error.value).splitlines()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_pages", "lots", "max_pages must be a whole number, not 'lots'"),
    ("max_pages", True, "max_pages must be a whole number, not True"),
    ("max_pages", 0, "max_pages must be a whole number, at least 1"),
    ("quiet_after", 2.5, "quiet_after must be a whole number"),
    ("sitemap_follow", "((", "sitemap_follow is not a valid regex"),
    ("next_page", "a[[[", "next_page is not a valid CSS selector"),
    ("next_page", "a::colour", "next_page is not a valid CSS selector"),
    ("next_page", "a.next", "next_page must end each selector with ::attr(href)"),
    ("page_template", "?page={page}&x={x}", "page_template must be a URL with {page}"),
    ("page_template", "?page=2", "page_template must contain {page}"),
    ("section", 5, "section must be text"),
    ("section", "S" * 201, "section is longer than the archive's 200 characters"),
    ("name", ["X"], "name must be text"),
    ("notes", 1.5, "notes must be text"),
    ("domains", "x.org", "domains must be a list"),
    ("domains", ["x.org", 3], "domains[1] must be text"),
    ("domains", ["https://x.org"], "domains: 'https://x.org' is not a lower-case host name"),
    ("domains", ["X.org"], "is not a lower-case host name"),
    ("entry_points", [], "missing required field 'entry_points' (it is empty)"),
    ("entry_points", ["https://x.org/news/", "javascript:alert(1)"], "is not an http(s) URL"),
    ("key", "k" * 65, "key is longer than the archive's 64 characters"),
    ("colour", "red", "unknown field(s) colour (known: key, name,"),
])
def test_each_field_is_checked_at_load(tmp_path: Path, field: str, value: object, message: str):
    lines = problems(registry(tmp_path / "sources.toml", {**ROW, field: value}))
    assert all(line.startswith("sources.toml source #1 (") for line in lines)
    assert message in lines[0]
    # (A bad domain leaves the entry point outside the domains: a second line.)
    assert len(lines) == 1 or field == "domains"


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path):
    path = registry(tmp_path / "sources.toml",
                    {**ROW, "max_pages": "lots"},
                    {**ROW, "key": "y", "sitemap_follow": "((", "next_page": "a[[["},
                    ROW, ROW)
    assert problems(path) == [
        "sources.toml source #1 (x): max_pages must be a whole number, not 'lots'",
        "sources.toml source #2 (y): sitemap_follow is not a valid regex: missing ), "
        "unterminated subpattern at position 1",
        "sources.toml source #2 (y): next_page is not a valid CSS selector: "
        "Expected ident or '*', got <DELIM '[' at 2>",
        "sources.toml: source key 'x' is defined twice",
    ]
    path.write_text(path.read_text() + '[[sourcse]]\nkey = "z"\n')
    assert "sources.toml: unknown table 'sourcse' (rows are [[source]])" in problems(path)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/news/", "a loopback address"),
    ("http://localhost/news/", "a loopback name"),
    ("http://[::1]/news/", "a loopback address"),
    ("http://10.0.0.5/news/", "a private address"),
    ("http://192.168.1.1/news/", "a private address"),
    ("http://172.16.0.1/news/", "a private address"),
    ("http://[fd00::1]/news/", "a private address"),
    ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "a cloud metadata service"),
    ("http://224.0.0.1/news/", "a multicast address"),
    # 127.0.0.1 as the C library also reads it.
    ("http://2130706433/news/", "a loopback address"),
    ("http://0x7f.1/news/", "a loopback address"),
    ("http://127.1/news/", "a loopback address"),
])
def test_private_hosts_fail_at_load_unless_allowed(tmp_path: Path, url: str, reason: str):
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    assert host
    path = registry(tmp_path / "sources.toml", {**ROW, "domains": [host], "entry_points": [url]})
    (line,) = problems(path)
    assert line.startswith(f"sources.toml source #1 (x): domain '{host}' is {reason}")
    assert "refused unless DEMARCHE_ALLOW_PRIVATE_ADDRESSES is set" in line
    assert load_sources(path, allow_private_addresses=True)["x"].entry_points == (url,)
    # A public domain whose entry point names a private address: the entry point.
    path = registry(tmp_path / "mixed.toml",
                    {**ROW, "domains": ["x.org", host], "entry_points": ["https://x.org/", url]})
    assert f"domain '{host}' is {reason}" in problems(path)[0]


def test_a_run_reads_the_rule_from_its_settings(tmp_path: Path):
    path = registry(tmp_path / "sources.toml", {**ROW, "domains": ["127.0.0.1"],
                                                "entry_points": ["http://127.0.0.1:9/news/"]})
    with pytest.raises(RegistryError, match="is a loopback address"):
        registry_of(Settings({"DEMARCHE_SOURCES": str(path)}))
    allowed = Settings({"DEMARCHE_SOURCES": str(path), "DEMARCHE_ALLOW_PRIVATE_ADDRESSES": "1"})
    assert list(registry_of(allowed)) == ["x"]


def without_private_addresses(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DEMARCHE_ALLOW_PRIVATE_ADDRESSES"}
    return {**env, **extra}


def test_the_scheduler_refuses_a_loopback_registry_unless_started_allowing_it(tmp_path: Path):
    path = registry(tmp_path / "sources.toml", {**ROW, "domains": ["127.0.0.1"],
                                                "entry_points": ["http://127.0.0.1:9/news/"]})
    env = without_private_addresses(DEMARCHE_SOURCES=str(path),
                                    DEMARCHE_ARCHIVE_URL=f"sqlite:///{tmp_path / 'a.db'}")
    listed = subprocess.run([sys.executable, "-m", "schedules", "--list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 2
    assert listed.stderr.startswith("error: sources.toml source #1 (x): domain '127.0.0.1' is a "
                                    "loopback address")
    # A job stored in the job store, run by a scheduler started without the
    # setting: refused before any crawl starts.
    job = ("from schedules.scheduler import run_job; "
           f"run_job('job:x', [['x', '127.0.0.1']], {{}}, 60, {env['DEMARCHE_ARCHIVE_URL']!r}, "
           f"registry={str(path)!r})")
    ran = subprocess.run([sys.executable, "-c", job], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 1 and "RegistryError" in ran.stderr and "loopback" in ran.stderr
    assert not (tmp_path / "a.db").exists()


# --- the timetable ----------------------------------------------------------------


def timetable_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "timetable.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TimetableError) as error:
        load_timetable(path, load_sources())
    return ["timetable.toml" + line.removeprefix(str(path))
            for line in str(error.value).splitlines()]


def job(**fields: object) -> str:
    row = {"name": "j", "sources": ["mid_ru_en"], "cron": "0 3 * * *", **fields}
    return "[[job]]\n" + "".join(f"{k} = {toml(v)}\n" for k, v in row.items())


@pytest.mark.parametrize(("fields", "message"), [
    ({"cron": "0 3 30 2 *"}, "job j: cron '0 3 30 2 *' can never fire (no such date)"),
    ({"cron": "0 3 31 4,6,9,11 *"}, "can never fire"),
    ({"cron": "0 3 1-7 * 0"}, "restricts both the day of the month and the day of the week"),
    ({"cron": 3}, "job j: invalid cron 3"),
    ({"settings": {"DEMARCHE_ARCHIVE_URL": "sqlite:///elsewhere.db"}},
     "job j: setting DEMARCHE_ARCHIVE_URL cannot be set per job: the scheduler's archive"),
    ({"settings": {"DEMARCHE_ALLOW_PRIVATE_ADDRESSES": "1"}},
     "setting DEMARCHE_ALLOW_PRIVATE_ADDRESSES cannot be set per job"),
    ({"settings": {"DOWNLOAD_DELAYY": 3}},
     "setting DOWNLOAD_DELAYY is neither a Scrapy nor a demarche setting"),
    ({"settings": {"DOWNLOAD_DELAY": "fast"}},
     "setting DOWNLOAD_DELAY must be float like its default 0.5, not 'fast'"),
    ({"settings": {"ROBOTSTXT_OBEY": "maybe"}}, "setting ROBOTSTXT_OBEY must be bool"),
    ({"settings": {"DOWNLOAD_DELAY": [1, 2]}}, "settings must be a table of Scrapy settings"),
    ({"args": {"max_pages": [1]}}, "args must be a table of spider arguments"),
    ({"time_limit": True}, "job j time_limit: True is not a duration"),
    ({"timezone": 3}, "job j: timezone must be an IANA name"),
    ({"name": 7}, "job #1: a job needs a name (text)"),
    ({"sources": ["mid_ru_en", 7]}, "job j: unknown source 7"),
])
def test_timetable_fields_are_checked_at_load(tmp_path: Path, fields: dict, message: str):
    (line,) = timetable_problems(tmp_path, job(**fields))
    assert message in line


def test_reserved_settings_say_why(tmp_path: Path):
    assert {"DEMARCHE_ARCHIVE_URL", "DEMARCHE_SOURCES", "DEMARCHE_RUN_ID",
            "DEMARCHE_ALLOW_PRIVATE_ADDRESSES", "TWISTED_DNS_RESOLVER", "DOWNLOADER_MIDDLEWARES",
            "ITEM_PIPELINES", "EXTENSIONS"} <= set(RESERVED_SETTINGS)
    for name in RESERVED_SETTINGS:
        (line,) = timetable_problems(tmp_path, f"[defaults]\nsettings = {{ {name} = \"x\" }}\n")
        assert line.startswith(f"timetable.toml [defaults]: setting {name} cannot be set "
                               "per job: ")


def test_every_problem_of_the_timetable_is_one_line(tmp_path: Path):
    text = ('[defaults]\nnightly_window = ["01:00"]\n'
            + job(name="feb", cron="0 3 30 2 *")
            + job(name="moved", sources=["mid_ru_ru"],
                  settings={"DEMARCHE_ARCHIVE_URL": "sqlite:///x.db"})
            + job(name="fine", sources=["fmprc_en"])
            + job(name="fine", sources=["fmprc_zh"])
            + "[[jobs]]\nname = 'typo'\n")
    lines = timetable_problems(tmp_path, text)
    assert [line.split(":")[0].removeprefix("timetable.toml ") for line in lines] == [
        "timetable.toml", "[defaults]", "job feb", "job moved", "job fine"]
    assert lines[0].endswith("unknown table 'jobs' (the timetable has [defaults] and [[job]])")
    assert lines[-1] == "timetable.toml job fine: another job has the name 'fine'"


def test_the_shipped_timetable_and_registry_pass(tmp_path: Path):
    registry = load_sources()
    assert len(load_timetable(None, registry).jobs) > 1
    path = tmp_path / "t.toml"
    path.write_text(job(settings={"DOWNLOAD_DELAY": 2, "ROBOTSTXT_OBEY": True,
                                  "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}), encoding="utf-8")
    (first, *_) = load_timetable(path, registry).jobs
    assert first.settings == {"DOWNLOAD_DELAY": "2", "ROBOTSTXT_OBEY": "True",
                              "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


@pytest.mark.parametrize(("name", "value", "wanted"), [
    ("DEMARCHE_WARC_MAX_MB", "lots", "a whole number"),
    ("DEMARCHE_PAGE_SECONDS", "-3", "a number of 0 or more"),
    ("DEMARCHE_LEDGER_ENABLED", "maybe", "one of 1, true, yes, on, 0, false, no, off"),
])
def test_a_malformed_setting_in_the_environment_is_one_line(name: str, value: str, wanted: str):
    done = subprocess.run([sys.executable, "-m", "cli", "sources"], cwd=ROOT,
                          env={**os.environ, name: value}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr == f"demarche: the environment variable {name}={value!r} is not {wanted}\n"


def test_every_setting_the_readme_lists_as_an_environment_variable_is_read_from_it():
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "settings", "--get", "DEMARCHE_BATCH_SIZE"], cwd=ROOT,
        env={**os.environ, "DEMARCHE_BATCH_SIZE": "7"}, capture_output=True, text=True,
        timeout=120)
    assert done.stdout.strip() == "7", done.stderr
    from crawler import settings

    documented = {line.split("`")[1] for line in (ROOT / "README.md").read_text().splitlines()
                  if line.startswith("| `DEMARCHE_")}
    source = (ROOT / "crawler" / "settings.py").read_text()
    unread = {name for name in documented if hasattr(settings, name)
              and f'"{name}"' not in source and name != "DEMARCHE_RUN_ID"}
    assert unread == set()
