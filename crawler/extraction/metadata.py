"""Titles and authors as a reader expects them: the headline without the
site's name, and a person's name or nothing."""

from __future__ import annotations

import re

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·•»]{1,2}\s+")


def clean_title(title: str, site_names: list[str]) -> str:
    """Drop a ' - Site Name' suffix or 'Site Name | ' prefix, keep the rest as written."""
    title = " ".join(title.split())
    names = {n.casefold() for n in site_names if n}
    separators = list(_TITLE_SEPARATORS.finditer(title))
    if separators:
        last, first = separators[-1], separators[0]
        if title[last.end() :].casefold() in names:
            return title[: last.start()]
        if title[: first.start()].casefold() in names:
            return title[first.end() :]
    return title


def clean_author(raw: str | None, site_names: list[str]) -> str | None:
    """A person's name or None: never the site, a URL or a lone word."""
    if not raw:
        return None
    # trafilatura joins name and role with "; " ("Mark C Toner; Deputy ...").
    name = raw.split(";")[0].strip()
    names = {n.casefold() for n in site_names if n}
    if name.casefold() in names or "http" in name or "/" in name or len(name) > 120:
        return None
    return name if len(name.split()) >= 2 else None
