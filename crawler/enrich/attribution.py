"""Who speaks where in a text: official mentions, role phrases, pronouns and
speech verbs, resolved to officials by name, by coreference and by date.

The rules, in the order they are tried for a sentence with a speech verb
("said", "заявил", "表示", "a déclaré", "sagte", "according to"):

1. a name from officials.toml ("Лаврова", "王毅") is that person; a surname
   shared by several (Clinton) goes to the one in office on the date, else
   to the one whose full name the text also prints;
2. "<Country-adjective> <role> <Name>" for a person not in the file
   ("Jordanian Foreign Minister Ayman Safadi said") makes an ad-hoc official;
3. a role phrase ("the minister", "глава МИД", "外交部发言人") is the last
   official of that role family the text named, else the one person of that
   family in office on the date in the country the phrase names or, failing
   that, the source's country;
4. any other person the text names (``people``: "Kevin Mayer", "Mayer"
   after it) is that person, a speaker like an official once words are given;
5. a pronoun ("he", "он", "他"), "the diplomat" / "дипломат" and the object
   of "according to her" / "по ее словам" are the last person named as a
   subject (not an object, a possessor or a subordinate clause's subject)
   whose sex, where the text gives it ("Mrs.", "actress"), agrees, else the
   last speaker; an official's family name alone ("Wang told…") is the
   official the text named in full before.

Of several candidates in a sentence the one nearest the verb speaks, if it
is the verb's subject (``clauses``): not its object ("Olmert told Bush"), and
after an English verb only at once ("said Smith"). An unnamed speaker
nearer the verb ("a spokeswoman for the US embassy told…") gives the
sentence no speaker: a role phrase with an indefinite article stays a role. A
phrase's country is the one named next to it in the same clause, or the one
country that uses the phrase ("EAM": India). In transcripts and interviews a
speaker label ("Lin Jian:", "【上川外務大臣】", "Ответ:", "R -") gives the
floor to its official until the next label (``_TURN_LABEL``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from crawler.enrich import clauses
from crawler.enrich.candidates import (
    Candidate,
    adhoc_candidates,
    name_candidates,
    person_candidates,
    role_candidates,
    short_name_candidates,
)
from crawler.enrich.countries import gazetteer
from crawler.enrich.officials import SPOKESPERSON, Official, registry, role_family
from crawler.enrich.people import Person, person_country
from crawler.enrich.roles import ENVOY, ROLE_COUNTRY, country_near, exact_role, roles
from crawler.enrich.segments import Segments
from crawler.enrich.speech import pronoun_spans, speech_verbs

# A Chinese or Japanese verb and its comma or colon ("王毅表示，", "強調:").
_ZH_OPENING = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff])[，：,:]")


@dataclass
class SpeakerStats:
    official: Official
    role: str | None
    first: int
    in_title: bool = False
    title_speaks: bool = False
    attributions: int = 0
    quotes: int = 0
    mentions: int = 0


@dataclass
class Attribution:
    """The speakers of one text; ``speaker_of_sentence`` answers quotes."""

    text: str
    segments: Segments
    day: date | None
    source_country: str | None
    stats: dict[str, SpeakerStats] = field(default_factory=dict)
    sentence_speaker: dict[int, Official] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    sexes: dict[str, str | None] = field(default_factory=dict)
    country_hits: list | None = None  # the text's country names, read once for ``country_of``
    # Sentences whose speaker the text does not name ("a spokeswoman said").
    unnamed: set[int] = field(default_factory=set)
    # Mentions of people ``people`` found, not officials.toml, by name.
    people: dict[str, list[Person]] = field(default_factory=dict)

    def speaker_of_sentence(self, index: int) -> Official | None:
        return self.sentence_speaker.get(index)

    def credit_quote(self, official: Official) -> None:
        self._stats(official, None).quotes += 1

    def _stats(self, official: Official, role: str | None) -> SpeakerStats:
        stats = self.stats.get(official.name)
        if stats is None:
            stats = self.stats[official.name] = SpeakerStats(official, role, len(self.text))
        if role and not stats.role:
            stats.role = role
        return stats

    def ranked(self) -> list[SpeakerStats]:
        spoke = [s for s in self.stats.values() if s.in_title or s.attributions or s.quotes]
        return sorted(spoke, key=lambda s: (-(5 * s.in_title + 3 * s.quotes + 2 * s.attributions
                                               + 0.1 * s.mentions), s.first))

    def promote_title_role(self, kind: str, title: str) -> None:
        """A first-person text headed by a role ("外務大臣談話", "Statement by
        the Foreign Secretary") is the holder's on its date."""
        if kind not in _FIRST_PERSON or any(s.in_title for s in self.stats.values()):
            return
        for hit in roles().finditer(title):
            country = country_near(title, hit.start, hit.end) or self.source_country
            holders = registry().in_office(hit.value, country, self.day)
            if len(holders) == 1:
                self._stats(holders[0], holders[0].role_on(self.day)).in_title = True
                return

    def promote_opening(self, kind: str) -> None:
        """The authors a text's head names: the parties in the opening
        paragraph of a joint statement or a readout, and the person after a
        byline cue ("Statement by …") in its first paragraph."""
        if kind in _REPORTS:
            # A report's headline names people it is about ("习近平主席致贺信",
            # "Minister attends…"): they speak only if a verb in the headline
            # or the body gives them words.
            for stats in self.stats.values():
                if stats.in_title and not stats.title_speaks and not stats.attributions:
                    stats.in_title = False
        if not self.segments.paragraphs:
            return
        first = self.segments.paragraphs[0]
        if len(self.text[first.start:first.end].split()) <= 3 and len(self.segments.paragraphs) > 1:
            # A label line ("Speech", "Press release") above the lead.
            first = self.segments.paragraphs[1]
        opening = self.text[first.start:first.end]
        bylines = [m.end() for m in _BYLINE.finditer(opening)]
        for cand in self.candidates:
            if cand.official is None or cand.kind != "name" or cand.start >= first.end:
                continue
            offset = cand.start - first.start
            if kind in _PARTIES or any(0 <= offset - end <= 60 for end in bylines):
                self._stats(cand.official, cand.role_text).in_title = True

    def country_of(self, official: Official) -> str | None:
        """An official's country, or the one the text gives a person (read
        only for those who speak: it costs a gazetteer lookup)."""
        if official.country:
            return official.country
        if official.terms and ENVOY.search(official.terms[-1].role):
            return None  # an envoy's mandate is no nation (``candidates.adhoc_candidates``)
        mentions = list(self.people.get(official.name, ()))  # and the title patterns' ("Taliban spokesman X")
        seen = {p.start for p in mentions}
        mentions += [Person(c.start, c.end, official.name, None, c.start) for c in self.candidates
                     if c.official is not None and c.official.name == official.name and c.start not in seen]
        mentions.sort(key=lambda p: p.start)
        if not mentions:
            return None
        # Where the text introduces the person: the first mention, or one
        # with a title ("Ambassador Gordon Sondland").
        for person in mentions:
            if self.country_hits is None:
                self.country_hits = gazetteer().hits(self.text)
            country = person_country(self.text, person, self.country_hits)
            if country:
                return country
        return None

    def role_of(self, official: Official) -> str | None:
        stats = self.stats.get(official.name)
        dated = official.role_on(self.day) if self.day else None
        if dated:
            return dated
        if stats and stats.role:
            return stats.role
        return official.last_role_before(self.day)


def attribute(title: str, text: str, day: date | None, source_country: str | None,
              quote_spans: Iterable[tuple[int, int]] = (), home_country: str | None = None) -> Attribution:
    """Who speaks in ``text``. ``home_country`` is the country an official
    named without one serves (by default the source's)."""
    home_country = home_country or source_country
    segments = Segments(text)
    result = Attribution(text, segments, day, source_country)
    quoted = sorted(quote_spans)
    in_quote = clauses.Spans(quoted)
    names = name_candidates(text, day)
    roles = [c for c in role_candidates(text) if c.start not in in_quote]
    adhoc = adhoc_candidates(text, day, home_country)
    names = sorted(names + short_name_candidates(text, names), key=lambda c: c.start)
    pronouns = [Candidate(start, end, "pronoun") for start, end in pronoun_spans(text)
                if start not in in_quote]
    names = [c for c in names if c.start not in in_quote]
    adhoc = [c for c in adhoc if c.start not in in_quote]
    people = person_candidates(text, [(c.start, c.end) for c in names + adhoc], in_quote, result.people)
    unnamed = [c for c in clauses.unnamed_candidates(text) if c.start not in in_quote]
    # A role phrase right before a name describes it ("Foreign Minister Sergei
    # Lavrov"): the name speaks, and the phrase gives the role when undated.
    named_spans = sorted(names + adhoc + people, key=lambda c: c.start)
    kept_roles = []
    for role in roles:
        follower = next((n for n in named_spans if 0 <= n.start - role.end <= 12), None)
        if follower is not None and follower.official is not None:
            follower.role_text = follower.role_text or exact_role(text[role.start:role.end], follower.official)
            continue
        if any(n.start <= role.start < n.end for n in named_spans):
            continue
        if any(0 < role.start - n.end <= 40 and clauses.APPOSITION_HEAD.fullmatch(text, n.end, role.start)
               for n in named_spans):  # "John Williams, the president of the bank, said": its description
            continue
        kept_roles.append(role)
    # "Ian Hamilton, an expert in drug use, told…": an apposition describes the name before it.
    after_name = {n.end + 2 for n in named_spans if text.startswith(", ", n.end)}
    unnamed = [u for u in unnamed if u.start not in after_name
               and not any(n.start < u.end and u.start < n.end for n in named_spans)
               and not any(r.start < u.end and u.start < r.end for r in kept_roles)]
    result.candidates = sorted(names + adhoc + people + kept_roles + unnamed + pronouns, key=lambda c: c.start)

    for cand in result.candidates:
        if cand.official is not None:
            result._stats(cand.official, cand.role_text).mentions += 1
            result.stats[cand.official.name].first = min(result.stats[cand.official.name].first, cand.start)

    last_official: Official | None = None
    last_speaker: Official | None = None
    antecedents: list[Official] = []  # the subjects named so far, for a pronoun's agreement
    holder: tuple[int, Official] | None = None
    by_sentence: dict[int, list[Candidate]] = {}
    for cand in result.candidates:
        by_sentence.setdefault(segments.sentence_index(cand.start), []).append(cand)
    verbs_by_sentence: dict[int, list[tuple[int, int]]] = {}
    for verb in speech_verbs(text):
        if verb[0] not in in_quote and not clauses.PASSIVE.search(text, max(0, verb[0] - 12), verb[0]):
            verbs_by_sentence.setdefault(segments.sentence_index(verb[0]), []).append(verb)
    turn: Official | None = None  # who holds the floor after a speaker label
    via: dict[str, set[str]] = {}  # the speech verbs that gave each speaker the floor
    labelled: list[Official] = []
    for index, sentence in enumerate(segments.sentences):
        cands = by_sentence.get(index, [])
        verbs = verbs_by_sentence.get(index, [])
        resolved: list[tuple[Candidate, Official]] = []
        blockers: list[Candidate] = []  # someone the text does not name speaks: "a spokeswoman said"
        for cand in cands:
            official = _resolve(cand, result, last_official, last_speaker)
            if cand.kind == "pronoun" and official is not None:
                official = clauses.agreeing(text, cand, official, antecedents, result.people, result.sexes)
            if official is not None:
                resolved.append((cand, official))
                if cand.kind != "pronoun" and clauses.antecedent(text, sentence.start, cand):
                    last_official = official
                    antecedents.append(official)
            elif cand.kind in ("role", "unnamed"):
                blockers.append(cand)
        label = _TURN_LABEL.match(text, sentence.start, sentence.end)
        if label is not None:
            turn = _label_speaker(label, resolved, verbs, labelled, title, result)
            if turn is not None and label.group("bracket") and index not in result.sentence_speaker:
                result.sentence_speaker[index] = turn
                result._stats(turn, None).attributions += 1
        colon = text[sentence.start:sentence.end].rstrip().endswith((":", "："))
        para = segments.paragraph_index(sentence.start)
        if holder is not None and holder[0] == para:
            # A Chinese paragraph opened by "X表示，" is X's to its end: a
            # "习近平主席指出" inside it is X citing someone, not a new speaker.
            result.sentence_speaker[index] = holder[1]
            continue
        subjects = [r for r in resolved if not clauses.object_of(text, sentence.start, r[0].start)
                    and not clauses.POSSESSOR.match(text, r[0].end)  # "Morrison, Vindman's superior, said"
                    and clauses.subject_place(text, r[0], verbs)]
        subjects = clauses.outside_appositions(text, subjects)
        anchors = [v[0] for v in verbs] or [sentence.end]
        blockers = [b for b in blockers if not clauses.object_of(text, sentence.start, b.start)
                    and not clauses.ADVERBIAL.search(text, max(sentence.start, b.start - 12), b.start)]
        if verbs and blockers and not subjects:
            result.unnamed.add(index)  # "…,” a report said.": nobody named speaks here
        if subjects and (verbs or colon or _starts_with_name_colon(text, sentence.start, resolved)):
            cand, speaker = min(subjects, key=lambda r: clauses.distance(r[0], anchors))
            if any(clauses.distance(b, anchors) < clauses.distance(cand, anchors) for b in blockers):
                result.unnamed.add(index)  # an unnamed speaker nearer the verb: "…, a spokeswoman for X said"
                continue
            result.sentence_speaker[index] = speaker
            result._stats(speaker, cand.role_text).attributions += 1
            if verbs:
                verb = min(verbs, key=lambda v: min(abs(v[0] - cand.end), abs(cand.start - v[1])))
                via.setdefault(speaker.name, set()).add(text[verb[0]:verb[1]].lower())
            last_speaker = speaker
            if (verbs and segments.paragraphs[para].start == sentence.start
                    and _ZH_OPENING.match(text, verbs[0][1]) and verbs[0][0] - cand.end <= 2):
                holder = (para, speaker)
        if turn is not None and index not in result.sentence_speaker:
            result.sentence_speaker[index] = turn

    clauses.drop_sources(result, via)

    # Headline case ("Russian Foreign Minister Warns Against…") makes every
    # word look like a name: no ad-hoc officials from such a title.
    title_adhoc = [] if _headline_case(title) else adhoc_candidates(title, day, source_country)
    title_speaks = bool(speech_verbs(title) or re.search(r"^[^:：]{2,40}[:：]", title))
    for cand in name_candidates(title, day) + title_adhoc:
        if cand.official is not None:
            stats = result._stats(cand.official, cand.role_text)
            stats.in_title = True
            stats.title_speaks = title_speaks
            stats.first = -1 if stats.first == len(text) else stats.first
    return result


# Speaker labels in transcripts and interviews: "Lin Jian: …", "毛宁：…",
# "【上川外務大臣】…", "Вопрос (агентство «Киодо»): …", "Ответ: …", "Q - …"
# / "R - …". A label naming an official gives the floor to that official:
# the sentences after it that name no speaker of their own are theirs, across
# paragraphs, up to the next label. An answer label without a name gives it
# to the last labelled official, else to the official the title names, else
# to the spokesperson in office. Any other label (a question, an outlet)
# ends the turn. A colon before a quotation mark ("Повторю: «…»", "I said
# it before: “…”") introduces a quote and is no label.
_TURN_LABEL = re.compile(
    r"\s*(?:【(?P<bracket>[^】\n]{1,30})】"
    r"|(?P<label>[^\s:：!?。？！][^:：\n!?。？！]{0,59}?)\s*[:：](?!\s*[“«\"„「‘『])"
    r"|(?P<dash>[QR])\s*[-–—]\s)")
_ANSWER_LABELS = {"a", "answer", "答", "ответ", "antwort", "réponse", "reponse", "r"}


def _label_speaker(label: re.Match[str], resolved: list[tuple[Candidate, Official]],
                   verbs: list[tuple[int, int]], labelled: list[Official], title: str,
                   result: Attribution) -> Official | None:
    group = label.lastgroup or "label"
    lo, hi = label.span(group)
    if any(lo <= v[0] < hi for v in verbs):
        return None  # "Lavrov said: …" is an attribution, not a label
    named = [o for c, o in resolved if c.kind == "name" and lo <= c.start < hi and o.official]
    if named:
        labelled.append(named[0])
        return named[0]
    key = label.group(group).strip().lower().rstrip(".")
    if key not in _ANSWER_LABELS:
        return None
    if labelled:
        return labelled[-1]
    for cand in name_candidates(title, result.day):
        if cand.official is not None and cand.official.official:
            return cand.official
    in_office = registry().in_office(SPOKESPERSON, result.source_country, result.day)
    return in_office[0] if len(in_office) == 1 else None


def _headline_case(title: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", title) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


# "Statement by Ambassador Barbara Woodward", "Rede von Moritz Leuenberger":
# the person after such a cue at the head of a text is its author.
_BYLINE = re.compile(r"\b(?:statement|speech|remarks|address|article|op-ed|message|interview|"
                     r"rede|erklärung|gastbeitrag|discours|déclaration|tribune|entretien)\s+"
                     r"(?:by|of|von|de|du)\b", re.IGNORECASE)
# Kinds whose opening names the parties that speak in them.
_PARTIES = {"joint statement", "readout"}
_REPORTS = {"news report"}
_FIRST_PERSON = {"statement", "comment", "speech", "op-ed", "interview", "media answer"}


def _starts_with_name_colon(text: str, start: int, resolved: list[tuple[Candidate, Official]]) -> bool:
    # "Lavrov: ..." or "王毅：..." speaker labels.
    first = resolved[0][0]
    return first.start - start < 3 and text[first.end:first.end + 2].lstrip()[:1] in (":", "：")


def _resolve(cand: Candidate, result: Attribution, last_official: Official | None,
             last_speaker: Official | None) -> Official | None:
    if cand.kind == "name":
        return cand.official
    if cand.kind == "pronoun":
        # The last person named as a subject ("By the time Buckley learned…,
        # she said"), else the last speaker.
        return last_official or last_speaker
    if cand.kind == "unnamed":
        return None
    if clauses.INDEFINITE.search(result.text, max(0, cand.start - 40), cand.start):
        return None  # "a spokeswoman for the US embassy": someone the text does not name
    country = ROLE_COUNTRY.get(result.text[cand.start:cand.end]) or country_near(result.text, cand.start, cand.end)
    for stats in sorted(result.stats.values(), key=lambda s: -s.first):
        if stats.first < cand.start:
            official = stats.official
            if role_family(result.role_of(official)) == cand.family and country in (None, official.country):
                return official
    in_office = registry().in_office(cand.family or "", country or result.source_country, result.day)
    if len(in_office) == 1:
        cand.role_text = in_office[0].role_on(result.day)
        return in_office[0]
    return None
