"""Document numbers and the keys that link language versions of one statement.

A translation key is a string that two language versions of the same
statement share, and that two different statements never share. The storage
layer links rows with a common key. Which keys are sound:

- ``doc:<country>:<number>``: the ministry's own document number. mid.ru
  prints the same number (``703-17-04-2024``: serial, day, month, year) on the
  Russian and the English text of a statement.
- ``url:<host/path>``: the page's own URL and every ``<link rel="alternate"
  hreflang>`` it lists. Version A lists B as its alternate, B lists A, and
  both carry their own URL, so either side finds the other.
- ``mid.ru:<id>``: mid.ru's current site (since 2021) gives a document one
  numeric ID in every language: ``/ru/foreign_policy/news/1944520/`` and
  ``/en/foreign_policy/news/1944520/``. The old site's ``content/id/NNN``
  asset IDs differed between languages and are not used.
- ``gov.uk:<base path>``: GOV.UK serves a translation at the English base
  path plus ``.<locale>`` (``…/uk-and-us-sanction-….ar``).

Not used: fmprc.gov.cn's ``t1638430.shtml`` / ``t20240102_11215656.shtml``
numbers, which are per-language (the English page of the same press
conference has another number), and State Department, Quai d'Orsay,
Auswärtiges Amt and mofa.go.jp paths, which differ per language without a
shared identifier. For those only the hreflang links and document numbers
printed in the text can link versions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from urllib.parse import urljoin, urlsplit

# NNN-DD-MM-YYYY, as a token of its own (not inside a phone number or a longer
# run of digits and dashes).
_MID_NUMBER = re.compile(r"(?<![\d-])(\d{1,4})-(\d{2})-(\d{2})-((?:19|20)\d{2})(?![\d-])")
# "No. 123", "Nr. 123/24", "№ 123", "N° 123" printed in a press-release
# header: only in the title or the first 200 characters, and only after a
# word that names a document, so a "No. 1 priority" in running text is not one.
_HEADER_NUMBER = re.compile(
    r"(?:press release|pressemitteilung|communiqué|statement|release|note|erklärung|"
    r"заявление|сообщение|пресс-релиз|déclaration)\s*(?:no\.?|nr\.?|№|n°|number)\s*"
    r"(\d{1,5}(?:/\d{2,4})?)",
    re.IGNORECASE,
)
_HREFLANG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""(\w[\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_MID_ID = re.compile(r"^/(?:[a-z]{2})/(?:[\w-]+/)*(\d{5,})/?$")


def document_number(title: str, text: str) -> str | None:
    for chunk in (title or "", text or ""):
        for tail in _MID_TAIL.finditer(chunk):
            match = _MID_NUMBER.search(chunk, max(0, tail.start() - 8), tail.end() + 1)
            if match is None or match.end() != tail.end():
                continue
            number = _valid_mid(match)  # 12-34-56-2024 is no date, so no mid.ru number
            if number is not None:
                return number
    for chunk in (title or "", (text or "")[:200]):
        match = _HEADER_NUMBER.search(chunk)
        if match:
            return match.group(1)
    return None


# "-MM-YYYY", the tail of a mid.ru number: a literal "-" lets ``re`` scan a
# 200 KB page in a fraction of a millisecond; the full form is checked at each hit.
_MID_TAIL = re.compile(r"-\d\d-(?:19|20)\d\d")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_H1 = re.compile(r"<h1\b", re.IGNORECASE)


def _valid_mid(match: re.Match[str]) -> str | None:
    serial, day, month, year = match.groups()
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return None
    return f"{serial}-{day}-{month}-{year}"


def html_document_number(html: str | None) -> str | None:
    """The number a page prints outside the extracted text (mid.ru puts it in
    a ``doc-number`` / ``article__number`` element): a mid.ru number in the
    page's text (not in a tag or a script), one in an element whose class
    names a number first; else a labelled "No. 12" just under the headline."""
    if not html:
        return None
    found: list[str] = []
    body = max(0, html.find("<body"))  # the <head>'s scripts and styles print no number
    for tail in _MID_TAIL.finditer(html, body):
        match = _MID_NUMBER.search(html, max(0, tail.start() - 8), tail.end() + 1)
        if match is None or match.end() != tail.end():
            continue
        start = match.start()
        if html.rfind("<", 0, start) > html.rfind(">", 0, start):
            continue  # inside a tag: an attribute, a URL
        if max(html.rfind("<script", 0, start), html.rfind("<SCRIPT", 0, start)) > max(
                html.rfind("</script", 0, start), html.rfind("</SCRIPT", 0, start)):
            continue
        number = _valid_mid(match)
        if number is None:
            continue
        if "number" in html[max(0, start - 120):start].lower():
            return number
        found.append(number)
    if found:
        return found[0]
    h1 = _H1.search(html)
    if h1 is not None:
        top = _SPACE.sub(" ", _TAG.sub(" ", html[h1.start():h1.start() + 3000]))
        match = _HEADER_NUMBER.search(top[:400])
        if match:
            return match.group(1)
    return None


def _normal_url(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/') or '/'}" + (f"?{parts.query}" if parts.query else "")


def hreflang_alternates(html: str, base_url: str) -> list[str]:
    urls = []
    for tag in _HREFLANG.findall(html or ""):
        if "hreflang" not in tag.lower():
            continue  # most <link>s are stylesheets and icons
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                 for m in _ATTR.finditer(tag)}
        if attrs.get("rel", "").lower() == "alternate" and "hreflang" in attrs and attrs.get("href"):
            urls.append(urljoin(base_url or "", attrs["href"]))
    return urls


def translation_keys(*, url: str, alternates: Sequence[str], number: str | None,
                     source_country: str | None) -> tuple[str, ...]:
    """``alternates``: the page's hreflang links (``hreflang_alternates``)."""
    keys: list[str] = []
    if number:
        keys.append(f"doc:{source_country or '?'}:{number}")
    if alternates:
        for link in [url, *alternates]:
            normal = _normal_url(link)
            if normal:
                keys.append(f"url:{normal}")
    parts = urlsplit(url or "")
    host = parts.netloc.lower().removeprefix("www.")
    if host == "mid.ru":
        match = _MID_ID.match(parts.path)
        if match:
            keys.append(f"mid.ru:{match.group(1)}")
    if host == "gov.uk" and parts.path.startswith("/"):
        base = re.sub(r"\.[a-z]{2}(?:-[a-z]{2,4})?$", "", parts.path.rstrip("/"))
        keys.append(f"gov.uk:{base.removeprefix('/api/content')}")
    return tuple(dict.fromkeys(keys))
