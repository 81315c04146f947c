"""The archive's URL key: one spelling per article URL.

Tracking parameters (utm_*, fbclid, ...) and fragments are dropped, the host
is lower-cased, default ports removed and the other query parameters sorted,
so the same article reached from a feed and from a listing is one row.
courlan's non-strict mode is used: its strict mode also drops every query
parameter outside a short allow-list, which would merge distinct pages such
as ``news.php?id=1`` and ``news.php?id=2`` on some CMSs.
"""

from __future__ import annotations

from urllib.parse import urldefrag

from courlan import normalize_url


def normalise_url(url: str) -> str:
    try:
        url = normalize_url(url)
    except ValueError:
        pass  # courlan refuses what it cannot parse; keep the URL as it came
    return urldefrag(url).url
