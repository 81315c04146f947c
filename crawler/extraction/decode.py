"""Bytes to text, the way a browser would, and then some.

Order of trust, as in the WHATWG encoding sniffing algorithm: a byte-order
mark, the HTTP ``Content-Type`` charset, a ``<meta>`` charset, then
detection. w3lib implements that order. On top of it we catch the common lie:
a page declared as windows-1251 or latin-1 whose bytes are in fact UTF-8
(old CMS templates keep the old charset after the database moved to UTF-8).
A browser shows such a page as mojibake; an archive must not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

_UTF8 = {"utf-8", "utf8"}
# Detection only considers encodings the WHATWG Encoding Standard lets a web
# page use; otherwise charset_normalizer happily answers mac_cyrillic for
# windows-1251 Russian text.
_WEB_ENCODINGS = [
    "utf_8", "cp1251", "koi8_r", "koi8_u", "cp1252", "iso8859_2", "cp1250", "iso8859_5",
    "gb18030", "big5", "shift_jis", "euc_jp", "iso2022_jp", "euc_kr", "cp1253", "cp1254",
    "cp1255", "cp1256", "cp1257", "cp1258", "cp874", "iso8859_15", "utf_16",
]

# Characters that no text carries and every binary payload decodes to in
# numbers, whatever the charset: the WHATWG MIME Sniffing Standard's
# "binary data bytes" (C0 controls but TAB, LF, FF, CR and ESC), the C1
# controls, and U+FFFD for bytes the charset has no character for.
_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x80-\x9f\ufffd]")
# Measured (issue 14) on 800 real pages of ../shared and the golden pages:
# at most 0.008% of a page's characters are such. Binary payloads served
# as text/html, decoded as UTF-8, windows-1251, koi8-r, ISO 8859-5,
# Shift_JIS or GB18030: PNG, JPEG, gzip, zip and random bytes 11% to 61%,
# an uncompressed TIFF 2.1%, a UTF-16 page without BOM 50%. 1% sits well
# apart from both.
BINARY_SHARE = 0.01
# Fewer than this cannot be told from a stray byte or two in a damaged
# page, which is rejected for what it lacks (too short, malformed).
BINARY_MIN_CHARS = 16


# The opening bytes of files a server may mislabel as text/html (the WHATWG
# MIME Sniffing signatures, and the compressed streams of a page sent
# without its Content-Encoding). A gzip stream of repeated bytes decodes to
# text with few control characters (0.6% for 1 GB of zeros): the share
# alone would let it through, to be extracted and enriched at length.
_SIGNATURES = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"BZh", "bzip2"),
               (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
               (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x89PNG\r\n\x1a\n", "PNG"),
               (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
               (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE (old Office)"),
               (b"\x00\x00\x01\x00", "ICO"))


def binary_signature(body: bytes) -> str | None:
    """The kind of binary file ``body`` opens as, if any."""
    for signature, kind in _SIGNATURES:
        if body.startswith(signature):
            return kind
    if body[:4] == b"RIFF" and body[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return body[8:12].decode().strip()
    return None


def looks_binary(text: str) -> bool:
    """Whether decoded ``text`` is a binary payload rather than a page."""
    found = len(_BINARY.findall(text))
    return found >= BINARY_MIN_CHARS and found >= BINARY_SHARE * len(text)


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str
    declared: str | None
    # True when the declared charset was wrong and another was used.
    charset_mismatch: bool


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:200_000], cp_isolation=_WEB_ENCODINGS).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str | None = None) -> DecodedPage:
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    encoding = encoding.lower()
    if encoding.startswith(("utf-16", "utf16", "utf-32", "utf32")) and not _wide(body):
        # Declared UTF-16 (a header, or a <meta> that WHATWG reads as UTF-8
        # anyway) over bytes that are not: every HTML page in UTF-16 has
        # a NUL beside each character of its markup. Read as UTF-8 when the
        # bytes are, else detected.
        if body.isascii() or _mostly_utf8(body.decode("utf-8", errors="replace"),
                                          body.count(b"\xef\xbf\xbd")):
            return DecodedPage(body.decode("utf-8", errors="replace").lstrip("\ufeff"),
                               "utf-8", declared, True)
        guess = _detect(body) or "cp1252"
        return DecodedPage(body.decode(guess, errors="replace"), guess, declared, True)
    if encoding in _UTF8:
        if "\ufffd" in text and text.count("\ufffd") > max(3, len(text) // 1000):
            # Declared or guessed UTF-8 but the bytes are not: detect instead.
            guess = _detect(body)
            if guess and guess.lower().replace("_", "-") not in _UTF8:
                return DecodedPage(body.decode(guess, errors="replace"), guess, declared, True)
        return DecodedPage(text, encoding, declared, False)
    if not body.isascii():
        utf8_text = body.decode("utf-8", errors="replace")
        if not _mostly_utf8(utf8_text, body.count(b"\xef\xbf\xbd")):
            return DecodedPage(text, encoding, declared, False)
        # Valid UTF-8 with multi-byte sequences is almost never a legacy
        # single-byte text by accident: the declaration is the lie.
        return DecodedPage(utf8_text.lstrip("\ufeff"), "utf-8", declared, True)
    return DecodedPage(text, encoding, declared, False)


def _wide(body: bytes) -> bool:
    """Whether ``body`` can be UTF-16 or UTF-32: a byte-order mark, or NUL
    bytes in its opening (the markup's ASCII characters are 2 or 4 bytes)."""
    return body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body[:4096]


# A UTF-8 page may hold a broken sequence or two (a teaser cut in the middle
# of a character by its CMS) and still be UTF-8: its other multi-byte
# characters outnumber the broken ones many times over. A legacy
# single-byte text read as UTF-8 is nearly all broken sequences. More than
# two is more often a page of two encodings (a legacy article in a UTF-8
# template), read as its header says.
UTF8_VALID_PER_BROKEN = 20
UTF8_MOST_BROKEN = 2


def _mostly_utf8(text: str, kept: int) -> bool:
    """``kept``: the U+FFFD the page itself holds (as UTF-8 bytes), which
    are no broken sequence."""
    broken = text.count("\ufffd") - kept
    if broken > UTF8_MOST_BROKEN:
        return False
    valid = len(text) - len(text.encode("ascii", "ignore")) - broken
    return valid > 0 and valid >= UTF8_VALID_PER_BROKEN * broken
