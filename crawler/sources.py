"""The source registry: every ministry or news section demarche crawls is a row
of data in ``sources.toml``, not a class.

A row names the site and says how to walk it: which generic spider
(``feed``, ``sitemap`` or ``listing``), where to start, and which URLs are
articles. The spider loader turns each row into a spider named by its key, so
``scrapy crawl <key>`` works for every row.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_REGISTRY = Path(__file__).with_name("sources.toml")

KINDS = ("ministry", "agency", "media")
SPIDERS = ("feed", "sitemap", "listing")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class RegistryError(ValueError):
    """A source row is missing a field or has a value that cannot work."""


@dataclass(frozen=True)
class Source:
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
    max_pages: int = 5
    # Sitemaps: only sub-sitemaps whose URL matches are followed.
    sitemap_follow: str | None = None
    # Health: this many finished runs in a row without a new article make
    # the source "quiet" (a ministry that posts weekly wants more).
    quiet_after: int = 3
    notes: str = ""
    _article_re: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_article_re", re.compile(self.article_pattern))

    @property
    def publisher(self) -> str:
        return self.site_name or self.name

    def is_article_url(self, url: str) -> bool:
        return bool(self._article_re.search(url))

    def owns_url(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


def _require(row: dict, name: str, where: str) -> object:
    if name not in row or row[name] in ("", [], None):
        raise RegistryError(f"{where}: missing required field {name!r}")
    return row[name]


def _source_from_row(row: dict, where: str) -> Source:
    known = set(Source.__dataclass_fields__) - {"_article_re"}
    unknown = set(row) - known
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    key = str(_require(row, "key", where))
    where = f"{where} ({key})"
    if not _KEY.match(key):
        raise RegistryError(f"{where}: key must be lower-case letters, digits and _")
    kind = _require(row, "kind", where)
    if kind not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    spider = _require(row, "spider", where)
    if spider not in SPIDERS:
        raise RegistryError(f"{where}: spider must be one of {', '.join(SPIDERS)}, not {spider!r}")
    country = str(_require(row, "country", where))
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RegistryError(f"{where}: country must be ISO 3166 alpha-2 (e.g. RU), not {country!r}")
    language = str(_require(row, "language", where))
    if not re.fullmatch(r"[a-z]{2}", language):
        raise RegistryError(f"{where}: language must be ISO 639-1 (e.g. en), not {language!r}")
    pattern = str(_require(row, "article_pattern", where))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RegistryError(f"{where}: article_pattern is not a valid regex: {exc}") from exc
    entries = tuple(_require(row, "entry_points", where))
    for url in entries:
        if urlsplit(url).scheme not in ("http", "https"):
            raise RegistryError(f"{where}: entry point {url!r} is not an http(s) URL")
    template = row.get("page_template")
    if template is not None and "{page}" not in template:
        raise RegistryError(f"{where}: page_template must contain {{page}}")
    quiet_after = row.get("quiet_after", 3)
    if not isinstance(quiet_after, int) or quiet_after < 1:
        raise RegistryError(f"{where}: quiet_after must be a whole number of runs, at least 1")
    fields = {**row, "entry_points": entries, "domains": tuple(_require(row, "domains", where))}
    source = Source(**fields)
    strays = [u for u in entries if not source.owns_url(u)]
    if strays:
        raise RegistryError(f"{where}: entry point(s) outside the source's domains: {strays}")
    return source


def registry_of(settings) -> dict[str, Source]:  # type: ignore[no-untyped-def]
    """The registry a run's settings name (``DEMARCHE_SOURCES``), checked
    with the run's rule on private addresses."""
    return load_sources(settings.get("DEMARCHE_SOURCES") or None,
                        allow_private_addresses=settings.getbool("DEMARCHE_ALLOW_PRIVATE_ADDRESSES"))


def load_sources(path: str | Path | None = None, *,
                 allow_private_addresses: bool = False) -> dict[str, Source]:
    """Read and check a registry file; the key order of the file is kept.
    Entry points on loopback, private or metadata hosts are refused unless
    ``allow_private_addresses`` (crawler/addresses.py)."""
    path = Path(path) if path else DEFAULT_REGISTRY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"source registry not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc
    sources: dict[str, Source] = {}
    for i, row in enumerate(data.get("source", []), start=1):
        source = _source_from_row(row, f"{path.name} source #{i}")
        if source.key in sources:
            raise RegistryError(f"{path.name}: source key {source.key!r} is defined twice")
        sources[source.key] = source
    if not sources:
        raise RegistryError(f"{path}: no [[source]] rows")
    return sources
