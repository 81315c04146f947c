"""Decoding bytes the way a browser would, and better when the page lies."""

from __future__ import annotations

from crawler.extraction.decode import decode_html

TEXT = "<html><head>{meta}</head><body><p>Заявление для прессы: переговоры продолжатся.</p></body></html>"


def test_bom_wins():
    page = decode_html(b"\xef\xbb\xbf" + TEXT.format(meta="").encode("utf-8"), "text/html; charset=iso-8859-1")
    assert "Заявление" in page.text and not page.charset_mismatch


def test_meta_charset_used_without_header():
    body = TEXT.format(meta='<meta charset="windows-1251">').encode("cp1251")
    page = decode_html(body, "text/html")
    assert page.encoding == "cp1251" and "Заявление" in page.text


def test_header_lying_about_utf8_body():
    body = TEXT.format(meta="").encode("utf-8")
    page = decode_html(body, "text/html; charset=windows-1251")
    assert "Заявление" in page.text and page.charset_mismatch and page.declared == "cp1251"


def test_utf8_declared_but_legacy_bytes():
    body = (TEXT.format(meta='<meta charset="utf-8">') * 5).encode("cp1251")
    page = decode_html(body, "text/html; charset=utf-8")
    assert page.charset_mismatch
    assert "Заявление" in page.text


def test_no_declaration_detected():
    body = ("<html><body>" + "<p>Министерство иностранных дел Российской Федерации.</p>" * 20
            + "</body></html>").encode("cp1251")
    page = decode_html(body, None)
    assert "Министерство" in page.text


def test_a_utf8_body_with_a_character_cut_in_two_is_still_utf8():
    # A CMS cut a teaser in the middle of "ó": one broken sequence among many good ones.
    teaser = "Wiceminister spotkał się z ambasadorami. Rozmowy dotyczyły przyszł".encode()
    body = (TEXT.format(meta="").encode("utf-8") + b"<p>" + teaser + b"\xc3...</p>"
            + "<p>Zażółć gęślą jaźń, powiedział rzecznik.</p>".encode() * 3)
    page = decode_html(body, "text/html; charset=iso-8859-1")
    assert page.encoding == "utf-8" and page.charset_mismatch
    assert "Заявление" in page.text and "Zażółć gęślą jaźń" in page.text


def test_a_legacy_page_with_a_few_accents_stays_legacy():
    # Each lone accented byte is a broken UTF-8 sequence; none is a good one.
    body = ("<html><body>" + "<p>Le ministre a parlé de la coopération.</p>" * 2
            + "<p>" + "x" * 5000 + "</p></body></html>").encode("cp1252")
    page = decode_html(body, "text/html; charset=iso-8859-1")
    assert "parlé" in page.text and "coopération" in page.text and not page.charset_mismatch


def test_replacement_characters_a_utf8_page_holds_are_not_broken_sequences():
    # The page's own U+FFFD (text a CMS damaged before) is valid UTF-8.
    body = ("<p>The minister’s office said “yes”. " + "word " * 300
            + "I don\ufffdt agree \ufffd\ufffd\ufffd.</p>").encode("utf-8")
    page = decode_html(body, "text/html; charset=iso-8859-1")
    assert page.encoding == "utf-8" and "minister’s office said “yes”" in page.text


def test_a_legacy_article_in_a_utf8_template_is_read_as_declared():
    # Three broken sequences or more: two encodings, the header's wins.
    menu = "".join(f"<li>{name}</li>" for name in ["Русский", "Français", "中文", "Español"] * 3)
    body = (f"<ul>{menu}</ul>".encode() + "<p>The minister’s office said the “review” "
            "was over.</p>".encode("cp1252"))
    page = decode_html(body, "text/html; charset=windows-1252")
    assert "minister’s office said the “review”" in page.text and not page.charset_mismatch


def test_utf16_declared_over_bytes_that_are_not_is_read_as_they_are():
    html = ('<html><head><meta charset="utf-16"></head><body><p>The minister said the talks '
            'would resume. Министр сказал.</p></body></html>')
    # A <meta> (which WHATWG reads as UTF-8 anyway) or a header saying
    # UTF-16 over UTF-8 bytes: read as UTF-8, and the lie noted.
    for content_type in (None, "text/html; charset=utf-16"):
        page = decode_html(html.encode("utf-8"), content_type)
        assert (page.text, page.encoding, page.charset_mismatch) == (html, "utf-8", True)
        ascii_only = html.split(" Министр")[0] + "</p></body></html>"
        assert decode_html(ascii_only.encode(), content_type).text == ascii_only
    # Real UTF-16, with or without its byte-order mark, is still UTF-16.
    for encoding in ("utf-16", "utf-16-le"):
        page = decode_html(html.encode(encoding), f"text/html; charset={encoding}")
        assert page.text.lstrip("\ufeff") == html
