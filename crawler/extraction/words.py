"""Words and word pairs of a text, as the checks on the main text compare texts.

``body.py`` tells how far trafilatura's lines and readability's paragraphs
agree by the word pairs they share, and the paragraph model of
``blocks.py`` reads each final line's words and pairs again: the same lines
and the same joined texts are split many times a page. Both read them from
here, split once: the results are cached by text (a text's words never
change) while one page is read, and forgotten when its text is chosen
(``forget``), so that a long page's pairs are not kept for the next pages.
"""

from __future__ import annotations

import re
from functools import lru_cache

# CJK scripts have no spaces: each character is a token, as in the scorer.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")
# A page asks for a few hundred texts (its lines, readability's paragraphs,
# both joined); the bound only caps a page of thousands of lines.
CACHED_TEXTS = 2048

Pair = tuple[str, str]


def split(text: str) -> list[str]:
    """The words of a text read once (a link's text): not cached."""
    return _TOKEN.findall(text.casefold())


def pairs_of(tokens: tuple[str, ...] | list[str]) -> set[Pair]:
    """Each word with the next, for a text that is not worth caching."""
    return set(zip(tokens, tokens[1:], strict=False))


@lru_cache(maxsize=CACHED_TEXTS)
def words(text: str) -> tuple[str, ...]:
    """The words of ``text``, casefolded (a tuple: shared, never changed)."""
    return tuple(split(text))


@lru_cache(maxsize=CACHED_TEXTS)
def word_pairs(text: str) -> frozenset[Pair]:
    """Each word of ``text`` with the next."""
    found = words(text)
    return frozenset(zip(found, found[1:], strict=False))


def forget() -> None:
    """Drop every cached text: the page they came from is done."""
    words.cache_clear()
    word_pairs.cache_clear()
