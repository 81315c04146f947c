"""The grammar of a sentence that reports speech, read by rules: who is
the subject of a speech verb and who its object ("…," Olmert told Bush;
"said in a letter sent to Chávez"), whom a pronoun can stand for, which
speakers the text leaves unnamed ("a spokeswoman for the US embassy"), and
where the quotations lie."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any

from crawler.enrich.candidates import Candidate
from crawler.enrich.people import TITLES, Person
from crawler.enrich.speech import ENGLISH_VERBS


def distance(cand: Candidate, anchors: list[int]) -> int:
    """How near the candidate is to the nearest of ``anchors`` (in text
    order): found beside either of its ends by bisection, since a sentence
    of a hostile page can hold thousands of both."""
    best = None
    for point in (cand.start, cand.end):
        i = bisect_left(anchors, point)
        for anchor in anchors[max(0, i - 1):i + 1]:
            gap = abs(point - anchor)
            best = gap if best is None or gap < best else best
    assert best is not None, "no anchors"
    return best


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
# "said Oregon schools superintendent X", "says veteran industry analyst X":
# lower-case words of a descriptor, the last one a person's noun.
_DESCRIPTOR = re.compile(
    r"[\s,”\"»]*(?:(?:the|an?|[A-ZА-ЯЁ][\w.'’-]*|(?!(?:with|to|that|and|or|but|which|who|when|after|before|"
    r"about|on|in|at|by|from|it|he|she|they|was|is|were|would|will|not|his|her|their|having|citing|"
    r"quoting|including|like|such)\b)[a-z][\w'’-]*)\s+){0,3}"
    r"[a-z]*(?:ist|er|or|ian|ent|ant|man|woman|person|official|chief|expert|executive|analyst|secretary|"
    r"counsel|head|aide|agent|spokesperson)\s+(?:[A-ZА-ЯЁ][\w.'’-]*\s+){0,3}$")


# "told VOA correspondent X": these verbs' descriptor names the one spoken to.
_TO_WHOM = {"told", "tells", "tell", "telling", "asked", "asks", "ask", "asking", "urged", "informed"}


# Farther than this after its verb, a name is past the few words of an
# inversion or a descriptor (``_INVERSION``, ``_DESCRIPTOR``): not tried.
_AFTER_VERB = 400


def subject_place(text: str, cand: Candidate, verbs: list[tuple[int, int]]) -> bool:
    if not verbs or verbs[-1][0] >= cand.end:
        return True  # (some verb follows it)
    for start, end in verbs:
        if start <= cand.start < end or start < cand.end <= end:
            return True
        if end <= cand.start:
            verb = text[start:end].lower()
            if verb not in ENGLISH_VERBS:
                return True
            if cand.start - end <= _AFTER_VERB and (
                    _INVERSION.match(text, end, cand.start)
                    or (_DESCRIPTOR.match(text, end, cand.start) and verb not in _TO_WHOM)):
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
# ", chief executive of the fact-checking website ": a description opened by
# a lower-case word, with no clause break, between a name and another one.
_DESCRIPTION = re.compile(r", (?:[a-z][\w'’-]*|\d+)[^.;:!?“”\"\n]{0,120}")


def outside_appositions(text: str, subjects: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Subjects less those named inside another's description: "Will Moy,
    chief executive of the website Full Fact, told the BBC" is Moy speaking,
    not Full Fact."""
    if len(subjects) < 2:
        return subjects
    # Only a name followed by ", " opens a description.
    opening = [o for o in subjects if text.startswith(", ", o[0].end)]
    return [s for s in subjects
            if not any(o[0].end < s[0].start and _DESCRIPTION.fullmatch(text, o[0].end, s[0].start)
                       for o in opening)]
# A possessor is no speaker ("Vindman's superior said"), but one whose office
# speaks is ("Nadia Cruz's office said").
POSSESSOR = re.compile(r"['’]s (?!office\b)")


# An interview laid out as "Name" alone on a line, then the answers, each
# opening with a dash ("— Внезапно я захотел…"): the answers are the named
# person's speech, with or without quote marks.
_DASH_OPENING = ("— ", "– ", "- ")


def dash_interviewees(text: str, paragraphs: list[Any], people: dict[str, list[Any]]) -> list[tuple[str, int, int]]:
    """(name, start, end) of each person whose name is a paragraph of its
    own followed, before the next such name, by answers opening with a dash."""
    starts = {m.start: (name, m.end) for name, mentions in people.items() for m in mentions}
    heads = []
    for para in paragraphs:
        line = text[para.start:para.end]
        lead = len(line) - len(line.lstrip())
        head = starts.get(para.start + lead)
        if head is not None and head[1] == para.start + len(line.rstrip()):
            heads.append((head[0], para.start))
    out = []
    for i, (name, start) in enumerate(heads):
        end = heads[i + 1][1] if i + 1 < len(heads) else len(text)
        if any(p.start > start and p.start < end and text.startswith(_DASH_OPENING, p.start) for p in paragraphs):
            out.append((name, start, end))
    return out


# A person's sex, where the text states it: a title ("Mrs.", "Sir") or a
# noun beside the name ("actress Jo Hale", "Jo Hale, his wife"). Pronouns
# agree with it ("…,” she said" is not the man named last).
_FEMALE = re.compile(r"\b(?:Mrs|Ms|Miss|Madam|Mme|Lady|Dame|Queen|Princess|Frau|Baroness|actress|"
                     r"[a-z]*woman|wife|mother|daughter|sister|grandmother|girl|aunt|widow)\b")
_MALE = re.compile(r"\b(?:Mr|Sir|Lord|King|Prince|Sheikh|Emir|Sultan|Herr|(?:chair|spokes|business|congress|"
                   r"police|sales|fire)man|husband|father|son|brother|grandfather|boy|uncle|widower)\b")


# A kinship word in an apposition before the name: "Steenburgen’s son, filmmaker X".
_KIN = re.compile(r"(?:['’]s|\b[Hh]is|\b[Hh]er|\b[Tt]heir) (?P<noun>[a-z]+), (?:[a-z]+ )?$")


def _sex(text: str, mentions: list[Person]) -> str | None:
    """"f", "m" or None: the words just before a mention and its title."""
    for person in mentions:
        before = text[max(0, person.title_start - 25):person.title_start]
        before = before[max(before.rfind(". "), before.rfind(", "), before.rfind("\n")) + 1:]
        before += text[person.title_start:person.start]
        kin = _KIN.search(text, max(0, person.title_start - 40), person.title_start)
        before += " " + kin.group("noun") if kin else ""
        female, male = _FEMALE.search(before), _MALE.search(before)
        if female and not male:
            return "f"
        if male and not female:
            return "m"
    return None


_PRONOUN_SEX = {"he": "m", "il": "m", "он": "m", "他": "m", "she": "f", "elle": "f", "она": "f", "她": "f"}


def agreeing(text: str, pronoun: Candidate, chosen: Any, antecedents: list[Any],
             people: dict[str, list[Any]], sexes: dict[str, str | None]) -> Any:
    """The pronoun's person: ``chosen`` unless the text gives them the other
    sex, then the last subject named whose sex agrees (``sexes`` caches)."""
    wanted = _PRONOUN_SEX.get(text[pronoun.start:pronoun.end].lower())

    def of(official: Any) -> str | None:
        if official.name not in sexes:
            sexes[official.name] = _sex(text, people.get(official.name, []))
        return sexes[official.name]

    if wanted is None or of(chosen) in (None, wanted):
        return chosen
    return next((o for o in reversed(antecedents) if of(o) in (None, wanted)), None)
