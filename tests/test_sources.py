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
