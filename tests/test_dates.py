"""Publication dates: markup, URL, page text, referrer hint, in that order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from lxml import html

from crawler.extraction.dates import (
    date_from_url,
    date_in_line,
    date_in_markup,
    date_under_headline,
    parse_timestamp,
    published_at,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_dates_in_urls():
    assert date_from_url("https://sputnikglobe.com/20120402/172567892.html") == date(2012, 4, 2)
    assert date_from_url("https://www.nytimes.com/2019/11/18/business/x.html") == date(2019, 11, 18)
    assert date_from_url("https://www.fmprc.gov.cn/eng/xw/t20241128_11534521.html") == date(2024, 11, 28)
    assert date_from_url("https://mid.ru/en/foreign_policy/news/1801234/") is None
    assert date_from_url("https://example.org/2012/04/release/") is None


def test_markup_formats():
    assert parse_timestamp("20120402T1418+0400") == datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    assert parse_timestamp("Tue, 03 Apr 2012 18:10:00 +0000") == datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    assert parse_timestamp("not a date") is None
    tree = html.fromstring('<html><head><script type="application/ld+json">'
                           '{"@graph":[{"@type":"NewsArticle","datePublished":"2012-04-01T19:30:00+04:00",'
                           '"dateModified":"2013-01-01"}]}</script></head><body></body></html>')
    assert date_in_markup(tree) == datetime(2012, 4, 1, 15, 30, tzinfo=UTC)


def test_order_of_trust():
    markup = datetime(2012, 4, 2, 10, 18, tzinfo=UTC)
    url = "https://sputnikglobe.com/20120402/1.html"
    assert published_at(markup, url, "2012-05-05", None, NOW) == markup
    # A markup stamp far from the URL's day is a build or update time.
    build = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert published_at(build, url, None, None, NOW) == datetime(2012, 4, 2, tzinfo=UTC)
    # The page's own day, refined by a feed time of the same day.
    hint = datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    assert published_at(None, "https://x.org/a/", "2012-04-03", hint, NOW) == hint
    assert published_at(None, "https://x.org/a/", "2012-04-05", hint, NOW) == datetime(2012, 4, 5, tzinfo=UTC)
    assert published_at(None, "https://x.org/a/", None, hint, NOW) == hint


def test_implausible_dates_ignored():
    future = datetime(2031, 1, 1, tzinfo=UTC)
    assert published_at(future, "https://x.org/a/", None, None, NOW) is None
    assert published_at(None, "https://x.org/1970/01/01/a", None, None, NOW) is None


def page(head: str, body: str, lang: str = "en") -> html.HtmlElement:
    return html.document_fromstring(f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>')


def test_publishers_offset_is_kept():
    moscow = timezone(timedelta(hours=3))
    stamp = parse_timestamp("2020-06-29T00:16:15+03:00")
    got = published_at(stamp, "https://tass.ru/moskva/8836033", None, None, NOW)
    assert got == datetime(2020, 6, 29, 0, 16, 15, tzinfo=moscow)
    assert got.utcoffset() == timedelta(hours=3)
    assert got.date() == date(2020, 6, 29)  # the day printed on the page, not UTC's 28th
    # The URL check compares the publisher's local day.
    taipei = parse_timestamp("2024-10-16T00:00:00+08:00")
    url = "https://www.taipeitimes.com/News/front/archives/2024/10/16/2003825372"
    assert published_at(taipei, url, None, None, NOW).date() == date(2024, 10, 16)
    # A feed time keeps its offset too.
    hint = parse_timestamp("Tue, 03 Apr 2012 23:10:00 +0400")
    assert published_at(None, "https://x.org/a/", "2012-04-03", hint, NOW).utcoffset() == timedelta(hours=4)
    # No zone, or a bare day: UTC.
    assert published_at(datetime(2012, 4, 2, 18, 47), "https://x.org/a/", None, None, NOW).tzinfo == UTC
    assert published_at(None, "https://x.org/a/", "2012-04-03", None, NOW) == datetime(2012, 4, 3, tzinfo=UTC)


def test_meta_value_attribute():
    tree = page('<meta value="2016-12-23T16:42:59-05:00" name="article:published_time">', "<p>x</p>")
    stamp = date_in_markup(tree)
    assert stamp == datetime(2016, 12, 23, 21, 42, 59, tzinfo=UTC)
    assert stamp.utcoffset() == timedelta(hours=-5)
    # Within a day of the URL's date, the markup wins.
    url = "https://obamawhitehouse.archives.gov/the-press-office/2016/12/24/weekly-address"
    assert published_at(stamp, url, "2016-12-24", None, NOW).date() == date(2016, 12, 23)


def test_dates_in_lines():
    assert date_in_line("Bern, 17.08.2007 - Rede von M. L., Basel, 18. August 2007") == date(2007, 8, 17)
    assert date_in_line("13 Oct 2020 18:29") == date(2020, 10, 13)
    assert date_in_line("2020-01-31") == date(2020, 1, 31)
    assert date_in_line("发布时间：2020年1月31日") == date(2020, 1, 31)
    assert date_in_line("29 июня 2020, 00:16") == date(2020, 6, 29)
    assert date_in_line("Nov. 18, 2019") == date(2019, 11, 18)
    assert date_in_line("Tuesday, October 4, 2016") == date(2016, 10, 4)
    # Slashes: day first, unless the page is American or its URL says which.
    assert date_in_line("10/04/2016 05:07 AM EDT") == date(2016, 4, 10)
    assert date_in_line("10/04/2016 05:07 AM EDT", month_first=True) == date(2016, 10, 4)
    assert date_in_line("10/04/2016", url_month=(2016, 10)) == date(2016, 10, 4)
    assert date_in_line("10/04/2016", month_first=True, url_month=(2016, 4)) == date(2016, 4, 10)
    assert date_in_line("10/24/2016") == date(2016, 10, 24)
    # Dots are never month first, whatever the URL.
    assert date_in_line("10.11.2021", url_month=(2021, 10)) == date(2021, 11, 10)
    # Not a full date.
    for line in ("2020-10", "Oct 2020", "© 2009-2020 News", "Tel. +41 58 462 20 07", "1479"):
        assert date_in_line(line) is None, line


def test_date_line_under_the_headline_beats_the_footer():
    tree = page("<title>Städteschutz statt Alpentrutz</title>",
                "<h1>Städteschutz statt Alpentrutz</h1>"
                "<p><strong>Bern, 17.08.2007 - Rede von Moritz Leuenberger</strong></p>"
                "<p>Ist das nicht ein kleiner Widerspruch in sich?</p>"
                "<footer><p>Letzte Änderung 14.02.2019</p></footer>", lang="de")
    assert date_in_markup(tree) == datetime(2007, 8, 17)
    url = "https://www.wbf.admin.ch/wbf/de/home/dokumentation/nsb-news_list.msg-id-14093.html"
    assert published_at(date_in_markup(tree), url, "2019-02-14", None, NOW) == datetime(2007, 8, 17, tzinfo=UTC)


def test_headline_is_the_title_not_the_logo():
    tree = page('<title> Envoy says counteroffensive is self-defence </title>'
                '<meta name="twitter:title" content="News.az"><meta property="og:site_name" content="News.az">',
                '<ul><li>Tuesday, (08 Dec 2020)</li></ul><h1>News.az</h1>'
                '<nav><a href="/">Politics</a></nav><p>Breaking: 07 Dec 2020 other story</p>'
                '<div class="title"><h1 class="h4">Envoy says counteroffensive is self-defence</h1></div>'
                '<ul class="meta"><li><a href="/time/2020-10-13" title="13 Oct 2020 18:29">13 Oct 2020 18:29</a></li>'
                '<li><span>1479</span></li></ul><p>Azerbaijan has launched a counteroffensive.</p>')
    assert date_under_headline(tree) == datetime(2020, 10, 13)


def test_source_and_date_line_under_a_title_block():
    related = "".join(f'<li><a href="./t{n}.shtml">旧闻标题{n}</a>(2019-09-{n:02})</li>' for n in range(10, 20))
    tree = page("<title>驻英国使馆出席庆祝活动 — 中华人民共和国外交部</title>",
                '<div class="title">驻英国使馆出席庆祝活动</div>'
                '<div class="time"><span>来源：<span style="display:none">驻英国使馆</span>'
                '<script>var x = "2018-01-01";</script></span><span>2020-01-31</span></div>'
                f'<div class="content"><p>正文。</p></div><ul>{related}</ul>', lang="zh")
    assert date_under_headline(tree) == datetime(2020, 1, 31)


def test_time_element_under_the_headline():
    tree = page('<title>Insiders: Trump will sink Pence - POLITICO</title>'
                '<meta value="Insiders: Trump will sink Pence" name="og:title">',
                '<h1>POLITICO</h1><h2 class="headline">Insiders: Trump will sink Pence</h2>'
                '<p class="credit">“Pence will have to defend Trump,” a Republican told POLITICO.</p>'
                '<p>By <a href="/staff/x">Steven Shepard</a></p>'
                '<p><time datetime="2016-10-04 05:07:09">10/04/2016 05:07 AM EDT</time></p>')
    assert date_under_headline(tree) == datetime(2016, 10, 4, 5, 7, 9)
    url = "https://www.politico.com/story/2016/10/who-will-win-the-vp-debate-229079"
    assert published_at(date_in_markup(tree), url, "2016-04-10", None, NOW).date() == date(2016, 10, 4)
    # Without the <time>, a slashed date is read in the light of the canonical URL.
    tree = page(f'<title>Insiders: Trump will sink Pence</title><link rel="canonical" href="{url}">',
                "<h1>Insiders: Trump will sink Pence</h1><p>10/04/2016 05:07 AM EDT</p>")
    assert date_under_headline(tree) == datetime(2016, 10, 4)


def test_modification_dates_and_prose_are_passed_over():
    # A labelled modification date is not the publication date.
    tree = page("<title>A statement on trade</title>",
                "<h1>A statement on trade</h1><p><span>Updated:</span> <span>14 February 2019</span></p>"
                '<p><time class="modified" datetime="2019-02-14T10:00:00Z">14 Feb</time></p>'
                "<p>Stand: 14.02.2019</p><p>Text.</p>")
    assert date_under_headline(tree) is None
    # Published first, updated later, on one line: the first date.
    tree = page("<title>A statement on trade</title>",
                "<h1>A statement on trade</h1><p>Published 12 March 2019, updated 14 March 2019</p>")
    assert date_under_headline(tree) == datetime(2019, 3, 12)
    # A date inside a paragraph of prose is what the text talks about.
    prose = ("The minister said on 12 March 2019 that the talks, which had begun in the spring, "
             "would go on for as long as both sides saw a point in them and no longer than that.")
    tree = page("<title>A statement on trade</title>", f"<h1>A statement on trade</h1><p>{prose}</p>")
    assert date_under_headline(tree) is None
    # Far below the headline is not the header any more.
    filler = "".join(f"<p>Line {n} of a long lead that goes on.</p>" for n in range(40))
    tree = page("<title>A statement on trade</title>",
                f"<h1>A statement on trade</h1>{filler}<p>12 March 2019</p>")
    assert date_under_headline(tree) is None
    # No headline to be found: nothing guessed.
    tree = page("<title>Home</title>", "<h1>Site</h1><h1>Menu</h1><p>12 March 2019</p>")
    assert date_under_headline(tree) is None


def test_machine_markup_beats_the_printed_date():
    tree = page('<meta property="article:published_time" content="2019-11-18T21:17:27Z">'
                "<title>Royal arrogance</title>",
                "<h1>Royal arrogance</h1><p>17 November 2019</p>")
    assert date_in_markup(tree) == datetime(2019, 11, 18, 21, 17, 27, tzinfo=UTC)
