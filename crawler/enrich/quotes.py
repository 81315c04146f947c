"""Direct quotations and their speakers.

A quotation is text between “…”, «…», "…", „…“, 「…」 or 『…』 (nested marks
are left inside the outer quote). Short ones are usually names or terms put
in quotes ("Friends of the Syrian People", “一带一路”), not words someone
said: a quote of three words or fewer is kept only when its own sentence
attributes it to a speaker ("… described calls … as an “invitation for
bloodshed”"); one of eight characters or fewer in Chinese or Japanese is
never kept, since “一带一路”-style slogans are quoted in attributed
sentences all the time; and a quote whose
every word is capitalised is a name and skipped.

The speaker of a kept quote is, in order: the speaker of its sentence (or of
the sentence its closing mark is in), the speaker of the sentence before when
that one ends with a colon, and the speaker of the previous quote when the
quote opens a paragraph that continues the previous one's quotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTES = re.compile(
    r"“(?P<a>[^“”]{2,}?)”|«(?P<b>[^«»]{2,}?)»|„(?P<d>[^„“”]{2,}?)[“”]"
    r"|「(?P<e>[^「」]{2,}?)」|『(?P<f>[^『』]{2,}?)』"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SMALL_WORDS = {"of", "the", "and", "for", "in", "on", "de", "la", "du", "des", "der", "die", "und", "и"}


@dataclass(frozen=True)
class RawQuote:
    start: int  # first character of the quoted words, inside the marks
    end: int
    text: str

    @property
    def cjk(self) -> bool:
        return bool(_CJK.search(self.text))

    @property
    def short(self) -> bool:
        if self.cjk:
            return len(self.text.strip()) <= 8
        return len(_WORD.findall(self.text)) <= 3

    @property
    def is_name(self) -> bool:
        words = _WORD.findall(self.text)
        if len(words) < 2 or re.search(r"[.!?,;:]\s*$", self.text.strip()):
            return False
        content = [w for w in words if w.lower() not in _SMALL_WORDS]
        return bool(content) and all(w[0].isupper() for w in content)


def find_quotes(text: str) -> list[RawQuote]:
    spans = [(m.start(g), m.end(g)) for m in _QUOTES.finditer(text)
             for g in "abdef" if m.group(g) is not None]
    for start, end in _straight_quotes(text):
        if not any(s - 1 <= start < e + 1 for s, e in spans):
            spans.append((start, end))
    out = []
    for start, end in sorted(spans):
        body = text[start:end]
        stripped = body.strip().rstrip(",")
        if not _WORD.search(stripped):
            continue
        begin = start + len(body) - len(body.lstrip())
        out.append(RawQuote(begin, begin + len(stripped), stripped))
    return out


def _straight_quotes(text: str) -> list[tuple[int, int]]:
    """Outermost "…" spans. Straight quotes nest in Russian agency copy
    ("Эстакада у станции "Звенигород" откроется", - отметили в "Автодоре"),
    so each mark is an opener when it follows a space or an opening bracket
    and a closer otherwise, and only the outermost pair is a quotation."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, ch in enumerate(text):
        if ch == "\n":
            depth = 0  # a quotation does not run over a paragraph break unclosed
        if ch != '"':
            continue
        before = text[index - 1] if index else " "
        if before.isspace() or before in "([{—–-/:":
            if depth == 0:
                start = index + 1
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0 and index - start >= 2:
                spans.append((start, index))
    return spans
