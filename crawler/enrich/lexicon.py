"""A phrase lexicon: many literal surface forms, one compiled regex.

Countries and officials are each a few thousand surface forms ("России",
"Sergei Lavrov", "王毅"). An alternation of that many literals makes Python's
``re`` try every branch at every position; folding the forms into a trie
first (``(?:Ru(?:ssia(?:n)?)|...)``) lets it reject most positions after one
character, which keeps a typical article at a few milliseconds.

Matches are case-sensitive on purpose: capitalisation is what tells
"Turkey" from "turkey" and "China" from "china".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")

# Russian case endings, written once here instead of six times per name in
# the data files: ``Сир{ИЯ}`` stands for Сирия, Сирии, Сирию, Сирией.
ENDINGS: dict[str, tuple[str, ...]] = {
    # masculine noun ending in a consonant: Лавров, Лаврова, Лаврову, Лавровым, Лаврове
    "М": ("", "а", "у", "ом", "ым", "е"),
    # feminine -а: Москва, Москвы, Москве, Москву, Москвой; Захарова, Захаровой
    "Ж": ("а", "ы", "и", "е", "у", "ой", "ою"),
    # -ия: Россия, России, Россию, Россией
    "ИЯ": ("ия", "ии", "ию", "ией"),
    # -й: Китай, Китая, Китаю, Китаем, Китае
    "Й": ("й", "я", "ю", "ем", "е"),
    # adjectives: российский, российского, российская, российские ...
    "П": ("ий", "ый", "ого", "ому", "им", "ым", "ом", "ая", "ой", "ую", "ое", "ие", "ые",
          "их", "ых", "ими", "ыми"),
    # German adjectives: russisch, russische, russischen, russischer, russisches, russischem
    "DE": ("", "e", "en", "er", "es", "em"),
}
_BRACES = re.compile(r"\{([^{}]*)\}")


def expand(form: str) -> list[str]:
    """Expand ``{NAME}`` ending sets and ``{a,b}`` alternatives in one form."""
    match = _BRACES.search(form)
    if not match:
        return [form]
    inner = match.group(1)
    options = ENDINGS.get(inner) or tuple(inner.split(","))
    head, tail = form[: match.start()], form[match.end():]
    return [word for option in options for word in expand(head + option + tail)]


def _is_wordlike(ch: str) -> bool:
    # CJK and kana have no spaces between words, so a boundary check there
    # would reject every real match; Latin and Cyrillic need one.
    return ch.isalnum() and not ("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")


def _is_katakana(ch: str) -> bool:
    return "\u30a0" <= ch <= "\u30ff"


def _trie_pattern(words: Iterable[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    return _node_pattern(trie)


def _node_pattern(node: dict) -> str:
    end = "" in node
    branches = [re.escape(ch) + _node_pattern(child)
                for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if end:
        # Optional and greedy: the longest form wins ("Papua New Guinea" over "Guinea").
        return "(?:" + body + ")?"
    return body


@dataclass(frozen=True)
class Hit(Generic[V]):
    start: int
    end: int
    surface: str
    value: V


_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_KATAKANA = re.compile("[\u30a0-\u30ff]")


_LAST_TOKENS: tuple[str, list[tuple[int, str]]] = ("", [])


def _tokens(text: str) -> list[tuple[int, str]]:
    """The words of ``text`` with their offsets. The names, roles and
    countries lexicons all scan the same article, so the last text's words
    are kept for the next lexicon."""
    global _LAST_TOKENS
    if len(text) < 500:  # a title or a window: not worth keeping
        return [(m.start(), m.group()) for m in _WORD.finditer(text)]
    last_text, tokens = _LAST_TOKENS
    if last_text is not text and last_text != text:
        tokens = [(m.start(), m.group()) for m in _WORD.finditer(text)]
        _LAST_TOKENS = (text, tokens)
    return tokens


class Lexicon(Generic[V]):
    """Literal forms mapped to values, found longest-first in a text.

    Forms that begin with a letter or digit (most of them: "Russia",
    "Лавров", "S. Jaishankar") must start and end at a word boundary; they
    are looked up by their first word at every word start of the text, which
    is about ten times faster than a regex that tries a few thousand forms at
    every character. Forms of Chinese, Japanese or other characters, which
    stand between words without spaces, go through a trie regex. Matches
    never overlap: the leftmost wins, and the longest form at one place.
    """

    def __init__(self, forms: dict[str, V]) -> None:
        self.forms = forms
        self._by_first_word: dict[str, list[str]] = {}
        bounded, kana, other = [], [], []
        for form in forms:
            if not form:
                continue
            if _is_wordlike(form[0]):
                first = _WORD.match(form)
                assert first is not None
                self._by_first_word.setdefault(first.group(0), []).append(form)
            elif _is_wordlike(form[-1]):
                bounded.append(form)  # "«Russia": rare, left to the regex
            elif _is_katakana(form[0]) or _is_katakana(form[-1]):
                kana.append(form)
            else:
                other.append(form)
        for candidates in self._by_first_word.values():
            candidates.sort(key=len, reverse=True)  # the longest form wins
        # One regex per kind, each starting with a plain character: re then
        # skips ahead to the characters a form can start with, which a
        # leading lookbehind would prevent (the lookbehinds are checked
        # here instead).
        self._patterns: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = []
        if bounded:
            # \w-lookarounds keep "Iran" out of "Tirana" and "Oman" out of
            # "Romania"; Cyrillic letters are \w in Python's Unicode regexes.
            self._patterns.append((re.compile(_trie_pattern(bounded) + r"(?!\w)"), _WORD_CHAR))
        if kana:
            # Katakana words run together too: "タイ" (Thailand) is inside "タイトル".
            self._patterns.append((re.compile(_trie_pattern(kana) + r"(?![\u30a0-\u30ff])"),
                                   _KATAKANA))
        if other:
            self._patterns.append((re.compile(_trie_pattern(other)), None))

    def _word_hits(self, text: str) -> Iterator[tuple[int, int]]:
        by_first = self._by_first_word
        for start, word in [token for token in _tokens(text) if token[1] in by_first]:
            for form in by_first[word]:
                end = start + len(form)
                if text.startswith(form, start) and not _WORD_CHAR.match(text, end):
                    yield start, end
                    break

    def _regex_hits(self, text: str) -> Iterator[tuple[int, int]]:
        for pattern, not_after in self._patterns:
            pos = 0
            while (match := pattern.search(text, pos)) is not None:
                start, end = match.span()
                if end == start or (not_after is not None and start > 0
                                    and not_after.match(text, start - 1)):
                    pos = start + 1  # as the lookbehind would: try the next place
                    continue
                yield start, end
                pos = end

    def finditer(self, text: str) -> Iterator[Hit[V]]:
        found = [*self._word_hits(text), *self._regex_hits(text)]
        # The leftmost hit wins; one that starts inside an earlier one is
        # not a name (a regex scanning left to right would not see it).
        found.sort(key=lambda span: (span[0], -span[1]))
        last_end = 0
        for start, end in found:
            if start < last_end:
                continue
            last_end = end
            surface = text[start:end]
            yield Hit(start, end, surface, self.forms[surface])
