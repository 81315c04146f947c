"""Statement enrichment: type, speakers, quotes, countries, document number,
translation keys and briefing turns of one archived text (issue 7).

    from crawler.enrich import enrich
    result = enrich(title=..., text=..., url=..., source_country="RU",
                    source_kind="ministry", language="en", published=datetime(...))
    result.to_dict()

Pure functions over strings: no network, no database. The data files
(officials.toml, countries.toml) are read once per process, on first use.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from crawler.enrich import clauses
from crawler.enrich.attribution import attribute
from crawler.enrich.countries import count_hits, gazetteer
from crawler.enrich.documents import (
    document_number,
    hreflang_alternates,
    html_document_number,
    translation_keys,
)
from crawler.enrich.quotes import RawQuote, blockquote_quotes, blockquoted, find_quotes
from crawler.enrich.record import Enrichment, Mention, PageMarkup, Quote, Speaker, Turn
from crawler.enrich.turns import split_turns
from crawler.enrich.types import STATEMENT_TYPES, classify

__all__ = ["STATEMENT_TYPES", "Enrichment", "Mention", "PageMarkup", "Quote", "Speaker", "Turn",
           "enrich", "read_markup"]


def read_markup(html: str | None, url: str = "") -> PageMarkup:
    """What ``enrich`` needs of the page's HTML (see ``PageMarkup``)."""
    if not html:
        return PageMarkup()
    return PageMarkup(quoted=blockquoted(html), document_number=html_document_number(html),
                      alternates=tuple(hreflang_alternates(html, url)))


def enrich(*, title: str, text: str, url: str = "", source_country: str | None = None,
           source_kind: str = "ministry", language: str | None = None,
           section: str | None = None, published: datetime | date | None = None,
           html: str | None = None, markup: PageMarkup | None = None) -> Enrichment:
    """Enrich one statement. Every rule runs on every text, since ministries
    mix languages (Chinese names in English text, English titles over
    Russian text); ``language`` only keeps French and German country forms
    to texts of their language ("Riyad" is a given name in English). The
    page's HTML comes as ``html``, or already read as ``markup``."""
    title, text = title or "", text or ""
    if markup is None:
        markup = read_markup(html, url)
    day = published.date() if isinstance(published, datetime) else published
    raw_quotes = find_quotes(text)
    extra = blockquote_quotes(text, markup.quoted, raw_quotes)
    if extra:
        raw_quotes = sorted(raw_quotes + extra, key=lambda q: q.start)
    text_hits = gazetteer().hits(text, language)
    countries = count_hits(gazetteer().hits(title, language), text_hits)
    # An agency or a newspaper reports on other countries: an official it
    # names without a country more likely serves the one the text is about
    # than the agency's own. (A source of unknown country guesses nothing.)
    home = source_country
    if source_country and source_kind != "ministry" and countries and countries[0].count >= 2:
        home = countries[0].code
    who = attribute(title, text, day, source_country, [(q.start - 1, q.end + 1) for q in raw_quotes],
                    home_country=home)
    who.country_hits = text_hits

    paragraphs = [text[p.start:p.end] for p in who.segments.paragraphs]
    raw_turns, transcript = ([], False)
    if source_kind == "ministry":
        raw_turns, transcript = split_turns(paragraphs, title, day, source_country)
    statement_type = classify(title=title, text=text, url=url, section=section,
                              source_kind=source_kind, has_turns=transcript)
    who.promote_opening(statement_type)
    who.promote_title_role(statement_type, title)
    turns = tuple(Turn(i, *t) for i, t in enumerate(raw_turns)) if statement_type == "briefing" else ()

    quotes = _attribute_quotes(raw_quotes, who)
    speakers = [Speaker(s.official.name, who.role_of(s.official), who.country_of(s.official))
                for s in who.ranked() if s.official.official or (s.official.name in who.people and (s.attributions or s.quotes))]
    for turn in turns:
        if turn.kind != "question" and turn.speaker and all(s.name != turn.speaker for s in speakers):
            speakers.append(_speaker_named(turn.speaker, who))
    for name, start, end in clauses.dash_interviewees(text, who.segments.paragraphs, who.people):
        if all(s.name != name for s in speakers):
            speakers.append(Speaker(name, None, None))
        quotes = [dataclasses.replace(q, speaker=name) if q.speaker is None and start <= q.position < end else q
                  for q in quotes]
    number = document_number(title, text) or markup.document_number
    return Enrichment(
        statement_type=statement_type,
        speakers=tuple(speakers),
        quotes=tuple(quotes),
        countries=countries,
        source_country=source_country,
        document_number=number,
        translation_keys=translation_keys(url=url, alternates=markup.alternates, number=number,
                                          source_country=source_country),
        turns=turns,
    )


def _speaker_named(name: str, who) -> Speaker:
    from crawler.enrich.officials import registry

    for official in registry().officials:
        if official.name == name:
            return Speaker(name, who.role_of(official), official.country)
    return Speaker(name, None, who.source_country)


def _tail_after_question(raw: RawQuote, after: int, segments, text: str) -> tuple[int, ...]:
    # "“…, right?” Sanborn said.": the question mark ended a sentence, and the
    # short one after the closing mark is the quote's attribution.
    # (A question may end inside a nested quote: "‘… the investigation?’”".)
    if text[raw.start:raw.end].rstrip("’'\"”»")[-1:] not in ("?", "!") or after + 1 >= len(segments.sentences):
        return ()
    tail = segments.sentences[after + 1]
    if tail.start - raw.end <= 3 and tail.end - tail.start <= 60 and text[tail.start:tail.end].rstrip().endswith("."):
        return (after + 1,)
    return ()


def _reported_before(raw: RawQuote, first: int, who):
    """The speaker of the sentence before, when a quote is a sentence of its
    own that ends its paragraph, after one that reports someone's words
    ("Erekat said it was only the latest move…" / "“They wanted us on our
    knees…”"; "Sometimes employees don't follow the rules, he said. “But
    does that mean…?”")."""
    segments, text = who.segments, who.text
    sentence = segments.sentences[first]
    if text[sentence.start:raw.start].strip() not in ("", "“", "«", '"', "„", "‘"):
        return None
    para = segments.paragraph_index(raw.start)
    if text[raw.end:segments.paragraphs[para].end].strip(" ”»\"’.,!?") != "":
        return None
    before = segments.sentences[first - 1]
    # The sentence before is in the same paragraph, or ends the one before.
    if segments.paragraph_index(before.start) not in (para, para - 1):
        return None
    return who.speaker_of_sentence(first - 1)


def _attribute_quotes(raw_quotes: list[RawQuote], who) -> list[Quote]:
    segments = who.segments
    text = who.text
    quotes: list[Quote] = []
    previous: tuple[RawQuote, object] | None = None
    for raw in raw_quotes:
        first = segments.sentence_index(raw.start)
        last = segments.sentence_index(max(raw.start, raw.end - 1))
        # The sentence after the closing mark too: "“…,” the minister said."
        # ends a sentence inside the quote when the quote itself has several.
        after = segments.sentence_index(min(len(text) - 1, raw.end + 1))
        places = (first, last, after, *_tail_after_question(raw, after, segments, text))
        speaker = next((who.speaker_of_sentence(i) for i in places
                        if who.speaker_of_sentence(i) is not None), None)
        if raw.is_name or raw.is_title or raw.short:
            if raw.short and speaker is not None:
                # "“That's perfect,” Boudreau said. “It's the mark of …”": a
                # fragment is no quotation, but its speaker goes on speaking.
                previous = (raw, speaker)
            continue
        if speaker is None and first > 0:
            before = segments.sentences[first - 1]
            if text[before.start:before.end].rstrip().endswith((":", "：")):
                speaker = who.speaker_of_sentence(first - 1)
        unnamed = any(i in who.unnamed for i in (first, last, after))
        if speaker is None and not unnamed and previous is not None and previous[1] is not None:
            para = segments.paragraph_index(raw.start)
            prev_para = segments.paragraph_index(previous[0].start)
            opens = text[segments.paragraphs[para].start:raw.start].strip() in ("", "“", "«", '"', "„", "「", "‘")
            # A quotation that goes on after its attribution in the same
            # paragraph ("…,” Mayer said. “…”), or opens the next one, is
            # the same speaker's.
            if para == prev_para or (opens and para - prev_para == 1):
                speaker = previous[1]
        if speaker is None and not unnamed and first > 0:
            speaker = _reported_before(raw, first, who)
        if speaker is not None:
            who.credit_quote(speaker)
        quotes.append(Quote(raw.text, speaker.name if speaker else None, raw.start))
        previous = (raw, speaker)
    return _echoes(quotes)


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").strip(" .,;:!?").split())


def _echoes(quotes: list[Quote]) -> list[Quote]:
    """A quote with no speaker whose words an attributed quote also says
    (a pull quote or a subheading: "“Not some irregular channel”" over
    "“My role was not some irregular channel,” he told lawmakers") is the
    same speaker's."""
    said = [(_folded(q.text), q.speaker) for q in quotes if q.speaker]
    if not said or all(q.speaker for q in quotes):
        return quotes
    out = []
    for quote in quotes:
        if quote.speaker is None:
            words = _folded(quote.text)
            owners = {speaker for text, speaker in said if words in text}
            if len(owners) == 1:
                quote = dataclasses.replace(quote, speaker=owners.pop())
        out.append(quote)
    return out
