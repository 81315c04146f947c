"""The reading room's parts without a server: the cleaned archived copy,
quotations located in a body, word diffs, relay delays and citations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reading.room.archived import POLICY, clean_page
from reading.room.cite import Citation
from reading.room.markup import locate_quotes, quoted_paragraphs, word_diff
from reading.room.plugin import _delay

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def test_cleaned_copy_keeps_nothing_that_runs_or_loads():
    hostile = b"""<html><head><script src="https://evil.example/x.js"></script>
    <link rel="stylesheet" href="https://cdn.example/site.css">
    <meta http-equiv="refresh" content="0; url=https://evil.example/"></head>
    <body onload="steal()"><p onclick="steal()">Text <a href="javascript:steal()">x</a></p>
    <img src="https://tracker.example/pixel.gif"><img src="data:image/png;base64,AAAA">
    <iframe src="https://evil.example/"></iframe><object data="x.swf"></object>
    <form action="https://evil.example/"><input name="q"></form>
    <div style="background:url(https://tracker.example/bg.png)">styled</div></body></html>"""
    html = clean_page(hostile, "https://mid.ru/en/page/", T0, "x.warc.gz")
    for gone in ("<script", "evil.example", "cdn.example", "onload", "onclick", "javascript:",
                 "tracker.example/pixel", "<iframe", "<object", "<form", "http-equiv"):
        assert gone not in html, gone
    assert 'src="data:image/png;base64,AAAA"' in html and "Text" in html
    # What a cleaner leaves (a CSS url()) the policy blocks: no remote image.
    assert "img-src data:" in POLICY and "default-src 'none'" in POLICY


def test_quotes_found_when_offsets_moved():
    body = "Intro.\n\nHe said \u201cno war\u201d and \u201cpeace now\u201d."
    # Offsets of an older body: the text is looked for after the previous quote.
    spans = locate_quotes(body, [("A", "no war", 0), ("B", "peace now", 3), (None, "absent", 1)])
    assert [(s.text, s.speaker) for s in spans] == [("no war", "A"), ("peace now", "B")]
    paragraphs = quoted_paragraphs(body, spans)
    assert paragraphs[0] == "Intro."
    assert paragraphs[1].count("<mark") == 2 and "\u2014 B</span>" in paragraphs[1]
    # Archive text is escaped.
    assert "&lt;b&gt;" in quoted_paragraphs("<b>x</b>", [])[0]


def test_word_diff_and_delay():
    diff = word_diff("One two three.\n\nFour.", "One 2 three.\n\nFour. Five.")
    assert diff == "<p>One <del>two</del><ins>2</ins> three.</p><p>Four.<ins> Five.</ins></p>"
    assert _delay(timedelta(hours=3, minutes=30)) == "3 h 30 min later"
    assert _delay(timedelta(days=1)) == "1 d later"
    assert _delay(timedelta(0)) == "0 min later"


def test_bibtex_escapes_all_but_the_url():
    citation = Citation(1, "50% of {them} & more", "Ministry", None,
                        "https://x.example/a%20b#c", T0, "http://127.0.0.1/statement/1")
    bib = citation.bibtex()
    assert r"title = {50\% of \{them\} \& more}" in bib
    assert "url = {https://x.example/a%20b#c}" in bib
    assert "n.d." in citation.text()
