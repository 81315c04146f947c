"""Statements published as PDF: text, title and date with pypdf.

pypdf gives the text line by line, as laid out on the page. Paragraphs are
rebuilt from it: a blank line or an indented line starts a new paragraph,
a line that ends a sentence and is clearly shorter than the page's usual line
width ends one, and words hyphenated across lines are joined again.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from io import BytesIO

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError

from crawler.extraction.draft import Draft, Rejected

# Statements are short; a 300-page report is not one, and reading it all
# would stall a worker.
MAX_PAGES = 60
_SENTENCE_END = re.compile(r"[.!?:;»”\"')\]。！？]$")
_JUNK_TITLES = re.compile(r"^(microsoft (word|powerpoint)|untitled|document\d*|\s*$)|\.(docx?|pdf)$",
                          re.IGNORECASE)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are about layout, not us


def is_pdf(content_type: str | None, body: bytes) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    return mime == "application/pdf" or body[:1024].lstrip().startswith(b"%PDF")


def reflow(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    widths = sorted(len(line) for line in lines if line.strip())
    # Most lines of a paragraph run the full width; the upper quartile is
    # that width even when short last lines are many.
    usual = widths[(len(widths) * 3) // 4] if widths else 0
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        indented = line.startswith(("  ", "\t"))
        if current and indented:
            paragraphs.append(current)
            current = ""
        if current.endswith("-") and stripped[:1].islower():
            current = current[:-1] + stripped
        else:
            current = f"{current} {stripped}".strip()
        if _SENTENCE_END.search(stripped) and len(stripped) < 0.85 * usual:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def read_pdf(body: bytes) -> Draft | Rejected:
    try:
        reader = PdfReader(BytesIO(body), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return Rejected("not_article", "the PDF is encrypted")
        pages = reader.pages[:MAX_PAGES]
        text = "\n\n".join(page.extract_text() or "" for page in pages)
        info = reader.metadata
    except LimitReachedError as exc:
        # pypdf's own bound on what a stream may inflate to (75 MB): a
        # decompression bomb, or a document far beyond a statement.
        return Rejected("too_costly", f"PDF past pypdf's limits: {exc}")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        return Rejected("malformed", f"unreadable PDF: {exc}")
    title = (info.title or "").strip() if info else ""
    if _JUNK_TITLES.search(title):
        # No usable metadata title: the first short line of the text is one.
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        title = first if len(first) <= 200 else ""
        if title:
            text = text.replace(first, "", 1)
    paragraphs = reflow(text)
    if not paragraphs and not title:
        return Rejected("no_article", "the PDF has no text layer (a scan?)")
    created: datetime | None = None
    if info is not None:
        try:
            created = info.creation_date
        except (ValueError, TypeError):
            created = None
    author = (info.author or "").strip() if info else ""
    return Draft(title=title, paragraphs=paragraphs, markup_date=created, author=author or None)
