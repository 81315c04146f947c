"""A statement's text as HTML: paragraphs with each quotation marked and
attributed, and a word-level diff of two texts.

Everything from the archive is escaped here; the results are ``Markup`` the
templates insert as they are.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class QuoteSpan:
    start: int  # character offset in the body
    text: str
    speaker: str | None


def locate_quotes(body: str, quotes: Sequence[tuple[str | None, str, int]]) -> list[QuoteSpan]:
    """Where each (speaker, text, offset) quotation stands in the body. The
    stored offset is trusted when the text is there; otherwise (a body
    rewritten since, by boilerplate removal) the first occurrence after
    the previous quote is used, and a quotation not found is left out."""
    spans: list[QuoteSpan] = []
    after = 0
    for speaker, text, offset in quotes:
        if not text:
            continue
        start = offset if body[offset:offset + len(text)] == text else body.find(text, after)
        if start < 0:
            continue
        if spans and start < spans[-1].start + len(spans[-1].text):
            continue  # overlapping quotations: the first one is marked
        spans.append(QuoteSpan(start, text, speaker))
        after = start + len(text)
    return sorted(spans, key=lambda s: s.start)


def _paragraph_bounds(body: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for gap in _PARAGRAPH_BREAK.finditer(body):
        bounds.append((start, gap.start()))
        start = gap.end()
    bounds.append((start, len(body)))
    return [(a, b) for a, b in bounds if body[a:b].strip()]


def quoted_paragraphs(body: str, spans: Sequence[QuoteSpan]) -> list[Markup]:
    """The body's paragraphs as HTML, each quotation in a ``<mark>`` with
    its speaker's name after it."""
    paragraphs = []
    for start, end in _paragraph_bounds(body):
        parts: list[str] = []
        cursor = start
        for span in spans:
            span_end = span.start + len(span.text)
            if span_end <= start or span.start >= end:
                continue
            a, b = max(span.start, cursor), min(span_end, end)
            parts.append(str(escape(body[cursor:a])))
            said = f" data-speaker=\"{escape(span.speaker)}\"" if span.speaker else ""
            parts.append(f'<mark class="quote"{said}>{escape(body[a:b])}</mark>')
            if span.speaker and b == span_end:
                parts.append(f'<span class="said-by">\u2014 {escape(span.speaker)}</span>')
            cursor = b
        parts.append(str(escape(body[cursor:end])))
        paragraphs.append(Markup("".join(parts)))
    return paragraphs


def plain_paragraphs(body: str) -> list[str]:
    return [body[a:b].strip() for a, b in _paragraph_bounds(body)]


def word_diff(old: str, new: str) -> Markup:
    """``new`` against ``old`` word by word: removed words in ``<del>``,
    added ones in ``<ins>``, paragraphs kept as paragraphs."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(b[j1:j2]))))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    html = "".join(out)
    return Markup("".join(f"<p>{p}</p>" for p in _PARAGRAPH_BREAK.split(html) if p.strip()))
