"""Speech verbs and pronouns in a text, as character spans: where a
sentence says that someone spoke, and the words that stand for a person
just named."""

from __future__ import annotations

import re

from crawler.enrich.lexicon import _trie_pattern, expand

# Pronouns, and words that stand for the person just named: "the diplomat",
# "дипломат", and the object of "according to her", "по ее словам".
# (The lookahead lets ``re`` skip to the letters a pronoun begins with.)
_PRONOUNS = re.compile(r"(?=[HhSsОоIiEeДд])\b(?:[Hh]e|[Ss]he|[Оо]н|[Оо]на|[Ii]l|[Ee]lle|[Ee]r|"
                       r"[Дд]ипломат(?:а|у|ом|е)?)\b")
_CJK_PRONOUNS = re.compile(r"他|她|彼女?")
_PRONOUN_PHRASES = re.compile(r"\b[Aa]ccording to (?P<obj>him|her)\b|\b[Пп]о (?P<ru>его|ее|её)(?= (?:словам|мнению))"
                              r"|\b[Tt]he (?P<dip>diplomat)\b")


def pronoun_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _PRONOUNS.finditer(text)]
    if CJK_CHAR.search(text):
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
_EN_VERB_WORDS = """
said says say told tells stated states noted notes stressed stresses emphasised emphasized
added adds warned warns declared remarked explained insisted argued asserted described
called urged underlined underscored pointed_out announced commented replied answered
according_to wrote accused reiterated
responded responds acknowledged acknowledges recalled recalls admitted admits conceded concedes
continued suggested suggests observed observes tweeted tweets posted testified testifies
asked asks countered joked lamented cautioned predicted
promised vowed pledged agreed agrees complained boasted
claimed denied denies maintained contended concluded
shared texted emailed reported writes adds explains argues insists
confirmed confirms revealed disclosed repeated recounted recounts reflected
quipped mused exclaimed shouted yelled wondered wonders replies announces
comments assures assured weighed_in chimed_in has_written cautions
begged pleaded implored saying
""".split()
_VERB_WORDS = _EN_VERB_WORDS + """
berkata mengatakan menyatakan ujar kata
заявил{,а,и} заявляет по_{его,ее,её,их}_словам по_{его,ее,её}_мнению сказал{,а,и} отметил{,а,и} подчеркнул{,а,и} добавил{,а,и} сообщил{,а,и}
указал{,а,и} заметил{,а,и} призвал{,а,и} говорит по_словам по_мнению пояснил{,а,и}
констатировал{,а,и} назвал{,а,и} напомнил{,а,и} выразил{,а,и}
a_déclaré a_dit a_affirmé a_souligné a_ajouté a_indiqué a_estimé déclare selon d'après d’après
a_expliqué a_rappelé a_assuré
sagte sagt erklärte betonte laut fügte kritisierte warnte forderte
""".split()
_VERB_FORMS = [word for form in _VERB_WORDS for word in expand(form.replace("_", " "))]
# English ones: an English speaker follows the verb only at once ("said Smith").
ENGLISH_VERBS = frozenset(form.replace("_", " ") for form in _EN_VERB_WORDS)
# A word start and a verb's first letter first: ``re`` skips the rest (a third faster).
_VERBS_LOWER = re.compile(r"\b(?=[" + re.escape("".join(sorted({f[0] for f in _VERB_FORMS}))) + "])"
                          + _trie_pattern(_VERB_FORMS) + r"\b")
_VERBS_ANYCASE = re.compile(r"\b" + _trie_pattern(_VERB_FORMS) + r"\b", re.IGNORECASE)
_VERBS_CJK = re.compile(r"表示|指出|强调|说|称|介绍|回答|重申|认为|宣布|と述べ|と語っ|と強調|と表明|によると")
# Arabic, with the conjunctions و/ف written onto the verb: "وقال", "وأضاف".
_VERBS_ARABIC = re.compile(r"(?<!\w)[وف]?(?:قال|قالت|أكد|أكدت|أضاف|أضافت|صرح|صرحت|أوضح|أوضحت|أشار|أشارت|"
                           r"تابع|وفقا ل)(?!\w)")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD_CHAR = re.compile(r"\w")
# "added 25 points", "adds two goals": a score, not words (checked after any verb: only
# "added"/"adds" can be followed by a number in the list).
_ADDED_COUNT = re.compile(r"(?:(?<=added)|(?<=adds)) (?:\d|(?:two|three|four|five|six|seven|eight|nine|ten)\b)")


def _named(text: str, start: int, end: int) -> bool:
    """Whether the verb at ``start:end`` is a capitalised word inside a
    sentence: part of a name ("the League of Arab States", "Says Who"), not
    speech. Verbs are written lower case but where a sentence begins
    ("Asked about the talks, he said"), or in capitals ("HE SAID")."""
    if not text[start].isupper() or text[start:end].isupper():
        return False
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in ".!?:;\"'“”‘’«»„(—–-\n"


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
            if not _ADDED_COUNT.match(lower, match.end()) and not _named(text, *match.span()):
                spans.append(match.span())
            pos = match.end()
    else:  # a letter whose lower case is longer ("İ") would shift the offsets
        spans = [m.span() for m in _VERBS_ANYCASE.finditer(text)]
    if CJK_CHAR.search(text):
        spans += [m.span() for m in _VERBS_CJK.finditer(text)]
    if _ARABIC.search(text):
        spans += [m.span() for m in _VERBS_ARABIC.finditer(text)]
    spans.sort()
    return spans
