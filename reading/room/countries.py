"""Country names for ISO 3166-1 alpha-2 codes, from the gazetteer that
finds the mentions (``crawler/enrich/countries.toml``), so the pages name a
country the way the enrichment does."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

GAZETTEER = Path(__file__).resolve().parents[2] / "crawler" / "enrich" / "countries.toml"


@cache
def country_names() -> dict[str, str]:
    with GAZETTEER.open("rb") as stream:
        countries = tomllib.load(stream).get("countries", {})
    return {code: entry.get("name", code) for code, entry in countries.items()}


def country_name(code: str | None) -> str:
    """The English name of a code; an unknown code is shown as it is."""
    if not code:
        return ""
    return country_names().get(code.upper(), code.upper())
