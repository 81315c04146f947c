"""Who a text names who might speak: officials from officials.toml by
name (and by family name after the full name), people outside it by their
title ("Jordanian Foreign Minister Ayman Safadi"), and role phrases."""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import date

from crawler.enrich.officials import (
    Official,
    Term,
    registry,
)
from crawler.enrich.people import Person, find_people, plausible_name
from crawler.enrich.roles import (
    ENVOY,
    INTERNATIONAL,
    ROLE_NOUN,
    ZH_ROLES,
    country_near,
    role_title,
    roles,
)
from crawler.enrich.speech import CJK_CHAR


@dataclass
class Candidate:
    start: int
    end: int
    kind: str  # "name" | "role" | "pronoun"
    official: Official | None = None
    family: str | None = None
    role_text: str | None = None


# Chinese and Korean names put the family name first: "Wang Yi" is "Wang"
# on second mention, "Antony Blinken" is "Blinken".
_FAMILY_NAME_FIRST = {"CN", "KP", "KR", "TW"}


def short_name_candidates(text: str, names: list[Candidate]) -> list[Candidate]:
    """An official's family name alone ("Wang told a press conference"),
    after the text printed the full name, when the names file has no such
    short form."""
    reg = registry()
    shorts: dict[str, tuple[int, Official]] = {}
    for cand in names:
        official = cand.official
        if official is None or text[cand.start:cand.end] != official.name:
            continue
        words = official.name.split()
        if len(words) < 2:
            continue
        short = words[0] if official.country in _FAMILY_NAME_FIRST else words[-1]
        if len(short) >= 3 and short[0].isupper() and short not in reg.names.forms:
            if short in shorts and shorts[short][1] is not official:
                shorts[short] = (len(text), official)  # two officials share it: neither
            else:
                shorts.setdefault(short, (cand.end, official))
    out = []
    taken = [(c.start, c.end) for c in names]
    for short, (after, official) in shorts.items():
        for match in re.finditer(r"(?<![\w-])" + re.escape(short) + r"(?![\w-])(?!\s+[A-Z])", text[after:]):
            start = after + match.start()
            if not any(s <= start < e for s, e in taken):
                out.append(Candidate(start, start + len(short), "name", official))
    return out


def name_candidates(text: str, day: date | None) -> list[Candidate]:
    reg = registry()
    hits = list(reg.names.finditer(text))
    full = {reg.officials[i].name for h in hits for i in h.value if h.surface == reg.officials[i].name}
    out = []
    for hit in hits:
        if not hit.value:
            continue
        people = [reg.officials[i] for i in hit.value]
        if len(people) > 1:
            people.sort(key=lambda o: (o.role_on(day) is None, o.name not in full))
        out.append(Candidate(hit.start, hit.end, "name", people[0]))
    return out


def adhoc_candidates(text: str, day: date | None, source_country: str | None = None) -> list[Candidate]:
    reg = registry()
    out: list[Candidate] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, start: int, end: int, role: str, country: str | None, official: bool = True) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        if reg.names.forms.get(name) is not None or any(h.value for h in reg.names.finditer(name)):
            return  # a known official: the name lexicon has it
        if not plausible_name(name):
            return  # "Farm Bureau, the …": words of no person's name
        taken.append((start, end))
        person = Official(name, country or "", (Term(role, date.min, None),) if role else (), official)
        out.append(Candidate(start, end, "name", person, None, role or None))

    for matches in (_role_name_matches(text), _NAME_ROLE.finditer(text)):
        for match in matches:
            name = _clean_name(match.group("name"))
            if name is None:
                continue
            role, country = role_title(match.group("role"))
            if INTERNATIONAL.search(match.group("role")):
                country = None  # a UN or EU envoy: "for Syria" is the mandate, not the nation
            elif ENVOY.search(role):
                # An envoy named without a nation is as often another
                # country's, or the UN's, as the source's own.
                country = country or country_near(text, match.start("role"), match.end("role"))
            else:
                country = (country or country_near(text, match.start("role"), match.end("role"))
                           or source_country)
            add(name, match.start("name"), match.start("name") + len(name), role, country)
    for match in _ZH_NAME.finditer(text) if CJK_CHAR.search(text) else ():
        title = match.group("title")
        role = next((en for zh, en in ZH_ROLES if title.endswith(zh)), None)
        country = country_near(text, match.start("title"), match.start("title"))
        add(match.group("name"), match.start("name"), match.end("name"), role or "", country or source_country,
            role is not None)
    return out


_HONORIFIC = r"(?:(?:Dr|Mr|Ms|Mrs|Senator|Sir|Dame|Lord|Baroness|H\.E|Herr|Frau|M|Mme)\.?\s+)*"
# "McDowell", "DeSantis", "MacArthur": a second capital after Mc, Mac, De, La.
_NAME_WORD = (r"(?:(?:Mc|Mac|De|La|Le|Di|O['’])[A-Z][a-zà-ÿāēīōū'’-]+|[A-Z][a-zà-ÿāēīōū'’-]+"
              r"|[A-Z]{2,}(?:-[A-Za-z]+)?|[A-Z][a-z]+-[a-z]+)")
_NAME = _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){1,2}"
_OF_PLACE = r"(?:\s+(?:of|for|to)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+(?:of\s+)?[A-Z][\w-]*){0,3})?"
_ROLE_NAME = re.compile(
    r"(?P<role>(?:[A-Za-z][\w-]*\s+){0,3}?" + ROLE_NOUN + r"\b" + _OF_PLACE + r"),?\s+" + _HONORIFIC
    + r"(?P<name>" + _NAME + r")")
_NAME_ROLE = re.compile(
    # Every match begins with a capital that begins a word: the lookahead
    # spares trying the honorifics at every other character, the
    # lookbehind trying a name inside a word (a run of capitals thousands
    # long was tried from each of its letters: quadratic).
    r"(?=[A-Z])(?<!\w)" + _HONORIFIC + r"(?P<name>" + _NAME + r")(?:\s+[A-Z]{2,5}){0,3},\s+(?:the\s+|a\s+)?"
    r"(?P<role>(?:[\w-]+\s+){0,4}?" + ROLE_NOUN + r"\b" + _OF_PLACE + r")\s*[,.;:]")
# ROLE_NOUN is case-insensitive throughout: searched in lower-cased text
# without the flag, which ``re`` runs several times faster.
_ROLE_NOUN_LOWER = re.compile(ROLE_NOUN.removeprefix("(?i:").removesuffix(")"))
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _role_name_matches(text: str) -> Iterator[re.Match[str]]:
    """``_ROLE_NAME.finditer(text)`` without trying the pattern at every
    character. A match holds a role noun and starts at the noun or at a word
    at most three words before it (a word in the middle of an ASCII word is
    never the leftmost start), so only those places are tried."""
    lower = text.lower()
    if len(lower) != len(text):
        yield from _ROLE_NAME.finditer(text)
        return
    pos = tried = 0
    while (noun := _ROLE_NOUN_LOWER.search(lower, max(pos, tried))) is not None:
        q = noun.start()
        match = None
        for start in range(max(pos, tried, _three_words_back(text, q)), q + 1):
            if start != q and start != pos and not (
                    _ASCII_LETTER.match(text, start) and not _ASCII_LETTER.match(text, start - 1)):
                continue
            match = _ROLE_NAME.match(text, start)
            if match is not None:
                break
        if match is None:
            tried = q + 1
            continue
        yield match
        pos = match.end()


def _three_words_back(text: str, index: int) -> int:
    # The start of the third run of non-space characters before the one
    # ``index`` is in.
    i = index
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    for _ in range(3):
        while i > 0 and text[i - 1].isspace():
            i -= 1
        while i > 0 and not text[i - 1].isspace():
            i -= 1
    return i


# Postnominals and words that begin no name.
_NOT_NAME = {"CMG", "OBE", "MBE", "CBE", "KCMG", "GCMG", "DCMG", "KBE", "DBE", "MP", "KC", "QC",
             "The", "This", "That", "Foreign", "Minister", "Secretary", "President", "Prime", "State",
             "Department", "Ministry", "Office", "Government", "Federal", "General", "Deputy", "Vice",
             "Mr", "Ms", "Mrs", "Dr", "Senator", "On", "In", "At", "And", "But", "For", "With", "By"}


def _clean_name(name: str) -> str | None:
    words = re.sub(r"['’]s$", "", name).split()
    while words and words[-1] in _NOT_NAME:
        words.pop()
    if len(words) < 2 or words[0] in _NOT_NAME or any(w in _NOT_NAME for w in words):
        return None
    if all(w.isupper() for w in words):
        return None  # an acronym run, not a name
    return " ".join(words)


_ZH_NAME = re.compile(
    r"(?P<title>[\u4e00-\u9fff]{0,6}(?:师|员|生|长|官|任|人|使|赞|事|家|授|理|席|办|相))"
    r"(?P<name>[\u4e00-\u9fff]{2,3}|[\u4e00-\u9fff]{1,5}[·・][\u4e00-\u9fff]{1,6})"
    r"(?=(?:表示|说|指出|强调|认为|介绍|称))")


def role_candidates(text: str) -> list[Candidate]:
    return [Candidate(h.start, h.end, "role", family=h.value) for h in roles().finditer(text)]


def person_candidates(text: str, taken: list[tuple[int, int]], quoted: Container[int],
                      mentions: dict[str, list[Person]]) -> list[Candidate]:
    """People outside officials.toml (``people.find_people``) outside
    ``taken`` spans and quotations, one Official each (its country is read
    later, for speakers only: ``Attribution.country_of``); each one's
    mentions are added to ``mentions``."""
    out = []
    made: dict[str, Official] = {}
    for person in find_people(text, taken):
        if person.start in quoted:
            continue
        official = made.get(person.name)
        if official is None:
            official = made[person.name] = Official(person.name, "", (), False)
        out.append(Candidate(person.start, person.end, "name", official))
        mentions.setdefault(person.name, []).append(person)
    return out
