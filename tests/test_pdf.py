"""Statements published as PDF, from a PDF built here byte by byte."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.extraction.extract import Rejected, extract_statement
from crawler.items import FetchedPage, Statement

LINES = [
    "The Ministry of Foreign Affairs welcomes the agreement reached in Geneva",
    "on the withdrawal of heavy weapons from populated areas.",
    "",
    "We call on all parties to implement the agreement in good faith and to",
    "refrain from any steps that could under-",
    "mine the ceasefire.",
]


def make_pdf(lines: list[str], info: dict[str, str]) -> bytes:
    """A one-page PDF with Helvetica text lines and an Info dictionary."""
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({esc(line)}) Tj T*" for line in lines)
    stream = f"BT /F1 11 Tf 72 720 Td 14 TL {shown} ET".encode("latin-1")
    info_entries = " ".join(f"/{k} ({esc(v)})" for k, v in info.items())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< {info_entries} >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def fetch(body: bytes, url: str = "https://www.mid.ru/upload/statement.pdf") -> FetchedPage:
    return FetchedPage("mid_ru_en", url, 200, "application/pdf", body, datetime.now(UTC))


def test_pdf_statement_text_title_and_date():
    body = make_pdf(LINES, {"Title": "Statement on the Geneva agreement",
                            "CreationDate": "D:20120402141800+04'00'",
                            "Author": "Information and Press Department"})
    result = extract_statement(fetch(body))
    assert isinstance(result, Statement), result
    assert result.title == "Statement on the Geneva agreement"
    assert result.published_at == datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    assert result.body.split("\n\n") == [
        "The Ministry of Foreign Affairs welcomes the agreement reached in Geneva "
        "on the withdrawal of heavy weapons from populated areas.",
        "We call on all parties to implement the agreement in good faith and to "
        "refrain from any steps that could undermine the ceasefire.",
    ]
    assert result.language == "en"


def test_pdf_without_metadata_takes_its_first_line_as_title():
    body = make_pdf(["Comment by the Spokesperson", "", *LINES], {"Title": "Microsoft Word - 123.docx"})
    result = extract_statement(fetch(body, "https://example.org/2012/04/03/comment.pdf"))
    assert isinstance(result, Statement), result
    assert result.title == "Comment by the Spokesperson"
    assert result.body.startswith("The Ministry of Foreign Affairs welcomes")
    assert result.published_at == datetime(2012, 4, 3, tzinfo=UTC)


def test_broken_and_empty_pdfs_are_rejected():
    assert isinstance(extract_statement(fetch(b"%PDF-1.4\n garbage")), Rejected)
    empty = extract_statement(fetch(make_pdf([], {})))
    assert isinstance(empty, Rejected) and empty.reason in {"no_article", "too_short"}
