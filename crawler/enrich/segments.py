"""Paragraphs and sentences of a text, as character spans.

Attribution works sentence by sentence ("..., Lavrov said.") and quotes
continue across paragraphs, so both levels are kept as offsets into the
original text rather than as copies.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# A sentence ends at . ! ? (or their CJK forms) followed by space or a closing
# quote; a line break always ends one. Abbreviations such as "U.S." or
# "Mr." are not worth a list here: a split inside "U.S. officials said" only
# moves the verb one sentence away, and attribution looks at neighbours.
# (The stop is part of the match, not a lookbehind: ``re`` can skip to it.)
_SENTENCE_END = re.compile(r"[.!?][”»\"’)]*\s+(?=[\"“«„A-ZА-ЯЁ0-9(])|[。！？][”」』]*|\n+")
# Initials and titles do not end a sentence: "S. Jaishankar said", "U.S. officials",
# "Mr. Price", "М.В. Захарова".
_ABBREVIATION = re.compile(r"(?:^|[\s.(])(?:[A-ZА-ЯЁ]|Mr|Mrs|Ms|Dr|St|No|Nr|Gen|Sen|Rep|г|им)\.$")
_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class Segments:
    def __init__(self, text: str) -> None:
        self.text = text
        self.paragraphs = [Span(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]
        self.sentences: list[Span] = []
        for para in self.paragraphs:
            start = para.start
            for match in _SENTENCE_END.finditer(text, para.start, para.end):
                stop = match.start() + 1  # just after the full stop
                if _ABBREVIATION.search(text, max(para.start, stop - 5), stop):
                    continue
                if match.end() > start:
                    self.sentences.append(Span(start, match.end()))
                    start = match.end()
            if start < para.end:
                self.sentences.append(Span(start, para.end))
        self._sentence_starts = [s.start for s in self.sentences]
        self._paragraph_starts = [p.start for p in self.paragraphs]

    def sentence_index(self, offset: int) -> int:
        return max(0, bisect_right(self._sentence_starts, offset) - 1)

    def paragraph_index(self, offset: int) -> int:
        return max(0, bisect_right(self._paragraph_starts, offset) - 1)
