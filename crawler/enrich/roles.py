"""Role phrases: the office families they name ("the minister", "глава МИД",
"外交部发言人"), titles made plain ("British High Commissioner to Pakistan"
-> High Commissioner, GB), and the country named beside a role."""

from __future__ import annotations

import re

from crawler.enrich.countries import gazetteer
from crawler.enrich.lexicon import Lexicon, expand
from crawler.enrich.officials import (
    DEPUTY,
    FOREIGN_MINISTER,
    HEAD_OF_GOVERNMENT,
    HEAD_OF_STATE,
    SPOKESPERSON,
    Official,
    role_family,
)

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
ROLE_COUNTRY = {"External Affairs Minister": "IN", "EAM": "IN", "外務大臣": "JP", "外相": "JP",
                 "外務副大臣": "JP"}


def _role_lexicon() -> Lexicon[str]:
    forms: dict[str, str] = {}
    for family, phrases in _ROLE_FORMS.items():
        for phrase in phrases:
            for word in expand(phrase):
                forms.setdefault(word, family)
    return Lexicon(forms)


_ROLES: Lexicon[str] | None = None


def roles() -> Lexicon[str]:
    global _ROLES
    if _ROLES is None:
        _ROLES = _role_lexicon()
    return _ROLES


def exact_role(phrase: str, official: Official) -> str | None:
    family = roles().forms.get(phrase)
    for term in official.terms:
        if role_family(term.role) == family:
            return term.role
    return None


# Titles of officials who are not in officials.toml, in running text:
# "Crime Prevention Minister Jeremy Browne said", "said Nadia Cruz, the
# ombudsman", "Jane Marriott, British High Commissioner, said", "Außenministerin
# Karin Kneissl sagte". The role's country adjective gives the country.
ROLE_NOUN = (r"(?i:high commissioner|commissioner|ambassador|ombudsman|spokes(?:person|man|woman)|"
              r"counsell?or|director(?:[- ]general)?|secretary(?:[- ]general)?|minister|chancellor|"
              r"envoy|representative|premier|president|chair(?:man|woman)?|consul(?:[- ]general)?|"
              r"außenminister(?:in)?|minister(?:in)?|botschafter(?:in)?|sprecher(?:in)?|"
              r"bundeskanzler(?:in)?|staatssekretär(?:in)?|bundesrat|bundesrätin)")
# Offices of international bodies: their holders speak for no country.
INTERNATIONAL = re.compile(
    r"\b(?:UN|U\.N\.|United Nations|EU|European Union|NATO|OSCE|African Union|Arab League|"
    r"IAEA|Joint Special)\b")
ENVOY = re.compile(r"(?i)\b(?:envoy|special representative)\b")
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
    "public ombudsman": "Ombudsman", "public defender": "Ombudsman",
}


def role_title(phrase: str) -> tuple[str, str | None]:
    """"British High Commissioner to Pakistan" -> ("High Commissioner", "GB");
    "Minister for Foreign Affairs of Japan" -> ("Foreign Minister", "JP")."""
    words = phrase.split()
    # The title begins after the last function word before the role noun:
    # "Statement by Foreign Minister" -> "Foreign Minister".
    head = next((i for i, w in enumerate(words) if re.fullmatch(ROLE_NOUN, w.strip(",")) is not None), 0)
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
# Titles of officials are in ZH_ROLES; other titles (技师, 博士生) make a
# person whose quotes are theirs but who is no official speaker.
ZH_ROLES = [
    ("公使衔参赞", "Minister-Counsellor"), ("副司长", "Deputy Director-General"), ("司长", "Director-General"),
    ("副局长", "Deputy Director"), ("局长", "Director"), ("副部长", "Deputy Minister"), ("部长", "Minister"),
    ("大使", "Ambassador"), ("参赞", "Counsellor"), ("公使", "Minister"), ("总领事", "Consul General"),
    ("领事", "Consul"), ("发言人", "Spokesperson"), ("负责人", "Head"), ("副主任", "Deputy Director"),
    ("主任", "Director"), ("秘书长", "Secretary-General"), ("代办", "Chargé d'Affaires"),
    ("外长", "Foreign Minister"), ("外交部长", "Foreign Minister"), ("总统", "President"),
    ("总理", "Prime Minister"), ("首相", "Prime Minister"), ("市长", "Mayor"), ("省长", "Governor"),
]
_CLAUSE_END = re.compile(r"[!?;:\n。，；：！？]|[a-zа-яё]\.\s|,\s")


# A country named right after "to" is where someone is sent or goes ("envoy
# to Ukraine", "ambassador to the US", "a visit to China"): never their own.
_DESTINATION = re.compile(r"(?i)\bto\s+(?:the\s+)?$")


def country_near(text: str, start: int, end: int) -> str | None:
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
        if _DESTINATION.search(window, 0, hit.start):
            continue  # "envoy to Ukraine", "ambassador to the US": the host's country
        distance = min(abs(window_start + hit.end - start), abs(window_start + hit.start - end))
        if best is None or distance < best[0]:
            best = (distance, hit.value[0])
    return best[1] if best else None
