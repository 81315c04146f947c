"""Titles and authors as a reader expects them: the headline without the
site's name, and a person's name or nothing."""

from __future__ import annotations

import re

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·•»]{1,2}\s+")
# Labels news sites print before a headline; never part of what was said.
_KICKER = re.compile(
    r"^(breaking( news)?|exclusive|live|watch|video|photos?|update[d]?|opinion|analysis|"
    r"explainer|factbox|fact check|срочно|видео|эксклюзив|фото|独家|视频|eilmeldung|"
    r"exklusiv|live-ticker)\s*[:|–—-]\s+",
    re.IGNORECASE,
)
# Bylines that name an organisation or an image, not a person.
_NOT_A_PERSON = re.compile(
    r"\b(logo|png|jpe?g|svg|staff|newsroom|editorial|editors?|desk|team|agency|agencies|"
    r"press|service|online|news|reuters|associated|afp|tass|ria|sputnik|xinhua|ministry|"
    r"department|office|admin|administrator|webmaster)\b|\.(com|org|net|ru|cn)\b|\d",
    re.IGNORECASE,
)
_BY = re.compile(r"^(by|von|par|автор[:]?)\s+", re.IGNORECASE)


def clean_title(title: str, site_names: list[str]) -> str:
    """Drop a ' - Site Name' suffix or 'Site Name | ' prefix, keep the rest as written."""
    title = _KICKER.sub("", " ".join(title.split()))
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
    """A person's name or None: never the site, a URL, an organisation or a lone word."""
    if not raw:
        return None
    # trafilatura joins name and role with "; " ("Mark C Toner; Deputy ...").
    name = _BY.sub("", raw.split(";")[0].strip()).strip(" ,")
    names = {n.casefold() for n in site_names if n}
    if (
        name.casefold() in names
        or "http" in name
        or "/" in name
        or "@" in name
        or len(name) > 80
        or _NOT_A_PERSON.search(name)
    ):
        return None
    words = name.split()
    # Chinese, Japanese and Korean names are written without spaces.
    cjk = any(ord(c) >= 0x2E80 for c in name)
    return name if (2 <= len(words) <= 6 or (cjk and 2 <= len(name) <= 6)) else None
