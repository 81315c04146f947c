"""Briefing transcripts split into question, answer and remark turns.

A turn starts at a paragraph that opens with a speaker label and a colon:

- questions: "Q:", "Question:", "QUESTION:", "问：", "Вопрос:", "Frage:";
  or an outlet: "AFP:", "Bloomberg:", "法新社记者：", "总台央视记者：";
- answers: "A:", "Answer:", "答：", "Ответ:", "Antwort:", "Réponse:"; or the
  spokesperson's name: "MR MILLER:", "Maria Zakharova:", "М.В.Захарова:".

Paragraphs without a label continue the turn before them. Paragraphs before
the first question are the spokesperson's opening remarks; in mid.ru
briefings they come in headed sections, and each heading (a short line
without final punctuation) starts a new remark turn. A text is a transcript
only when it has at least one question and one answer label.
"""

from __future__ import annotations

import re
from datetime import date

from crawler.enrich.officials import SPOKESPERSON, Official, registry, role_family

_LABEL = re.compile(r"^\s*(?P<label>[^:：\n]{1,60}?)\s*[:：]\s*(?P<rest>\S.*)?$", re.DOTALL)
_QUESTION = {"q", "question", "问", "вопрос", "frage", "questions", "журналист"}
_ANSWER = {"a", "answer", "答", "ответ", "antwort", "réponse", "reponse"}
# "MR MILLER:", and officials labelled by title: "SECRETARY BLINKEN:", "Minister Wong:".
_TITLE = re.compile(r"^(?:MR\.?|MS\.?|MRS\.?|Mr\.?|Ms\.?|Mrs\.?|DR\.?|Dr\.?|"
                    r"(?:FOREIGN\s+|Foreign\s+|DEPUTY\s+|Deputy\s+)?(?:SECRETARY|Secretary|MINISTER|Minister)|"
                    r"AMBASSADOR|Ambassador|PRESIDENT|President|SPOKESPERSON|Spokesperson)\s+(?P<surname>[\w'’-]+)$")
# Outlets printed as labels in Chinese transcripts end with 记者 ("reporter").
_ZH_REPORTER = re.compile(r"^(?P<outlet>.{1,20}?)(?:的)?记者$")
_HEADING_END = re.compile(r"[.!?。！？:：;»”\"]\s*$")
# Label words that are not speakers: headings such as "Note:" or "Update:".
_NOT_OUTLET = {"note", "update", "editor's note", "source", "photo", "примечание", "注", "备注"}


def split_turns(paragraphs: list[str], title: str, day: date | None,
                source_country: str | None) -> tuple[list[tuple[str, str | None, str | None, str]], bool]:
    """Return ``[(kind, speaker, outlet, text)]`` and whether the text is a transcript."""
    # Extraction sometimes prints the title as the first line: it is no remark.
    if paragraphs and title and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]
    spokesperson = _spokesperson(title, paragraphs, day, source_country)
    labelled: list[tuple[str, str | None, str | None, str] | None] = []
    questions = answers = 0
    for para in paragraphs:
        turn = _label(para, spokesperson, day, source_country)
        labelled.append(turn)
        if turn and turn[0] == "question":
            questions += 1
        elif turn and turn[0] == "answer":
            answers += 1
    if not (questions and answers):
        return [], False

    turns: list[list] = []
    seen_question = False
    for para, turn in zip(paragraphs, labelled, strict=True):
        if turn is not None:
            kind, speaker, outlet, text = turn
            if kind == "answer" and not seen_question:
                kind = "remark"
            seen_question = seen_question or kind == "question"
            turns.append([kind, speaker, outlet, text])
        elif not seen_question and (not turns or _is_heading(para)):
            turns.append(["remark", spokesperson, None, para.strip()])
        elif turns:
            turns[-1][3] = f"{turns[-1][3]}\n{para.strip()}".strip()
    return [tuple(t) for t in turns if t[3]], True


def _is_heading(para: str) -> bool:
    text = para.strip()
    return 0 < len(text) <= 150 and not _HEADING_END.search(text)


def _label(para: str, spokesperson: str | None, day: date | None,
           source_country: str | None) -> tuple[str, str | None, str | None, str] | None:
    match = _LABEL.match(para)
    if not match:
        return None
    label, rest = match.group("label").strip(), (match.group("rest") or "").strip()
    key = label.lower().rstrip(".")
    if key in _QUESTION:
        return ("question", None, None, rest)
    if key in _ANSWER:
        return ("answer", spokesperson, None, rest)
    reporter = _ZH_REPORTER.match(label)
    if reporter:
        return ("question", None, reporter.group("outlet"), rest)
    official = _official_label(label, day, source_country)
    if official is not None:
        return ("answer", official.name, None, rest)
    title = _TITLE.match(label)
    if title:
        # "MR MILLER:" of someone not in officials.toml: a named speaker, not a reporter.
        prefix = title.group(0)[: title.start("surname")].strip()
        return ("answer", f"{prefix.title()} {title.group('surname').title()}", None, rest)
    words = label.split()
    if (key not in _NOT_OUTLET and 1 <= len(words) <= 5 and label[:1].isupper()
            and not label.isdigit() and ("?" in rest or "？" in rest)):
        return ("question", None, None if key in _QUESTION else label, rest)
    return None


def _official_label(label: str, day: date | None, source_country: str | None) -> Official | None:
    reg = registry()
    for hit in reg.names.finditer(label):
        # "Maria Zakharova:", and "Shri Randhir Jaiswal, Official Spokesperson:".
        if hit.value and (hit.end - hit.start >= len(label.strip()) - 6
                          or (hit.start <= 6 and label[hit.end:].lstrip().startswith(","))):
            return reg.officials[hit.value[0]]
    title = _TITLE.match(label)
    if title:
        surname = title.group("surname").lower()
        matches = [o for o in reg.officials
                   if o.name.split(" (")[0].split()[-1].lower() == surname
                   and (source_country is None or o.country == source_country)]
        matches.sort(key=lambda o: (role_family(o.role_on(day)) != SPOKESPERSON, o.role_on(day) is None))
        return matches[0] if matches else None
    return None


def _spokesperson(title: str, paragraphs: list[str], day: date | None,
                  source_country: str | None) -> str | None:
    reg = registry()
    for hit in reg.names.finditer(title or ""):
        for index in hit.value:
            official = reg.officials[index]
            if role_family(official.role_on(day)) == SPOKESPERSON or day is None:
                return official.name
    in_office = reg.in_office(SPOKESPERSON, source_country, day)
    if len(in_office) == 1:
        return in_office[0].name
    # Several spokespersons in office (China): the one the opening lines name.
    names = {o.name for o in in_office}
    for para in paragraphs[:3]:
        for hit in reg.names.finditer(para):
            for index in hit.value:
                if reg.officials[index].name in names:
                    return reg.officials[index].name
    return None
