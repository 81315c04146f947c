"""Chrome learned from a site: lines that recur across many of its pages.

A fixed list of interface strings (``clean.KNOWN_CHROME``) cannot know every
site's share prompts, disclaimers and sign-up lines, and sites change them.
A line that stands, word for word, in several different articles of one
source is not part of any one statement: "The views and opinions expressed
in the article do not necessarily reflect those of Sputnik" or "Like this
story? Share it with a friend!". The archive counts, per source, on how many
articles each candidate line stood (``boilerplate_lines``); a line counted on
at least ``MIN_PAGES`` articles, and on a share ``MIN_SHARE`` of the source's
articles, is stripped from every article of that source. A line seen on one
page only is never stripped this way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict

MIN_PAGES = 3
MIN_SHARE = 0.05
# Candidates are sentence-like lines: one or two words are structure in
# transcripts ("Question:", "Thank you."), very long ones are text.
MIN_WORDS = 4
MAX_CHARS = 400


_SPACES = re.compile(r"\s+")


# Zero-width (non-)joiners: kept in texts since 2026-12-07, absent from the
# lines learned before (crawler/extraction/marks.py); keys leave them out.
_JOINERS = str.maketrans("", "", "\u200c\u200d")


def line_key(line: str) -> str:
    norm = unicodedata.normalize("NFKC", line).casefold().translate(_JOINERS)
    norm = _SPACES.sub(" ", norm).strip(" .:;,!?|-–—·•\"'“”«»")
    return hashlib.sha256(norm.encode()).hexdigest()[:32]


def paragraphs_of(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


def candidate_lines(body: str) -> dict[str, str]:
    """key -> line for each paragraph of a body that could be chrome."""
    return {line_key(para): para for para in paragraphs_of(body)
            if len(para) <= MAX_CHARS and len(para.split()) >= MIN_WORDS}


def strip_lines(body: str, keys: set[str] | frozenset[str]) -> str:
    if not keys:
        return body
    # Only candidates are counted, so a learned line is at most MAX_CHARS
    # long: longer paragraphs (most of a text) need no key. Shorter ones
    # all get theirs, a candidate or not: "« Back to news »" learned takes
    # "Back to news" too (the same key).
    kept = [p for p in paragraphs_of(body) if len(p) > MAX_CHARS or line_key(p) not in keys]
    # A text made only of lines seen on other pages is a statement the site
    # repeats (a template notice, the same text under many headlines), not
    # chrome around one: it stays whole rather than becoming empty.
    return "\n\n".join(kept) if kept else body


def is_learned(pages: int, source_articles: int) -> bool:
    return pages >= MIN_PAGES and pages >= MIN_SHARE * source_articles


def learn_in_corpus(bodies: dict[str, str], site_of: dict[str, str]) -> dict[str, set[str]]:
    """For a batch of saved pages (no archive): the keys to strip, per site.

    ``bodies`` maps page id to body text, ``site_of`` page id to its site.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    pages_per_site: Counter[str] = Counter()
    for page_id, body in bodies.items():
        site = site_of.get(page_id, "")
        pages_per_site[site] += 1
        counts[site].update(candidate_lines(body).keys())
    return {
        site: {k for k, n in counter.items() if site and is_learned(n, pages_per_site[site])}
        for site, counter in counts.items()
    }

