"""The source registry: the shipped rows and the checks on bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import RegistryError, load_sources

REQUIRED = {"sputnik_russia", "mid_ru_en", "mid_ru_ru", "fmprc_en", "fmprc_zh",
            "state_gov_briefings", "state_gov_releases", "gov_uk_fcdo"}


def test_shipped_registry():
    sources = load_sources()
    assert set(sources) >= REQUIRED
    for source in sources.values():
        assert source.notes, f"{source.key}: say what could not be verified"
        for url in source.entry_points:
            assert source.owns_url(url)
    assert {s.spider for s in sources.values()} == {"feed", "sitemap", "listing"}
    assert sources["mid_ru_ru"].language == "ru" and sources["fmprc_zh"].language == "zh"
    assert sources["sputnik_russia"].is_article_url("https://sputnikglobe.com/20120402/172567892.html")
    assert not sources["sputnik_russia"].is_article_url("https://sputnikglobe.com/russia/")


ROW = '''[[source]]
key = "x"
name = "X"
kind = "ministry"
country = "RU"
language = "ru"
domains = ["x.org"]
spider = "listing"
entry_points = ["https://x.org/news/"]
article_pattern = '/news/\\d+'
'''


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "ministry"', 'kind = "blog"'), "kind must be one of"),
        (('spider = "listing"', 'spider = "crawl"'), "spider must be one of"),
        (('country = "RU"', 'country = "Russia"'), "ISO 3166"),
        (('language = "ru"', 'language = "rus"'), "ISO 639-1"),
        (("'/news/\\d+'", "'/news/(\\d+'"), "not a valid regex"),
        (('"https://x.org/news/"', '"https://y.org/news/"'), "outside the source's domains"),
        (('"https://x.org/news/"', '"ftp://x.org/"'), "not an http\\(s\\) URL"),
        (('name = "X"\n', 'name = "X"\ncolour = "red"\n'), "unknown field\\(s\\) colour"),
        (('key = "x"', 'key = "X-1"'), "key must be"),
        (('domains = ["x.org"]\n', ""), "missing required field 'domains'"),
    ],
)
def test_bad_rows_fail_with_a_message_naming_the_row(tmp_path: Path, change, message):
    path = tmp_path / "sources.toml"
    path.write_text(ROW.replace(*change))
    with pytest.raises(RegistryError, match=message) as err:
        load_sources(path)
    assert "sources.toml source #1" in str(err.value)


def test_duplicate_keys_and_empty_files(tmp_path: Path):
    path = tmp_path / "sources.toml"
    path.write_text(ROW + "\n" + ROW)
    with pytest.raises(RegistryError, match="defined twice"):
        load_sources(path)
    path.write_text("")
    with pytest.raises(RegistryError, match="no \\[\\[source\\]\\] rows"):
        load_sources(path)
    with pytest.raises(RegistryError, match="not found"):
        load_sources(tmp_path / "missing.toml")


def test_a_suggested_row_is_written_as_toml_the_registry_reads_back(tmp_path: Path):
    """`demarche sources check` prints rows with ``row_toml``: every shipped
    row, regexes and quotes included, reads back as the same row."""
    from crawler.check import row_toml

    shipped = load_sources()
    path = tmp_path / "rows.toml"
    path.write_text("\n\n".join(row_toml(s) for s in shipped.values()), encoding="utf-8")
    assert load_sources(path) == shipped


def test_a_candidate_row_keeps_the_source_and_drops_the_other_spiders_fields():
    from crawler.check import candidate_row

    mid = load_sources()["mid_ru_en"]
    row = candidate_row(mid, "feed", "https://mid.ru/en/rss.xml")
    assert (row.spider, row.entry_points, row.next_page) == ("feed", ("https://mid.ru/en/rss.xml",), None)
    assert (row.key, row.article_pattern, row.section) == (mid.key, mid.article_pattern, mid.section)
    sitemap = candidate_row(load_sources()["state_gov_releases"], "listing", "https://www.state.gov/x/")
    assert sitemap.sitemap_follow is None


def test_sources_without_a_sub_command_still_lists_the_registry():
    import subprocess

    from tests.conftest import DEMARCHE, ROOT

    result = subprocess.run([*DEMARCHE, "sources"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == list(load_sources())
