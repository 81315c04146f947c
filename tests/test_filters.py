"""The statement filters of search, trend and export (issue 19, point 6):
the same options on every command, each value checked against the archive,
and an unknown one an error that names the close matches (exit status 2,
one line) instead of a silent "0 hits"; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crawler.enrich import STATEMENT_TYPES
from reading.filters import UnknownValue, check_filters, close_matches
from reading.search import SearchFilters
from storage.engine import open_archive
from tests.conftest import DEMARCHE, ROOT
from tests.test_search import demo_in, make_demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory)


def checked(url: str, **values: str) -> SearchFilters:
    with Session(open_archive(url)) as s:
        return check_filters(s, SearchFilters(**values), STATEMENT_TYPES)


def refused(url: str, message: str, **values: str) -> None:
    with pytest.raises(UnknownValue) as caught:
        checked(url, **values)
    assert str(caught.value) == message


def test_values_the_archive_holds_pass_as_it_spells_them(archive_url: str, demo_db: Path):
    url = demo_in(archive_url, demo_db)
    assert checked(url, source="sputnik_russia", country="ru", language="EN",
                   mentions="am") == SearchFilters(source="sputnik_russia", country="RU",
                                                   language="en", mentions="AM")
    # A source by its name, a speaker by part of the name in any case.
    assert checked(url, source="sputnik international: russia").source == "sputnik_russia"
    assert checked(url, speaker="lavrov").speaker == "lavrov"
    assert checked(url, statement_type="Briefing").statement_type == "briefing"


def test_unknown_values_name_the_close_matches(archive_url: str, demo_db: Path):
    url = demo_in(archive_url, demo_db)
    refused(url, "--country 'Russia': no source country of that name in the archive; did you "
            "mean RU (Russia)?", country="Russia")
    refused(url, "--country 'Moscow': no source country of that name in the archive; did you "
            "mean RU (Russia)?", country="Moscow")
    refused(url, "--country 'Brazil': that is BR (Brazil), and no statement in the archive "
            "has it as its source country", country="Brazil")
    # The countries of the sources the archive knows (on PostgreSQL the
    # whole registry was synced, on SQLite the demo's five sources).
    held = "CN, DE, FR, GB, IN, JP, RU, US" if archive_url.startswith("postgresql") else "RU, US"
    refused(url, f"--country 'XX': no source country of that name in the archive (it has "
            f"{held})", country="XX")
    refused(url, "--mentions 'Armenia': no country mentioned of that name in the archive; did "
            "you mean AM (Armenia)?", mentions="Armenia")
    refused(url, "--source 'mid': no source of that name in the archive; did you mean "
            "mid_ru_en (Ministry of Foreign Affairs of the Russian Federation (English)), "
            "mid_ru_ru (Министерство иностранных дел Российской Федерации)?", source="mid")
    refused(url, "--speaker 'Sergey Lavrov': no speaker of that name in the archive; did you "
            "mean Sergei Lavrov?", speaker="Sergey Lavrov")
    refused(url, "--speaker 'lavrof': no speaker of that name in the archive; did you mean "
            "Sergei Lavrov?", speaker="lavrof")
    # A language's name, in English or in itself, points to its code.
    refused(url, "--lang 'english': no language of that name in the archive; did you mean "
            "en (English)?", language="english")
    refused(url, "--lang 'Русский': no language of that name in the archive; did you mean "
            "ru (Russian)?", language="Русский")
    refused(url, "--lang 'klingon': no language of that name in the archive (it has en, ru)",
            language="klingon")
    refused(url, "--type 'briefings': no statement type of that name; did you mean "
            "briefing?", statement_type="briefings")
    # A type of the vocabulary that no statement of the archive has.
    refused(url, "--type 'interview': no statement of that type in the archive (it has "
            "briefing, comment, news report, press release)", statement_type="interview")


def test_close_matches_by_prefix_ratio_and_word():
    labels = {"mid_ru_en": "MFA of Russia (English)", "mfa_china": "MFA of China",
              "state_gov": "U.S. Department of State"}
    assert close_matches("mid", labels) == ["mid_ru_en"]
    assert close_matches("mfa_chian", labels) == ["mfa_china"]
    assert close_matches("department", labels) == ["state_gov"]
    assert close_matches("nothing like it", labels) == []


def run(args: list[str], archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300,
                          env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"})


@pytest.mark.parametrize("command", [
    ["search", "Syria"], ["trend", "Syria"], ["export", "--format", "jsonl", "--out", "-"]])
def test_every_command_takes_and_checks_the_same_filters(command: list[str], demo_db: Path):
    for option, value, message in [
            ("--country", "Russia", "did you mean RU (Russia)?"),
            ("--source", "mid", "did you mean mid_ru_en"),
            ("--speaker", "lavrof", "did you mean Sergei Lavrov?"),
            ("--type", "briefings", "did you mean briefing?"),
            ("--lang", "english", "did you mean en (English)?")]:
        result = run([*command, option, value], demo_db)
        assert result.returncode == 2, (option, result.stderr)
        assert result.stderr.startswith(f"demarche {command[0]}: {option} {value!r}: ")
        assert message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""
    every = ["--source", "mid_ru_en", "--speaker", "Lavrov", "--type", "press release",
             "--country", "RU", "--lang", "en", "--mentions", "AM", "--since", "2012-04-01",
             "--until", "2012-04-30"]
    found = run([*command, *every, *(["--format", "json"] if command[0] != "export" else [])],
                demo_db)
    assert found.returncode == 0, found.stderr
    if command[0] == "search":
        assert [hit["source"] for hit in json.loads(found.stdout)] == ["mid_ru_en"]
    elif command[0] == "trend":
        assert [(p["statements"], p["matching"]) for p in json.loads(found.stdout)] == [(1, 1)]
    else:
        (record,) = map(json.loads, found.stdout.splitlines())
        assert record["speakers"][0]["name"] == "Sergei Lavrov"
