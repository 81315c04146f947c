"""The archive's URL spellings and keys.

``normalise_url`` is the spelling the archive stores (``articles.url``,
``fetch_state.url``): tracking parameters (utm_*, fbclid, ...) and fragments
are dropped, scheme and host lower-cased, the default port (:80, :443)
removed and the other query parameters sorted, so the same article reached
from a feed and from a listing is one row. It stays a URL one can fetch.
courlan's non-strict mode is used: its strict mode also drops every query
parameter outside a short allow-list, which would merge distinct pages such
as ``news.php?id=1`` and ``news.php?id=2`` on some CMSs. Query parts
without ``=`` (which courlan drops in both modes) are kept.

``url_key`` is the identity of a page (``article_urls.url``): the spelling
without a leading ``www.`` and without trailing slashes in the path, query
or no query. Sites answer both ways, link both ways and redirect between
them; no ministry publishes two statements that differ only there. Neither
courlan nor w3lib drops ``www.`` (courlan's ``trailing_slash=False`` only
strips the slash of a URL without a query), so those two steps are ours.
The scheme stays: http and https are different URLs, and the redirect
between them is recorded as an alias like any other.

``spellings`` are the ``normalise_url`` spellings that share a key, for
rows archived before ``article_urls`` existed: their ``url`` is one of them.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit, urlunsplit

from courlan import normalize_url


def normalise_url(url: str) -> str:
    # courlan drops a query part without "=": India's MEA names every
    # article that way (press-releases.htm?dtl/37867/Title), so all of them
    # would share one URL. Such parts are kept, first and in their order.
    try:
        bare = [p for p in urlsplit(url).query.split("&") if p and "=" not in p]
    except ValueError:
        bare = []
    try:
        url = normalize_url(url)
    except ValueError:
        pass  # courlan refuses what it cannot parse; keep the URL as it came
    url = urldefrag(url).url
    if bare:
        parts = urlsplit(url)
        query = "&".join([*bare, *([parts.query] if parts.query else [])])
        url = urlunsplit(parts._replace(query=query))
    return url


def _split(url: str) -> tuple[str, str, str, str] | None:
    """Scheme, host (with its port, without www.), path without trailing
    slashes (``/`` for the root), and query of the normalised URL; None for
    what cannot be parsed (``http://[::1``), which is its own key."""
    try:
        parts = urlsplit(normalise_url(url))
    except ValueError:
        return None
    host = parts.netloc.removeprefix("www.")
    return parts.scheme, host, parts.path.rstrip("/") or "/", parts.query


def url_key(url: str) -> str:
    """The key of every spelling of one page: ``https://www.mid.ru:443/en/1/``,
    ``https://mid.ru/en/1?utm_source=rss#top`` -> ``https://mid.ru/en/1``."""
    parts = _split(url)
    if parts is None:
        return normalise_url(url)
    scheme, host, path, query = parts
    return urlunsplit((scheme, host, path, query, ""))


def spellings(url: str) -> list[str]:
    """The normalised spellings with the key of ``url``: with and without
    ``www.``, with and without a trailing slash (at most four)."""
    parts = _split(url)
    if parts is None:
        return [normalise_url(url)]
    scheme, host, path, query = parts
    paths = ["/"] if path == "/" else [path, path + "/"]
    hosts = [host, "www." + host]
    found = [urlunsplit((scheme, h, p, query, "")) for h in hosts for p in paths]
    if path == "/" and not query:
        # courlan leaves a bare host without a path ("https://mid.ru").
        found += [urlunsplit((scheme, h, "", "", "")) for h in hosts]
    return found


def same_page(a: str, b: str) -> bool:
    """Whether two URLs are one page, scheme aside: a redirect from http to
    https, to the www. host or to a trailing slash does not move a page."""
    pa, pb = _split(a), _split(b)
    if pa is None or pb is None:
        return normalise_url(a) == normalise_url(b)
    return pa[1:] == pb[1:]


def is_site_root(url: str) -> bool:
    """The site's home page: no path, and no query that could name a page."""
    parts = _split(url)
    return parts is not None and parts[2] == "/" and not parts[3]
