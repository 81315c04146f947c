"""Bytes to text, the way a browser would, and then some.

Order of trust, as in the WHATWG encoding sniffing algorithm: a byte-order
mark, the HTTP ``Content-Type`` charset, a ``<meta>`` charset, then
detection. w3lib implements that order. On top of it we catch the common lie:
a page declared as windows-1251 or latin-1 whose bytes are in fact UTF-8
(old CMS templates keep the old charset after the database moved to UTF-8).
A browser shows such a page as mojibake; an archive must not.
"""

from __future__ import annotations

from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

_UTF8 = {"utf-8", "utf8"}


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str
    declared: str | None
    # True when the declared charset was wrong and another was used.
    charset_mismatch: bool


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str | None = None) -> DecodedPage:
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    encoding = encoding.lower()
    if encoding in _UTF8:
        if "\ufffd" in text and text.count("\ufffd") > max(3, len(text) // 1000):
            # Declared or guessed UTF-8 but the bytes are not: detect instead.
            guess = _detect(body)
            if guess and guess.lower().replace("_", "-") not in _UTF8:
                return DecodedPage(body.decode(guess, errors="replace"), guess, declared, True)
        return DecodedPage(text, encoding, declared, False)
    if not body.isascii():
        try:
            utf8_text = body.decode("utf-8")
        except UnicodeDecodeError:
            return DecodedPage(text, encoding, declared, False)
        # Valid UTF-8 with multi-byte sequences is almost never a legacy
        # single-byte text by accident: the declaration is the lie.
        return DecodedPage(utf8_text.lstrip("\ufeff"), "utf-8", declared, True)
    return DecodedPage(text, encoding, declared, False)
