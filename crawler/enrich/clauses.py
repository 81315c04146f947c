"""The grammar of a sentence that reports speech, read by rules: who is
the subject of a speech verb and who its object ("…," Olmert told Bush;
"said in a letter sent to Chávez"), whom a pronoun can stand for, which
speakers the text leaves unnamed ("a spokeswoman for the US embassy"), and
where the quotations lie."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from crawler.enrich.candidates import Candidate
from crawler.enrich.people import TITLES
from crawler.enrich.speech import ENGLISH_VERBS


def distance(cand: Candidate, anchors: list[int]) -> int:
    return min(min(abs(cand.start - a), abs(cand.end - a)) for a in anchors)


# Words after which a person is spoken to or of, not the one who speaks:
# "…," Olmert told Bush; "said in a letter sent to Chávez"; "asked Smith".
# Title words between the cue and the name are skipped ("told President X").
_OBJECT_CUE = re.compile(
    # Verbs: any capitalised words between ("told Foreign Minister X").
    r"\b(?:told|tell|tells|telling|asked|asking|urged|urging|thanked|praised|criticized|criticised|"
    r"accused|blamed|attacked|met|meeting|called|defeated|beat|replaced|sent|hit|sued|fired|named|"
    r"appointed|nominated|endorsed|interviewed|supported|backed|joined)\s+"
    r"(?:(?:the|a|an|former|then|[A-Z][\w.'’-]*)\s+){0,4}$"
    # Prepositions and conjunctions: only articles and titles between ("to
    # President X"), since "Envoy for Syria Kofi Annan" is a title.
    r"|(?:(?<!ccording )\bto|\b(?:with|against|about|for|at|from|on|than|like|versus|vs\.?|and|or)"
    r"|(?<!\w)(?:с|со|для|против|о|об))\s+"
    r"(?:(?:the|a|an|former|then|" + "|".join(sorted(TITLES)) + r")\.?\s+){0,4}$")


# "said in a statement", "told reporters during a briefing": a phrase after
# these is where or how someone spoke, not who.
ADVERBIAL = re.compile(r"\b(?:in|into|during|via|through|after|before|under|over|as|by|of)\s+$")


# "Queen Elizabeth was said to have disapproved": the subject of a passive
# speech verb is spoken of, not speaking.
PASSIVE = re.compile(r"\b(?:is|was|were|are|be|been|being)\s+$")


# After its verb, a speaker follows at once: "said Jeffrey Halley", "said
# White House Press Secretary Stephanie Grisham", "заявил Лавров",
# "according to Smith". A name further on ("denied having sex with … the
# convicted pedophile Epstein") is no subject of that verb.
_INVERSION = re.compile(r"[\s,”\"»]*(?:(?:the|[A-ZА-ЯЁ][\w.'’-]*|of|for)\s+){0,6}$")


def subject_place(text: str, cand: Candidate, verbs: list[tuple[int, int]]) -> bool:
    if not verbs:
        return True
    for start, end in verbs:
        if cand.end <= start:
            return True
        if end <= cand.start and (_INVERSION.match(text, end, cand.start)
                                  or text[start:end].lower() not in ENGLISH_VERBS):
            return True
        if start <= cand.start < end or start < cand.end <= end:
            return True
    return False


# A name a pronoun can stand for is a subject: not an object ("visited
# Epstein"), not a possessor ("Epstein's mansion"), not the subject of a
# clause about something else ("after Epstein was released").
_NOT_ANTECEDENT = re.compile(r"(?:\b[a-z]+ed|\b(?:after|before|when|while|because|since|until|if|"
                             r"unless|whether|than|by|of)\s+(?:the\s+)?(?:[A-Z][\w.'’-]*\s+){0,3})\s*$")


def antecedent(text: str, sentence_start: int, cand: Candidate) -> bool:
    if text[cand.end:cand.end + 2] in ("'s", "’s") or object_of(text, sentence_start, cand.start):
        return False
    match = _NOT_ANTECEDENT.search(text, max(sentence_start, cand.start - 40), cand.start)
    return match is None or text[match.start():cand.start].strip().lower() in ENGLISH_VERBS


def object_of(text: str, sentence_start: int, start: int) -> bool:
    return _OBJECT_CUE.search(text, max(sentence_start, start - 60), start) is not None


# Speakers the text does not name: "a spokeswoman for the US embassy", "an
# official", "the company said". Their words are no named person's. The
# noun is found first, then the article at most four words before it.
_UNNAMED_ARTICLE = re.compile(r"\b(?:[Aa]n?|[Oo]ne|[Aa]nother|[Tt]he|[Tt]wo|[Ss]everal|[Ss]ome)\s+"
                              r"(?:[\w.'’-]+\s+){0,4}$")
_UNNAMED = re.compile(
    r"\b(?:spokes(?:man|woman|person|people)|officials?|sources?|statement|representatives?|aides?|"
    r"insiders?|executives?|lawyers?|attorneys?|analysts?|experts?|researchers?|scientists?|"
    r"authors?|company|firm|ministry|department|agency|police|report|study|poll|survey|"
    r"letter|release|filing|lawsuit|complaint|website|newspaper|tweet|post|group|campaign|"
    r"committee|commission|court|government|administration|embassy|office|team|club|witness(?:es)?|"
    r"residents?|protesters?|activists?|users?|fans?|critics?|officers?|commenters?|reviewers?)\b")


INDEFINITE = re.compile(r"\b(?:[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\w.'’-]+\s+){0,3}$")
# "The statement continued" goes on with words already given to someone;
# "a statement said" gives them to nobody named.
_DOCUMENTS = {"statement", "letter", "release", "filing", "tweet", "post", "report"}


def unnamed_candidates(text: str) -> list[Candidate]:
    out = []
    for noun in _UNNAMED.finditer(text):
        article = _UNNAMED_ARTICLE.search(text, max(0, noun.start() - 50), noun.start())
        if article is not None and not (noun.group() in _DOCUMENTS and text[article.start()] in "Tt"):
            out.append(Candidate(article.start(), noun.end(), "unnamed"))
    return out


class Spans:
    """Sorted spans (quotations), asked many times whether they hold an
    offset: by bisection over the starts and the running maximum end."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.reach = []
        furthest = -1
        for _, end in spans:
            furthest = max(furthest, end)
            self.reach.append(furthest)

    def __contains__(self, offset: int) -> bool:
        i = bisect_right(self.starts, offset) - 1
        return i >= 0 and self.reach[i] > offset


_SOURCE_VERBS = {"according to", "reported", "reports"}
_APPOSITION = re.compile(r", (?:an?|the|[a-z])")


def drop_sources(result: Any, via: dict[str, set[str]]) -> None:
    """A name found by capitals alone that only ever reports ("according to
    Common Dreams", "Common Dreams reported"), printed in full each time,
    with no title and no apposition, is an outlet, not a person: its
    sentences get no speaker. (A person is called by the surname alone on
    second mention, or described.)"""
    for name, mentions in result.people.items():
        verbs = via.get(name)
        if not verbs or not verbs <= _SOURCE_VERBS:
            continue
        text = result.text
        if any(p.title or text[p.start:p.end] != name or _APPOSITION.match(text, p.end) for p in mentions):
            continue
        for index, official in list(result.sentence_speaker.items()):
            if official.name == name:
                del result.sentence_speaker[index]
        del result.stats[name]


# Between a name and the role noun of its apposition: ", the", ", a former",
# ", Edmunds' executive" (a comma, then at most three words).
APPOSITION_HEAD = re.compile(r", (?:[\w.'’-]+ ){0,3}")
# A possessor is no speaker ("Vindman's superior said"), but one whose office
# speaks is ("Nadia Cruz's office said").
POSSESSOR = re.compile(r"['’]s (?!office\b)")
