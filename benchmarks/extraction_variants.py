"""``make bench-variants``: the development sets' pages served the ways real
servers serve pages, each scored against the set's own answers.

A page nobody tuned on differs from the saved sets less in its article
than in how it reaches the extractor: a PHP warning printed before the
document, an XML declaration, no ``<head>`` at all, a header naming the
wrong charset, UTF-16, paragraphs made of ``<br><br>`` or of ``<div>``
instead of ``<p>``, or each put in a table of one cell as pre-CSS sites did. Each
variant below rewrites every page of ``../shared/eval/dev`` and
``../shared/eval/snippets`` so, and demarche and trafilatura's
``bare_extraction`` read the result as ``demarche extract`` reads a saved
page (bytes, the content type only where the variant sets one). The
figures are the sets' own scorers' (token F1, snippet F1), so a variant's
row says what the change of serving costs, next to what it costs a peer.

Variants found faults this way (crawler/extraction/html.py, decode.py,
breaks.py): a page behind PHP warnings lost its <head>; a UTF-8 page with
one character cut in two was read in the header's wrong charset; a page
saved from its <body> on was refused as not HTML when it opened with an
element outside the sniffing standard's short list (<header>, <section>,
a custom element); paragraphs made of line breaks lost their lede; and
paragraphs in one-cell tables fell below trafilatura (layout.py).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing import get_context

from benchmarks.extraction import trafilatura_bare_with_metadata
from benchmarks.extraction_sets import EvalSet, Predictions, dev_set, snippets_set

_PHP = (b"<br />\n<b>Warning</b>:  Undefined array key \"lang\" in <b>/var/www/html/inc/"
        b"header.php</b> on line <b>14</b><br />\n")
_BOM = b"\xef\xbb\xbf"
# The doctype, <html>, <body> tags and the whole <head>: the page as a
# clipping tool or a CMS's API hands over its article's surroundings.
_HEAD_AND_WRAPPERS = re.compile(
    rb"<!doctype[^>]*>|</?(?:html|body)(?:\s[^>]*)?>|<head(?:\s[^>]*)?>.*?</head>",
    re.IGNORECASE | re.DOTALL)
_P_OPEN = re.compile(rb"<p(\s[^>]*)?>", re.IGNORECASE)
_P_CLOSE = re.compile(rb"</p\s*>", re.IGNORECASE)


def _utf16(body: bytes) -> bytes:
    from crawler.extraction.decode import decode_html

    return decode_html(body).text.encode("utf-16")


# name -> (how the page's bytes are rewritten, the content type it is served with)
VARIANTS: dict[str, tuple[Callable[[bytes], bytes], str | None]] = {
    "as saved": (lambda body: body, None),
    "PHP warnings before the document": (lambda body: _PHP * 3 + body, None),
    "an XML declaration first": (
        lambda body: b'<?xml version="1.0"?>\n' + body.removeprefix(_BOM), None),
    "saved from its <body> on": (lambda body: _HEAD_AND_WRAPPERS.sub(b"", body), None),
    "a latin-1 header": (lambda body: body, "text/html; charset=iso-8859-1"),
    "UTF-16 with its byte-order mark": (_utf16, None),
    "paragraphs as <div>": (
        lambda body: _P_CLOSE.sub(b"</div>", _P_OPEN.sub(rb"<div\1>", body)), None),
    "paragraphs as <br><br>": (
        lambda body: _P_CLOSE.sub(b"<br><br>", _P_OPEN.sub(b"", body)), None),
    "each paragraph in a one-cell table": (
        lambda body: _P_CLOSE.sub(b"</td></tr></table>", _P_OPEN.sub(b"<table><tr><td>", body)),
        None),
}

_SETS: dict[str, EvalSet] = {}


def _set(name: str) -> EvalSet:
    if name not in _SETS:
        _SETS[name] = dev_set() if name == "dev" else snippets_set()
    return _SETS[name]


def _read(set_name: str, page_id: str) -> bytes:
    saved = _set(set_name).read(page_id)
    return saved.encode("utf-8") if isinstance(saved, str) else saved


def _page(job: tuple[str, str, str]) -> tuple[str, str, str, str | None, str | None, str | None]:
    """One page in one variant, read by both: (set, variant, id, demarche's
    text, its reason for none, trafilatura's text)."""
    from crawler.extraction.draft import Rejected
    from crawler.extraction.extract import extract_statement
    from crawler.items import FetchedPage

    set_name, variant, page_id = job
    rewrite, content_type = VARIANTS[variant]
    body = rewrite(_read(set_name, page_id))
    url = _set(set_name).urls[page_id]
    ours: str | None = None
    reason: str | None = None
    try:
        result = extract_statement(FetchedPage("", url or "", 200, content_type, body,
                                               datetime.now(UTC)))
        if isinstance(result, Rejected):
            reason = result.reason
        else:
            ours = result.body
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        reason = f"crash: {type(exc).__name__}"
    try:
        theirs = trafilatura_bare_with_metadata(body, url)
    except Exception:  # noqa: BLE001
        theirs = None
    return set_name, variant, page_id, ours, reason, theirs


def _predictions(texts: dict[str, str | None]) -> Predictions:
    return {page_id: {"id": page_id, "text": text, "error": None if text else "no text",
                      "ms": 1.0} for page_id, text in texts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    jobs = [(set_name, variant, page_id) for set_name in ("dev", "snippets")
            for variant in VARIANTS for page_id in _set(set_name).ids]
    ours: dict[tuple[str, str], dict[str, str | None]] = {}
    theirs: dict[tuple[str, str], dict[str, str | None]] = {}
    reasons: dict[tuple[str, str], Counter[str]] = {}
    # fork: the workers inherit the loaded sets and the imported extractors.
    with get_context("fork").Pool(args.workers) as pool:
        for set_name, variant, page_id, text, reason, peer in pool.imap_unordered(
                _page, jobs, chunksize=8):
            ours.setdefault((set_name, variant), {})[page_id] = text
            theirs.setdefault((set_name, variant), {})[page_id] = peer
            if reason:
                reasons.setdefault((set_name, variant), Counter())[reason] += 1
    for set_name in ("dev", "snippets"):
        evalset = _set(set_name)
        print(f"\n**{set_name}**: {len(evalset.ids)} pages, {evalset.metric}.\n")
        print("| served as | demarche F1 | demarche without text (why) | "
              "trafilatura bare_extraction F1 |")
        print("| --- | --- | --- | --- |")
        for variant in VARIANTS:
            key = (set_name, variant)
            why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.get(key, {}).items()))
            mine = evalset.score("demarche", _predictions(ours[key]))
            peer = evalset.score("trafilatura", _predictions(theirs[key]))
            print(f"| {variant} | {mine.f1:.3f} | {sum(reasons.get(key, {}).values())}"
                  f"{f' ({why})' if why else ''} | {peer.f1:.3f} |")
    print(f"\n({len(jobs)} page readings in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
