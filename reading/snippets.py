"""Snippets: the passage of a hit's text where the query's words stand,
with the words marked."""

from __future__ import annotations

import re
from functools import lru_cache

from reading.query_language import Node, Not, SearchQuery, Term

MARK = "**"

# Written here rather than by FTS5's snippet() or ts_headline(): both read
# and tokenise the whole text again (1-2 ms for a briefing's transcript,
# and SQLite folds Chinese text in SQL first), which made snippets most of
# a search's time (make bench-search); a regular expression over the raw
# text does it in microseconds, the same way on both backends.
SNIPPET_CHARS = 220
# ё is е (as indexed); Arabic vowel marks, and in any script from Arabic
# on the zero-width joiners, may stand between letters. Other diacritics
# are not looked for: a hit found by FTS5 for "Elysee" in "Élysée" keeps
# its text, unmarked.
_YO = "[её]"
_ARABIC_MARKS = "[\u064b-\u0652\u0670\u0640\u200c\u200d]*"
_JOINERS = "[\u200c\u200d]*"


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff"


def _word_pattern(word: str, *, loose: bool) -> str:
    if loose and len(word) > 5 and not _is_cjk(word[0]):
        word = word[:-2]  # PostgreSQL matched the stem: mark the word's other forms too
    chars = []
    for char in word:
        chars.append(_YO if char in "еЕ" else re.escape(char))
        if "\u0600" <= char <= "\u06ff":
            chars.append(_ARABIC_MARKS)
        elif char >= "\u0700" and not _is_cjk(char):
            chars.append(_JOINERS)
    return "".join(chars)


def _term_pattern(term: Term, *, loose: bool) -> str:
    words = re.findall(r"\w+", term.text)
    pattern = r"\W*".join(_word_pattern(w, loose=loose) for w in words)
    if not _is_cjk(words[0][0]):
        pattern = r"(?<!\w)" + pattern
    if term.prefix or loose:
        return pattern + r"\w*"
    return pattern if _is_cjk(words[-1][-1]) else pattern + r"(?!\w)"


def _wanted(node: Node) -> list[Term]:
    """The terms a matching text contains (not those it must not)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return _wanted(node.include)
    return [term for item in node.items for term in _wanted(item)]


@lru_cache(maxsize=64)
def _finder(query: SearchQuery, loose: bool) -> re.Pattern[str]:
    terms = [Term(phrase) for phrase in query.proximity_phrases()] + _wanted(query.root)
    # Longest first: a phrase is marked whole rather than word by word.
    patterns = sorted({_term_pattern(t, loose=loose) for t in terms}, key=len, reverse=True)
    return re.compile("|".join(patterns), re.IGNORECASE)


def _richest(found: list[re.Match[str]]) -> re.Match[str]:
    """The match that starts the window with the most different matched
    words (a sliding window over the matches, in order)."""
    words = [m.group().lower() for m in found]
    inside: dict[str, int] = {}
    best, most, ahead = found[0], 0, 0
    for i, match in enumerate(found):
        end = match.start() + SNIPPET_CHARS * 2 // 3
        while ahead < len(found) and found[ahead].start() < end:
            inside[words[ahead]] = inside.get(words[ahead], 0) + 1
            ahead += 1
        if len(inside) > most:
            best, most = match, len(inside)
        inside[words[i]] -= 1
        if not inside[words[i]]:
            del inside[words[i]]
    return best


def snippet(text: str, query: SearchQuery, *, loose: bool = False) -> str:
    """About SNIPPET_CHARS characters of ``text``, on one line, where most of
    the query's terms are, each marked ``**like this**``; ``loose`` marks
    other forms of a word too (PostgreSQL finds them by their stem)."""
    finder = _finder(query, loose)
    found = []
    for match in finder.finditer(text):  # a window among the first 50 matches will do
        found.append(match)
        if len(found) == 50:
            break
    if not found:
        # (The hit is in the title, or a stem the text spells otherwise.)
        start, end = 0, min(len(text), SNIPPET_CHARS)
        if end < len(text) and not _is_cjk(text[end - 1]):
            space = re.search(r"\s\S*$", text[:end])
            end = space.start() if space else end
    else:
        # Starting a little before the richest window's first match, cut at spaces.
        best = _richest(found)
        start = max(0, best.start() - SNIPPET_CHARS // 3)
        end = min(len(text), max(start + SNIPPET_CHARS, best.end()))
        if start > 0 and not _is_cjk(text[start]):
            space = re.search(r"\s", text[start:best.start()])
            start += space.end() if space else 0
        if end < len(text) and not _is_cjk(text[end - 1]):
            space = re.search(r"\s\S*$", text[best.end():end])
            end = best.end() + space.start() if space else end
    window = " ".join(finder.sub(lambda m: f"{MARK}{m.group()}{MARK}", text[start:end]).split())
    return ("… " if start > 0 else "") + window + (" …" if end < len(text) else "")
