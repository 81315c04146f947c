"""The archive's URL spellings and keys.

``normalise_url`` is the spelling the archive stores (``articles.url``,
``fetch_state.url``): the fragment and the tracking parameters named in
``TRACKING_PARAMETERS`` are dropped, scheme and host lower-cased, the
default port (:80, :443) removed and the other query parameters sorted by
name, so the same article reached from a feed and from a listing is one
row. It stays a URL one can fetch, and normalising it again gives it back.

Every other query parameter is kept, with its value, even an empty one:
two URLs that differ in a parameter that is not a tracker are two pages.
courlan's tracker rule is not used for that reason: it drops any name
that contains ``cid``, ``id`` after ``_``, ``ref``, ``source``, ``session``
or begins with ``ga``/``gl`` (jpost.com's ``Satellite?cid=1200475883016``
names its article; ``gallery=3`` and ``session=2`` name pages too), and
its parser reads HTML entities in the URL (``&section=1`` became
``§ion=1``) and drops empty values. Scheme, host and path still go
through courlan, given the parts already split, so nothing is unescaped.
A query part without ``=`` (India's MEA names every article that way:
``press-releases.htm?dtl/37867/Title``) is kept as written, first and in
its order.

``url_key`` is the identity of a page (``article_urls.url``): the spelling
without a leading ``www.`` and without trailing slashes in the path, query
or no query. Sites answer both ways, link both ways and redirect between
them; no ministry publishes two statements that differ only there. The
scheme stays: a key is shown as a URL the article lived at, and an
``https`` key for a page only ever served over ``http`` would be a URL
that never answered. http and https are still one page (``same_page``):
the redirect between them is no takedown, and is recorded as an alias.

``spellings`` are the ``normalise_url`` spellings that share a key, for
rows archived before ``article_urls`` existed: their ``url`` is one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, quote_plus, unquote_to_bytes, urlsplit, urlunsplit

from courlan import normalize_url

# Query parameters that only say how a reader came to a page (campaign
# tags, advertising click ids, mail and analytics linkers), compared
# without regard to case. Taken from the rules that browsers and cleaners
# share (ClearURLs' global rules, Firefox's query stripping list, AdGuard's
# tracking parameter filter), keeping only names that never name a page:
# ``cid``, ``id``, ``ref``, ``source``, ``from``, ``session``, ``spm``
# stay, whatever courlan says of them. README "URL identity" cites this.
TRACKING_PREFIXES = ("utm_",)  # Urchin / Google Analytics campaign tags
TRACKING_PARAMETERS = frozenset({
    # advertising click ids: Meta, Google Ads, Microsoft, Yandex, X, TikTok,
    # LinkedIn, Instagram, Google Shopping, Rakuten
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid",
    "yclid", "ysclid", "twclid", "ttclid", "li_fat_id", "igshid", "igsh",
    "srsltid", "rb_clickid",
    # analytics linkers and ids: Google Analytics, Openstat (Yandex.Direct),
    # HubSpot, Adobe, X's embeds
    "_ga", "_gl", "_openstat", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
    "s_cid", "cmpid", "ref_src", "__twitter_impression",
    # Facebook share links
    "fb_action_ids", "fb_action_types", "fb_source", "fb_ref",
    "action_object_map", "action_type_map", "action_ref_map",
    # mail campaigns: Mailchimp, Marketo, Vero, Omeda, MailerLite
    "mc_cid", "mc_eid", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id",
    "oly_enc_id", "ml_subscriber", "ml_subscriber_hash",
    # AT Internet (French public sites), Matomo / Piwik campaign tags
    "xtor", "at_medium", "at_campaign",
    "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content",
    "pk_cid", "mtm_campaign", "mtm_kwd", "mtm_keyword", "mtm_source",
    "mtm_medium", "mtm_content", "mtm_cid", "mtm_group", "mtm_placement",
})


def is_tracker(name: str) -> bool:
    """Whether a query parameter (its decoded name) is a tracking parameter."""
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _decoded(part: str) -> bytes:
    # Form encoding: "+" is a space. Bytes, not text, so that %FF and %FE
    # stay two values rather than one U+FFFD.
    return unquote_to_bytes(part.replace("+", " "))


def _query(query: str) -> str:
    """The query without trackers, empty parts and the order of its names:
    parts without ``=`` first as written, then ``name=value`` sorted by name
    (repeated names keep their order), in one encoding."""
    bare: list[str] = []
    pairs: list[tuple[bytes, bytes]] = []
    for part in query.split("&"):
        if not part:
            continue
        if "=" not in part:
            bare.append(part)
            continue
        name, _, value = part.partition("=")
        decoded = _decoded(name)
        if not is_tracker(decoded.decode("utf-8", "replace")):
            pairs.append((decoded, _decoded(value)))
    pairs.sort(key=lambda pair: pair[0])
    return "&".join([*bare, *(f"{quote_plus(n)}={quote_plus(v)}" for n, v in pairs)])


def normalise_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.partition("#")[0]  # unparseable ("http://[::1"): as it came
    query = _query(parts.query)
    try:
        # A SplitResult, not a string: courlan unescapes HTML in a string.
        base = urlsplit(normalize_url(SplitResult(parts.scheme, parts.netloc, parts.path,
                                                  "", "")))
    except ValueError:
        base = parts._replace(fragment="")
    path = base.path or ("/" if query else "")
    return urlunsplit((base.scheme, base.netloc, path, query, ""))


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
    ``http://mid.ru/en/1?utm_source=rss#top`` -> ``https://mid.ru/en/1``.
    A key is an identity, not a URL that was fetched (``articles.url`` keeps
    that): an http-only page is keyed under https too."""
    parts = _split(url)
    if parts is None:
        return normalise_url(url)
    scheme, host, path, query = parts
    # http and https of one address are one page: https stands for both.
    return urlunsplit(("https" if scheme == "http" else scheme, host, path, query, ""))


def spellings(url: str) -> list[str]:
    """The normalised spellings with the key of ``url``: http or https,
    with and without ``www.``, with and without a trailing slash (at most
    eight)."""
    parts = _split(url)
    if parts is None:
        return [normalise_url(url)]
    scheme, host, path, query = parts
    paths = ["/"] if path == "/" else [path, path + "/"]
    hosts = [host, "www." + host]
    # http and https share a key (url_key): a row stored under either is one
    # of its spellings.
    schemes = ["https", "http"] if scheme in ("http", "https") else [scheme]
    found = [urlunsplit((sc, h, p, query, "")) for sc in schemes for h in hosts for p in paths]
    if path == "/" and not query:
        # courlan leaves a bare host without a path ("https://mid.ru").
        found += [urlunsplit((sc, h, "", "", "")) for sc in schemes for h in hosts]
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


def as_seen(key: str, seen: Iterable[str | None]) -> str | None:
    """Which of the URLs ``seen`` (an article's ``url`` as fetched, its
    canonical URL) has the key ``key``; None when none has: the archive
    keeps only keys in ``article_urls``, and a key is no URL that was
    fetched (no ``www.``, no trailing slash)."""
    for url in seen:
        if url and url_key(url) == key:
            return url
    return None
