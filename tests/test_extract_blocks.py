"""The last checks on the main text: a short result from a long page read
again (body.unless_short), and the paragraph model (blocks.py), each on
texts of their own."""

from __future__ import annotations

from lxml import html as lxml_html

from crawler.extraction import blocks
from crawler.extraction.body import unless_short

ARTICLE = [
    "The council met on Tuesday to discuss the new water agreement between the two towns.",
    "Members said the plan would bring clean water to four thousand homes by next spring.",
    "The mayor thanked the engineers who had worked on the project for three years.",
]
TEASER = "The council met on Tuesday to discuss the new water agreement."


def _never() -> list[str]:
    raise AssertionError("the other reading ran for a result that is not short")


def test_short_result_from_long_page_takes_the_longer_reading_that_holds_it():
    assert unless_short([TEASER], lambda: 5000, lambda: [TEASER, *ARTICLE]) == [TEASER, *ARTICLE]


def test_longer_reading_elsewhere_on_the_page_is_not_taken():
    # The other reading found the footer's text: it does not carry the teaser on.
    footer = ["Contact us at our office on the main square, open from nine to five every day."] * 3
    assert unless_short([TEASER], lambda: 5000, lambda: footer) == [TEASER]


def test_short_result_from_short_page_is_kept():
    # A short statement on a page that shows little more is the statement.
    assert unless_short([TEASER], lambda: 300, _never) == [TEASER]


def test_long_result_is_not_read_again():
    lines = ARTICLE * 5
    assert unless_short(lines, lambda: 100_000, _never) == lines


PAGE = """<html><body>
<div class="article-body">
  <p>{0}</p><p>{1}</p><p>{2}</p>
</div>
<div class="footer-copyright"><p>© 2026 Example Media. All rights reserved. Contact: desk@example.com</p></div>
<ul class="related"><li><a href="/a">Five things to know about the new bridge</a></li></ul>
</body></html>"""


def _lines_and_context() -> tuple[list[str], blocks.PageContext]:
    tree = lxml_html.document_fromstring(PAGE.format(*ARTICLE))
    links = [a.text_content() for a in tree.iter("a")]
    lines = [*ARTICLE, "© 2026 Example Media. All rights reserved. Contact: desk@example.com",
             "Five things to know about the new bridge"]
    return lines, blocks.page_context(" ".join(ARTICLE), links)


def test_features_describe_each_paragraph():
    lines, context = _lines_and_context()
    vectors = blocks.features(lines, context)
    named = [dict(zip(blocks.FEATURES, v, strict=True)) for v in vectors]
    assert all(len(v) == len(blocks.FEATURES) for v in vectors)
    assert named[0]["in_readability"] == 1.0 and named[0]["in_links"] < 0.2
    assert named[3]["address"] == 1.0 and named[3]["in_readability"] == 0.0
    assert named[4]["in_links"] == 1.0 and named[4]["sentence_end"] == 0.0
    assert named[4]["last"] == 1.0 and named[0]["first"] == 1.0


def test_shipped_model_drops_chrome_and_keeps_the_article():
    lines, context = _lines_and_context()
    assert blocks.keep_article_blocks(lines, context) == ARTICLE


def test_a_model_that_would_drop_everything_leaves_the_text_whole():
    lines, context = _lines_and_context()
    dropper = blocks.Model(tuple(0.0 for _ in blocks.FEATURES), -30.0)
    token = blocks.model_override.set(dropper)
    try:
        assert blocks.keep_article_blocks(lines, context) == lines
    finally:
        blocks.model_override.reset(token)


def test_model_file_names_its_features():
    data = blocks.shipped_model().to_json()
    assert data["features"] == list(blocks.FEATURES)
    assert blocks.Model.from_json(data) == blocks.shipped_model()
