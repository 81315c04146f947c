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
4. a pronoun ("he", "он", "他"), "the diplomat" / "дипломат" and the object
   of "according to her" / "по ее словам" are the last speaker, else the
   last official; an official's family name alone ("Wang told…") is the
   official the text named in full before.

Of several candidates in a sentence the one nearest the verb speaks. A role
phrase's country is the one named next to it in the same clause, or the one
country that uses the phrase ("EAM": India). In transcripts and interviews a
speaker label ("Lin Jian:", "【上川外務大臣】", "Ответ:", "R -") gives the
floor to its official until the next label (``_TURN_LABEL``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from crawler.enrich.countries import gazetteer
from crawler.enrich.lexicon import Lexicon, _trie_pattern, expand
from crawler.enrich.officials import (
    DEPUTY,
    FOREIGN_MINISTER,
    HEAD_OF_GOVERNMENT,
    HEAD_OF_STATE,
    SPOKESPERSON,
    Official,
    Term,
    registry,
    role_family,
)
from crawler.enrich.segments import Segments

_FM, _SP, _DEP, _HS, _HG = FOREIGN_MINISTER, SPOKESPERSON, DEPUTY, HEAD_OF_STATE, HEAD_OF_GOVERNMENT

# Role phrases per family. Russian ones carry case endings ({М}, {Ж}).
_ROLE_FORMS: dict[str, list[str]] = {
    _FM: [
        "Foreign Minister", "foreign minister", "Minister of Foreign Affairs", "minister",
        "Minister", "Secretary of State", "Secretary", "Foreign Secretary", "foreign secretary",
        "External Affairs Minister", "EAM", "top diplomat", "chief diplomat", "Außenministerin",
        "министр{М} иностранных дел", "Министр{М} иностранных дел", "министр{М}", "Министр{М}",
        "глав{Ж} МИД", "глав{Ж} МИД России", "глав{Ж} российского МИД", "глав{Ж} внешнеполитического ведомства",
        "глав{Ж} российской дипломатии", "госсекретар{ь,я,ю,ём,ем,е}", "Госсекретар{ь,я,ю,ём,ем,е}",
        "外交部长", "外长", "部长", "国务卿", "外交大臣", "外務大臣", "外相", "大臣",
        "ministre des Affaires étrangères", "ministre", "chef de la diplomatie",
        "وزير الخارجية", "ووزير الخارجية", "وزيرة الخارجية",
        "Außenminister", "Außenministerin", "Minister", "Ministerin", "Außenministers",
    ],
    _SP: [
        "spokesperson", "Spokesperson", "spokesman", "Spokesman", "spokeswoman", "Spokeswoman",
        "official representative", "Official Representative", "press secretary",
        "официальн{ый,ого,ому,ым,ом} представител{ь,я,ю,ем,е}",
        "Официальн{ый,ого,ому,ым,ом} представител{ь,я,ю,ем,е}", "представител{ь,я,ю,ем,е} МИД",
        "外交部发言人", "发言人", "報道官", "porte-parole", "Sprecher", "Sprecherin",
    ],
    _DEP: [
        "Deputy Foreign Minister", "deputy foreign minister", "Vice Foreign Minister",
        "vice foreign minister", "Deputy Secretary of State", "Deputy Minister", "deputy minister",
        "заместител{ь,я,ю,ем,е} министра иностранных дел", "Заместител{ь,я,ю,ем,е} министра иностранных дел",
        "замминистра", "Замминистра", "замглав{Ж} МИД", "副外长", "副部长", "外務副大臣",
    ],
    _HS: ["President", "president", "президент{М}", "Президент{М}", "国家主席", "主席", "président",
          "Präsident", "Bundespräsident"],
    _HG: ["Prime Minister", "prime minister", "Premier", "premier", "Chancellor", "chancellor",
          "премьер-министр{М}", "Премьер-министр{М}", "председател{ь,я,ю,ем} правительства",
          "总理", "首相", "総理", "Premier ministre", "Premier Ministre", "Bundeskanzler",
          "Bundeskanzlerin", "Kanzler", "Kanzlerin"],
}

# Role phrases only one country uses: "EAM" is India's minister whoever else
# the text names.
_ROLE_COUNTRY = {"External Affairs Minister": "IN", "EAM": "IN", "外務大臣": "JP", "外相": "JP",
                 "外務副大臣": "JP"}

_ZH_OPENING = re.compile(r"[，：,:]")
# Pronouns, and words that stand for the person just named: "the diplomat",
# "дипломат", and the object of "according to her", "по ее словам".
# (The lookahead lets ``re`` skip to the letters a pronoun begins with.)
_PRONOUNS = re.compile(r"(?=[HhSsОоIiEeДд])\b(?:[Hh]e|[Ss]he|[Оо]н|[Оо]на|[Ii]l|[Ee]lle|[Ee]r|"
                       r"[Дд]ипломат(?:а|у|ом|е)?)\b")
_CJK_PRONOUNS = re.compile(r"他|她|彼女?")
_PRONOUN_PHRASES = re.compile(r"\b[Aa]ccording to (?P<obj>him|her)\b|\b[Пп]о (?P<ru>его|ее|её)(?= (?:словам|мнению))"
                              r"|\b[Tt]he (?P<dip>diplomat)\b")


def _pronoun_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _PRONOUNS.finditer(text)]
    if _CJK_CHAR.search(text):
        spans += [m.span() for m in _CJK_PRONOUNS.finditer(text)]
        spans.sort()
    if "ccording to h" in text or "ловам" in text or "нению" in text or "diplomat" in text:
        spans += [m.span(m.lastgroup or 0) for m in _PRONOUN_PHRASES.finditer(text)]
        spans.sort()
    return spans

# Speech verbs, matched as whole words in any case ("Said", "ЗАЯВИЛ"). They
# are found in one pass over the text (``speech_verbs``), not per sentence:
# the Latin and Cyrillic ones as a trie over the lower-cased text, which lets
# ``re`` skip to the letters a verb can begin with.
_VERB_WORDS = """
said says say told tells stated states noted notes stressed stresses emphasised emphasized
added adds warned warns declared remarked explained insisted argued asserted described
called urged underlined underscored pointed_out announced commented replied answered
according_to wrote accused reiterated
заявил{,а,и} заявляет по_{его,ее,её,их}_словам по_{его,ее,её}_мнению сказал{,а,и} отметил{,а,и} подчеркнул{,а,и} добавил{,а,и} сообщил{,а,и}
указал{,а,и} заметил{,а,и} призвал{,а,и} говорит по_словам по_мнению пояснил{,а,и}
констатировал{,а,и} назвал{,а,и} напомнил{,а,и} выразил{,а,и}
a_déclaré a_dit a_affirmé a_souligné a_ajouté a_indiqué a_estimé déclare selon d'après d’après
a_expliqué a_rappelé a_assuré
sagte sagt erklärte betonte laut fügte kritisierte warnte forderte
""".split()
_VERB_FORMS = [word for form in _VERB_WORDS for word in expand(form.replace("_", " "))]
_VERBS_LOWER = re.compile(_trie_pattern(_VERB_FORMS) + r"\b")
_VERBS_ANYCASE = re.compile(r"\b" + _trie_pattern(_VERB_FORMS) + r"\b", re.IGNORECASE)
_VERBS_CJK = re.compile(r"表示|指出|强调|说|称|介绍|回答|重申|认为|宣布|と述べ|と語っ|と強調|と表明|によると")
# Arabic, with the conjunctions و/ف written onto the verb: "وقال", "وأضاف".
_VERBS_ARABIC = re.compile(r"(?<!\w)[وف]?(?:قال|قالت|أكد|أكدت|أضاف|أضافت|صرح|صرحت|أوضح|أوضحت|أشار|أشارت|"
                           r"تابع|وفقا ل)(?!\w)")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD_CHAR = re.compile(r"\w")


def speech_verbs(text: str) -> list[tuple[int, int]]:
    """Spans of the speech verbs in ``text``, in order."""
    spans: list[tuple[int, int]] = []
    lower = text.lower()
    if len(lower) == len(text):
        pos = 0
        while (match := _VERBS_LOWER.search(lower, pos)) is not None:
            start = match.start()
            if start and _WORD_CHAR.match(lower, start - 1):
                pos = start + 1  # inside a word: "unsaid"
                continue
            spans.append(match.span())
            pos = match.end()
    else:  # a letter whose lower case is longer ("İ") would shift the offsets
        spans = [m.span() for m in _VERBS_ANYCASE.finditer(text)]
    if _CJK_CHAR.search(text):
        spans += [m.span() for m in _VERBS_CJK.finditer(text)]
    if _ARABIC.search(text):
        spans += [m.span() for m in _VERBS_ARABIC.finditer(text)]
    spans.sort()
    return spans


@dataclass
class Candidate:
    start: int
    end: int
    kind: str  # "name" | "role" | "pronoun"
    official: Official | None = None
    family: str | None = None
    role_text: str | None = None


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
        for hit in _roles().finditer(title):
            country = _country_near(title, hit.start, hit.end) or self.source_country
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

    def role_of(self, official: Official) -> str | None:
        stats = self.stats.get(official.name)
        dated = official.role_on(self.day) if self.day else None
        if dated:
            return dated
        if stats and stats.role:
            return stats.role
        return official.last_role_before(self.day)


def _role_lexicon() -> Lexicon[str]:
    forms: dict[str, str] = {}
    for family, phrases in _ROLE_FORMS.items():
        for phrase in phrases:
            for word in expand(phrase):
                forms.setdefault(word, family)
    return Lexicon(forms)


_ROLES: Lexicon[str] | None = None


def _roles() -> Lexicon[str]:
    global _ROLES
    if _ROLES is None:
        _ROLES = _role_lexicon()
    return _ROLES


def attribute(title: str, text: str, day: date | None, source_country: str | None,
              quote_spans: Iterable[tuple[int, int]] = ()) -> Attribution:
    segments = Segments(text)
    result = Attribution(text, segments, day, source_country)
    quoted = sorted(quote_spans)
    names = _name_candidates(text, day)
    roles = [c for c in _role_candidates(text) if not _inside(c.start, quoted)]
    adhoc = _adhoc_candidates(text, day, source_country)
    names = sorted(names + _short_name_candidates(text, names), key=lambda c: c.start)
    pronouns = [Candidate(start, end, "pronoun") for start, end in _pronoun_spans(text)
                if not _inside(start, quoted)]
    names = [c for c in names if not _inside(c.start, quoted)]
    # A role phrase right before a name describes it ("Foreign Minister Sergei
    # Lavrov"): the name speaks, and the phrase gives the role when undated.
    named_spans = sorted(names + adhoc, key=lambda c: c.start)
    kept_roles = []
    for role in roles:
        follower = next((n for n in named_spans if 0 <= n.start - role.end <= 12), None)
        if follower is not None and follower.official is not None:
            follower.role_text = follower.role_text or _exact_role(text[role.start:role.end], follower.official)
            continue
        if any(n.start <= role.start < n.end for n in named_spans):
            continue
        kept_roles.append(role)
    result.candidates = sorted(names + adhoc + kept_roles + pronouns, key=lambda c: c.start)

    for cand in result.candidates:
        if cand.official is not None:
            result._stats(cand.official, cand.role_text).mentions += 1
            result.stats[cand.official.name].first = min(result.stats[cand.official.name].first, cand.start)

    last_official: Official | None = None
    last_speaker: Official | None = None
    holder: tuple[int, Official] | None = None
    by_sentence: dict[int, list[Candidate]] = {}
    for cand in result.candidates:
        by_sentence.setdefault(segments.sentence_index(cand.start), []).append(cand)
    verbs_by_sentence: dict[int, list[tuple[int, int]]] = {}
    for verb in speech_verbs(text):
        if not _inside(verb[0], quoted):
            verbs_by_sentence.setdefault(segments.sentence_index(verb[0]), []).append(verb)
    turn: Official | None = None  # who holds the floor after a speaker label
    labelled: list[Official] = []
    for index, sentence in enumerate(segments.sentences):
        cands = by_sentence.get(index, [])
        verbs = verbs_by_sentence.get(index, [])
        resolved: list[tuple[Candidate, Official]] = []
        for cand in cands:
            official = _resolve(cand, result, last_official, last_speaker)
            if official is not None:
                resolved.append((cand, official))
                if cand.kind != "pronoun":
                    last_official = official
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
        if resolved and (verbs or colon or _starts_with_name_colon(text, sentence.start, resolved)):
            anchor = verbs[0][0] if verbs else sentence.end
            cand, speaker = min(resolved, key=lambda r: min(abs(r[0].start - anchor), abs(r[0].end - anchor)))
            result.sentence_speaker[index] = speaker
            result._stats(speaker, cand.role_text).attributions += 1
            last_speaker = speaker
            if (verbs and segments.paragraphs[para].start == sentence.start
                    and _ZH_OPENING.match(text, verbs[0][1]) and verbs[0][0] - cand.end <= 2):
                holder = (para, speaker)
        if turn is not None and index not in result.sentence_speaker:
            result.sentence_speaker[index] = turn

    # Headline case ("Russian Foreign Minister Warns Against…") makes every
    # word look like a name: no ad-hoc officials from such a title.
    title_adhoc = [] if _headline_case(title) else _adhoc_candidates(title, day, source_country)
    title_speaks = bool(speech_verbs(title) or re.search(r"^[^:：]{2,40}[:：]", title))
    for cand in _name_candidates(title, day) + title_adhoc:
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
    for cand in _name_candidates(title, result.day):
        if cand.official is not None and cand.official.official:
            return cand.official
    in_office = registry().in_office(SPOKESPERSON, result.source_country, result.day)
    return in_office[0] if len(in_office) == 1 else None


# Chinese and Korean names put the family name first: "Wang Yi" is "Wang"
# on second mention, "Antony Blinken" is "Blinken".
_FAMILY_NAME_FIRST = {"CN", "KP", "KR", "TW"}


def _short_name_candidates(text: str, names: list[Candidate]) -> list[Candidate]:
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


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= offset < e for s, e in spans)


def _exact_role(phrase: str, official: Official) -> str | None:
    family = _roles().forms.get(phrase)
    for term in official.terms:
        if role_family(term.role) == family:
            return term.role
    return None


def _name_candidates(text: str, day: date | None) -> list[Candidate]:
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


def _adhoc_candidates(text: str, day: date | None, source_country: str | None = None) -> list[Candidate]:
    reg = registry()
    out: list[Candidate] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, start: int, end: int, role: str, country: str | None, official: bool = True) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        if reg.names.forms.get(name) is not None or any(h.value for h in reg.names.finditer(name)):
            return  # a known official: the name lexicon has it
        taken.append((start, end))
        person = Official(name, country or "", (Term(role, date.min, None),) if role else (), official)
        out.append(Candidate(start, end, "name", person, None, role or None))

    for matches in (_role_name_matches(text), _NAME_ROLE.finditer(text)):
        for match in matches:
            name = _clean_name(match.group("name"))
            if name is None:
                continue
            role, country = _role_title(match.group("role"))
            if _INTERNATIONAL.search(match.group("role")):
                country = None  # a UN or EU envoy: "for Syria" is the mandate, not the nation
            elif _ENVOY.search(role):
                # An envoy named without a nation is as often another
                # country's, or the UN's, as the source's own.
                country = country or _country_near(text, match.start("role"), match.end("role"))
            else:
                country = (country or _country_near(text, match.start("role"), match.end("role"))
                           or source_country)
            add(name, match.start("name"), match.start("name") + len(name), role, country)
    for match in _ZH_NAME.finditer(text) if _CJK_CHAR.search(text) else ():
        title = match.group("title")
        role = next((en for zh, en in _ZH_ROLES if title.endswith(zh)), None)
        country = _country_near(text, match.start("title"), match.start("title"))
        add(match.group("name"), match.start("name"), match.end("name"), role or "", country or source_country,
            role is not None)
    return out


# Titles of officials who are not in officials.toml, in running text:
# "Crime Prevention Minister Jeremy Browne said", "said Nadia Cruz, the
# ombudsman", "Jane Marriott, British High Commissioner, said", "Außenministerin
# Karin Kneissl sagte". The role's country adjective gives the country.
_ROLE_NOUN = (r"(?i:high commissioner|commissioner|ambassador|ombudsman|spokes(?:person|man|woman)|"
              r"counsell?or|director(?:[- ]general)?|secretary(?:[- ]general)?|minister|chancellor|"
              r"envoy|representative|premier|president|chair(?:man|woman)?|consul(?:[- ]general)?|"
              r"außenminister(?:in)?|minister(?:in)?|botschafter(?:in)?|sprecher(?:in)?|"
              r"bundeskanzler(?:in)?|staatssekretär(?:in)?|bundesrat|bundesrätin)")
_HONORIFIC = r"(?:(?:Dr|Mr|Ms|Mrs|Senator|Sir|Dame|Lord|Baroness|H\.E|Herr|Frau|M|Mme)\.?\s+)*"
_NAME_WORD = r"(?:[A-Z][a-zà-ÿāēīōū'’-]+|[A-Z]{2,}(?:-[A-Za-z]+)?|[A-Z][a-z]+-[a-z]+)"
_NAME = _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){1,2}"
_OF_PLACE = r"(?:\s+(?:of|for|to)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+(?:of\s+)?[A-Z][\w-]*){0,3})?"
_ROLE_NAME = re.compile(
    r"(?P<role>(?:[A-Za-z][\w-]*\s+){0,3}?" + _ROLE_NOUN + r"\b" + _OF_PLACE + r"),?\s+" + _HONORIFIC
    + r"(?P<name>" + _NAME + r")")
_NAME_ROLE = re.compile(
    # Every match begins with a capital: the lookahead spares trying the
    # honorifics at every other character.
    r"(?=[A-Z])" + _HONORIFIC + r"(?P<name>" + _NAME + r")(?:\s+[A-Z]{2,5})*,\s+(?:the\s+|a\s+)?"
    r"(?P<role>(?:[\w-]+\s+){0,4}?" + _ROLE_NOUN + r"\b" + _OF_PLACE + r")\s*[,.;:]")
# _ROLE_NOUN is case-insensitive throughout: searched in lower-cased text
# without the flag, which ``re`` runs several times faster.
_ROLE_NOUN_LOWER = re.compile(_ROLE_NOUN.removeprefix("(?i:").removesuffix(")"))
_ASCII_LETTER = re.compile(r"[A-Za-z]")


# Offices of international bodies: their holders speak for no country.
_INTERNATIONAL = re.compile(
    r"\b(?:UN|U\.N\.|United Nations|EU|European Union|NATO|OSCE|African Union|Arab League|"
    r"IAEA|Joint Special)\b")
_ENVOY = re.compile(r"(?i)\b(?:envoy|special representative)\b")


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
_ROLE_STOP = {"the", "a", "an", "and", "said", "says", "told", "of", "by", "with", "to", "from", "as",
              "that", "which", "who", "former", "new", "then", "its", "his", "her", "their", "our",
              "der", "die", "des", "den", "und", "von", "statement", "speech", "remarks", "article",
              "interview", "message", "address", "visit", "call"}
_CANONICAL_ROLE = {
    "minister for foreign affairs": "Foreign Minister", "minister of foreign affairs": "Foreign Minister",
    "foreign minister": "Foreign Minister", "außenminister": "Foreign Minister",
    "außenministerin": "Foreign Minister", "spokesman": "Spokesperson", "spokeswoman": "Spokesperson",
    "spokesperson": "Spokesperson", "sprecher": "Spokesperson", "sprecherin": "Spokesperson",
    "botschafter": "Ambassador", "botschafterin": "Ambassador", "bundeskanzler": "Chancellor",
    "bundeskanzlerin": "Chancellor", "bundesrat": "Federal Councillor", "bundesrätin": "Federal Councillor",
}


def _clean_name(name: str) -> str | None:
    words = re.sub(r"['’]s$", "", name).split()
    while words and words[-1] in _NOT_NAME:
        words.pop()
    if len(words) < 2 or words[0] in _NOT_NAME or any(w in _NOT_NAME for w in words):
        return None
    if all(w.isupper() for w in words):
        return None  # an acronym run, not a name
    return " ".join(words)


def _role_title(phrase: str) -> tuple[str, str | None]:
    """"British High Commissioner to Pakistan" -> ("High Commissioner", "GB");
    "Minister for Foreign Affairs of Japan" -> ("Foreign Minister", "JP")."""
    words = phrase.split()
    # The title begins after the last function word before the role noun:
    # "Statement by Foreign Minister" -> "Foreign Minister".
    head = next((i for i, w in enumerate(words) if re.fullmatch(_ROLE_NOUN, w.strip(",")) is not None), 0)
    cut = max((i + 1 for i, w in enumerate(words[:head]) if w.lower() in _ROLE_STOP), default=0)
    words = words[cut:]
    # Cut a trailing "of/for/to <place>": the country of "of"/"for" is the
    # official's own, that of "to" is the host's.
    country = None
    core = " ".join(words)
    tail = re.search(r"\s+(of|for|to)\s+(?:the\s+)?(?P<place>[A-Z].*)$", core)
    if tail and not re.match(r"(?i)foreign affairs\b", tail.group("place")):
        if tail.group(1) != "to":
            country = next((h.value[0] for h in gazetteer().hits(tail.group("place"))), None)
        core = core[: tail.start()]
    elif tail:
        rest = re.search(r"\s+of\s+(?:the\s+)?(?P<place>[A-Z][^,]*)$", tail.group("place"))
        if rest:
            country = next((h.value[0] for h in gazetteer().hits(rest.group("place"))), None)
            core = core[: len(core) - len(rest.group(0))]
    kept = []
    for word in core.split():
        hit = next(iter(gazetteer().hits(word)), None)
        if hit is not None and hit.end - hit.start == len(word):
            country = country or hit.value[0]
            continue
        kept.append(word)
    role = " ".join(kept)
    canonical = _CANONICAL_ROLE.get(role.lower())
    if canonical:
        return canonical, country
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in kept), country


# Chinese: "<title><name>表示/说" ("国际合作司副司长姚建廷说", "博士生泰勒斯表示").
# Titles of officials are in _ZH_ROLES; other titles (技师, 博士生) make a
# person whose quotes are theirs but who is no official speaker.
_ZH_ROLES = [
    ("公使衔参赞", "Minister-Counsellor"), ("副司长", "Deputy Director-General"), ("司长", "Director-General"),
    ("副局长", "Deputy Director"), ("局长", "Director"), ("副部长", "Deputy Minister"), ("部长", "Minister"),
    ("大使", "Ambassador"), ("参赞", "Counsellor"), ("公使", "Minister"), ("总领事", "Consul General"),
    ("领事", "Consul"), ("发言人", "Spokesperson"), ("负责人", "Head"), ("副主任", "Deputy Director"),
    ("主任", "Director"), ("秘书长", "Secretary-General"), ("代办", "Chargé d'Affaires"),
    ("外长", "Foreign Minister"), ("外交部长", "Foreign Minister"), ("总统", "President"),
    ("总理", "Prime Minister"), ("首相", "Prime Minister"), ("市长", "Mayor"), ("省长", "Governor"),
]
_ZH_NAME = re.compile(
    r"(?P<title>[\u4e00-\u9fff]{0,6}(?:师|员|生|长|官|任|人|使|赞|事|家|授|理|席|办|相))"
    r"(?P<name>[\u4e00-\u9fff]{2,3}|[\u4e00-\u9fff]{1,5}[·・][\u4e00-\u9fff]{1,6})"
    r"(?=(?:表示|说|指出|强调|认为|介绍|称))")


def _role_candidates(text: str) -> list[Candidate]:
    return [Candidate(h.start, h.end, "role", family=h.value) for h in _roles().finditer(text)]


_CLAUSE_END = re.compile(r"[!?;:\n。，；：！？]|[a-zа-яё]\.\s|,\s")


def _country_near(text: str, start: int, end: int) -> str | None:
    # "Russian Foreign Minister", "глава российского МИД", "中国外交部发言人",
    # "министр иностранных дел России": a country named within a few words.
    window_start = max(0, start - 30)
    # Not across a sentence or clause end: "…fled to South Sudan. The
    # Foreign Secretary said" names no Sudanese minister.
    for stop in _CLAUSE_END.finditer(text, window_start, start):
        window_start = stop.end()
    window_end = min(len(text), end + 25)
    stop = _CLAUSE_END.search(text, end, window_end)
    window = text[window_start:stop.start() if stop else window_end]
    best: tuple[int, str] | None = None
    for hit in gazetteer().hits(window):
        distance = min(abs(window_start + hit.end - start), abs(window_start + hit.start - end))
        if best is None or distance < best[0]:
            best = (distance, hit.value[0])
    return best[1] if best else None


def _resolve(cand: Candidate, result: Attribution, last_official: Official | None,
             last_speaker: Official | None) -> Official | None:
    if cand.kind == "name":
        return cand.official
    if cand.kind == "pronoun":
        return last_speaker or last_official
    country = _ROLE_COUNTRY.get(result.text[cand.start:cand.end]) or _country_near(result.text, cand.start, cand.end)
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
