"""The source registry: every ministry or news section demarche crawls is a row
of data in ``sources.toml``, not a class.

A row names the site and says how to walk it: which generic spider
(``feed``, ``sitemap`` or ``listing``), where to start, and which URLs are
articles. The spider loader turns each row into a spider named by its key, so
``scrapy crawl <key>`` works for every row.

The whole file is checked when it is read, before anything is fetched: every
field's type (pydantic validates each row into ``Source``), every regex and
CSS selector compiled, every host, and widths against the archive's columns.
All the problems of the file are reported at once, one line each, naming the
file, the row and the field.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import cssselect
from parsel.csstranslator import css2xpath
from pydantic import ConfigDict, StrictInt, TypeAdapter, ValidationError

from crawler.addresses import refused_host
from storage.models import Article, SourceRow

DEFAULT_REGISTRY = Path(__file__).with_name("sources.toml")

KINDS = ("ministry", "agency", "media")
SPIDERS = ("feed", "sitemap", "listing")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# Fields stored in a bounded column: longer is refused here rather than cut
# on every article (storage/bounds.py).
_WIDTHS = {"key": SourceRow.key, "name": SourceRow.name, "site_name": SourceRow.site_name,
           "section": Article.section}


class RegistryError(ValueError):
    """A source row is missing a field or has a value that cannot work."""


@dataclass(frozen=True)
class Source:
    # Also the schema of a registry row (``_ROW`` below): unknown fields are
    # refused; StrictInt, because TOML's true and "5" are no page counts.
    __pydantic_config__ = ConfigDict(extra="forbid")

    key: str
    name: str
    kind: str
    country: str  # ISO 3166-1 alpha-2, upper case
    language: str  # ISO 639-1 of the edition
    domains: tuple[str, ...]
    spider: str
    entry_points: tuple[str, ...]
    article_pattern: str
    site_name: str | None = None  # the publisher's own name; defaults to name
    section: str | None = None
    # Listings: a CSS selector for the next page's URL, or a template with
    # ``{page}`` for sites that paginate in JavaScript (fmprc.gov.cn).
    next_page: str | None = None
    page_template: str | None = None
    max_pages: StrictInt = 5
    # Sitemaps: only sub-sitemaps whose URL matches are followed.
    sitemap_follow: str | None = None
    # Health: this many finished runs in a row without a new article make
    # the source "quiet" (a ministry that posts weekly wants more).
    quiet_after: StrictInt = 3
    notes: str = ""

    @cached_property
    def _article_re(self) -> re.Pattern[str]:
        return re.compile(self.article_pattern)

    @property
    def publisher(self) -> str:
        return self.site_name or self.name

    def is_article_url(self, url: str) -> bool:
        return bool(self._article_re.search(url))

    def owns_url(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


_ROW = TypeAdapter(Source)
_FIELDS = tuple(Source.__dataclass_fields__)
# pydantic's word for a wrong type, in the registry's terms.
_EXPECTED = {"string_type": "text (a quoted string)", "int_type": "a whole number",
             "tuple_type": "a list"}


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_problems(error: ValidationError) -> Iterator[str]:
    unknown = []
    for problem in error.errors():
        field, *item = problem["loc"]
        if problem["type"] == "unexpected_keyword_argument":
            unknown.append(str(field))
        elif problem["type"] == "missing":
            yield f"missing required field {field!r}"
        else:
            where = f"{field}[{item[0]}]" if item else str(field)
            expected = _EXPECTED.get(problem["type"])
            yield (f"{where} must be {expected}, not {_clip(problem['input'])}" if expected
                   else f"{where}: {problem['msg']}")
    if unknown:
        yield f"unknown field(s) {', '.join(unknown)} (known: {', '.join(_FIELDS)})"


def _is_host(name: str) -> bool:
    """A bare host name as ``urlsplit`` reads it (lower case, no scheme,
    port or path), or an IP address."""
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return bool(name) and urlsplit("//" + name).hostname == name and not any(
            c.isspace() for c in name)


def _selector_problem(selector: str) -> str | None:
    """Why a ``next_page`` selector cannot give a URL, or None."""
    try:
        css2xpath(selector)  # parsel's dialect: ::attr() and ::text
        parsed = cssselect.parse(selector)
    except cssselect.SelectorError as exc:
        return f"is not a valid CSS selector: {exc}"
    if any(s.pseudo_element is None for s in parsed):
        return "must end each selector with ::attr(href) (or ::text): an element is no URL"
    return None


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regex: {exc}"
    return None


def _problems(source: Source, allow_private: bool) -> Iterator[str]:
    """What is wrong with a well-typed row, one phrase per problem."""
    for name in ("name", "domains", "entry_points", "article_pattern"):
        if not getattr(source, name):
            yield f"missing required field {name!r} (it is empty)"
    if not _KEY.match(source.key):
        yield "key must be lower-case letters, digits and _, starting with a letter"
    for name, column in _WIDTHS.items():
        value = getattr(source, name)
        if value and len(value) > column.type.length:
            yield f"{name} is longer than the archive's {column.type.length} characters"
    if source.kind not in KINDS:
        yield f"kind must be one of {', '.join(KINDS)}, not {source.kind!r}"
    if source.spider not in SPIDERS:
        yield f"spider must be one of {', '.join(SPIDERS)}, not {source.spider!r}"
    if not re.fullmatch(r"[A-Z]{2}", source.country):
        yield f"country must be ISO 3166 alpha-2 (e.g. RU), not {source.country!r}"
    if not re.fullmatch(r"[a-z]{2}", source.language):
        yield f"language must be ISO 639-1 (e.g. en), not {source.language!r}"
    for name in ("article_pattern", "sitemap_follow"):
        value = getattr(source, name)
        if value is not None and (problem := _regex_problem(value)):
            yield f"{name} {problem}"
    if source.next_page is not None and (problem := _selector_problem(source.next_page)):
        yield f"next_page {problem}"
    if source.page_template is not None:
        try:
            source.page_template.format(page=2)
        except (KeyError, IndexError, ValueError) as exc:
            yield f"page_template must be a URL with {{page}} and no other braces ({exc!r})"
        else:
            if "{page}" not in source.page_template:
                yield "page_template must contain {page}"
    for name in ("max_pages", "quiet_after"):
        if getattr(source, name) < 1:
            yield f"{name} must be a whole number, at least 1, not {getattr(source, name)}"
    hosts = []
    for domain in source.domains:
        if not _is_host(domain):
            yield f"domains: {_clip(domain)} is not a lower-case host name like example.org"
        hosts.append((f"domain {domain!r}", domain))
    for url in source.entry_points:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            yield f"entry point {_clip(url)} is not an http(s) URL"
            continue
        if not source.owns_url(url):
            yield f"entry point {_clip(url)} is outside the source's domains"
        hosts.append((f"entry point {url!r}", parts.hostname))
    if not allow_private:
        named: dict[str, str] = {}
        for what, host in hosts:
            named.setdefault(host, what)  # each host once, named by its first field
        for host, what in named.items():
            if reason := refused_host(host):
                yield (f"{what} is {reason}: refused unless DEMARCHE_ALLOW_PRIVATE_ADDRESSES "
                       "is set (only for a site on this machine)")


def _check_row(row: object, where: str, *, allow_private_addresses: bool = False
              ) -> tuple[Source | None, list[str]]:
    """The row as a ``Source``, and every problem of it as one line naming
    ``where`` (the file and row) and the field; no source when it has any."""
    if not isinstance(row, dict):
        return None, [f"{where}: a source must be a [[source]] table"]
    key = row.get("key")
    if isinstance(key, str) and key:
        where = f"{where} ({_clip(key)[1:-1]})"
    try:
        source = _ROW.validate_python(row)
    except ValidationError as exc:
        return None, [f"{where}: {problem}" for problem in _type_problems(exc)]
    problems = [f"{where}: {problem}" for problem in _problems(source, allow_private_addresses)]
    return (None if problems else source), problems


def registry_of(settings) -> dict[str, Source]:  # type: ignore[no-untyped-def]
    """The registry a run's settings name (``DEMARCHE_SOURCES``), checked
    with the run's rule on private addresses."""
    return load_sources(settings.get("DEMARCHE_SOURCES") or None,
                        allow_private_addresses=settings.getbool("DEMARCHE_ALLOW_PRIVATE_ADDRESSES"))


def load_sources(path: str | Path | None = None, *,
                 allow_private_addresses: bool = False) -> dict[str, Source]:
    """Read and check a registry file; the key order of the file is kept.
    Entry points and domains on loopback, private or metadata hosts are
    refused unless ``allow_private_addresses`` (crawler/addresses.py).
    Raises ``RegistryError`` listing every problem of the file."""
    path = Path(path) if path else DEFAULT_REGISTRY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"source registry not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc
    problems = [f"{path.name}: unknown table {name!r} (rows are [[source]])"
                for name in data if name != "source"]
    rows = data.get("source", [])
    if not isinstance(rows, list):
        rows = [rows]
    sources: dict[str, Source] = {}
    for i, row in enumerate(rows, start=1):
        source, found = _check_row(row, f"{path.name} source #{i}",
                                  allow_private_addresses=allow_private_addresses)
        problems += found
        if source is not None and source.key in sources:
            problems.append(f"{path.name}: source key {source.key!r} is defined twice")
        elif source is not None:
            sources[source.key] = source
    if not rows and not problems:
        problems.append(f"{path}: no [[source]] rows")
    if problems:
        raise RegistryError("\n".join(problems))
    return sources
