"""Statement types: what kind of text a ministry or agency published.

The taxonomy (the exact values of ``Enrichment.statement_type``):

- ``statement``: a ministry's or an official's formal position, issued as such
  ("Statement by…", "Заявление МИД", "声明", "Erklärung", "談話").
- ``comment``: a shorter reaction of the ministry or its spokesperson to an
  event, not prompted by a question ("Комментарий", "Spokesperson's Remarks").
- ``media answer``: the spokesperson's or minister's answer to one or a few
  questions from the media, printed outside a briefing ("Ответ … на вопрос
  СМИ", "答记者问").
- ``briefing``: the transcript of a press briefing or regular press conference
  ("Брифинг", "例行记者会", "Department Press Briefing").
- ``joint statement``: a text adopted by two or more governments ("Joint
  Statement", "Совместное заявление", "联合声明").
- ``readout``: the ministry's account of a call or meeting ("Telephone
  conversation", "телефонный разговор", "通电话", "会见", "meets").
- ``speech``: the text of a speech, address or remarks delivered by an
  official ("Speech", "Выступление", "讲话", "Rede", "Discours").
- ``interview``: an official's interview with a media outlet ("Интервью",
  "接受…采访").
- ``op-ed``: an article signed by an official ("Article by", "Статья",
  "署名文章", "Tribune", "Gastbeitrag").
- ``press release``: a ministry's news item about its own activity, in the
  third person ("Press release", "Communiqué", "Pressemitteilung"); also the
  default for a ministry page with no other cue.
- ``news report``: a media or agency article about what officials said or did;
  also a ministry's own news item about an event its people attend ("出席…",
  "Minister attends…").
  Every page of a non-ministry source is one, unless its title marks it as an
  interview or an op-ed by an official.
- ``notice``: a practical announcement (accreditation, travel advice, office
  hours, visa rules, vacancies).

Cues are tried in the order of ``_RULES``: the more specific kinds ("joint
statement", "media answer") before the words they contain ("statement").
"""

from __future__ import annotations

import re

STATEMENT_TYPES = (
    "statement", "comment", "media answer", "briefing", "joint statement", "readout", "speech",
    "interview", "op-ed", "press release", "news report", "notice",
)

_I = re.IGNORECASE
# (type, cue in title or section, cue in URL path)
_RULES: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
    ("joint statement", re.compile(
        r"joint (?:statement|declaration|communiqu[ée]|press statement)|совместн\w+ (?:заявлени|декларац|коммюнике)"
        r"|联合声明|联合公报|共同声明|共同宣言|déclaration (?:commune|conjointe)|gemeinsame erklärung", _I), None),
    ("briefing", re.compile(
        r"briefing|брифинг|例行记者会|记者会|press conference|regular press|point de presse|会見記録"
        r"|regierungspressekonferenz|記者会見|pressekonferenz", _I),
     re.compile(r"/briefing|/xwfw_|/fyrbt|/wjdt_674879/fyrbt|press-briefings?|/breifing", _I)),
    ("media answer", re.compile(
        r"на вопрос\w* (?:сми|средств)|ответ\w* .{0,80}на вопрос|answers? (?:to )?(?:a )?(?:media|press|reporters?’?'?s?) questions?"
        r"|answer to a (?:media )?question|答记者问|回答记者|question (?:d'un|des) journalistes?", _I), None),
    ("readout", re.compile(
        r"readout|telephone (?:conversation|call|talk)|phone (?:call|conversation|talk)|spoke by phone|\bcall with\b|"
        r"телефонн\w+ разговор|по телефону|通电话|通话|entretien téléphonique|telefonat|電話会談", _I),
     re.compile(r"readout", _I)),
    ("interview", re.compile(
        r"interview|интервью|接受.{0,30}采访|专访|\bentretien\b|インタビュー", _I),
     re.compile(r"interview", _I)),
    ("op-ed", re.compile(
        r"op-ed|article by|статья|署名文章|tribune|gastbeitrag|寄稿|\bop ed\b", _I),
     re.compile(r"op-ed|/opinions?/|/columnists?/|/commentary/", _I)),
    ("speech", re.compile(
        # Chinese "的讲话/演讲/致辞" is the text itself; "出席…并发表演讲" is a
        # news item about it, a news report.
        r"speech|remarks (?:by|at|to)|address(?:es)? (?:by|at|to)|keynote|выступлени|"
        r"的(?:主旨|书面|视频)?(?:讲话|演讲|致辞)|"
        r"\brede\b|discours|演説|挨拶|（全文）|\(full text\)", _I),
     re.compile(r"/speech|/remarks|/reden?/|/discours", _I)),
    ("comment", re.compile(
        r"комментари|comment|remarks on|就.{0,40}(?:发表谈话|答问)|发表谈话|评论|spokesperson['’]s remarks|"
        r"kommentar|réaction", _I),
     re.compile(r"/comment|/fyrth", _I)),
    ("notice", re.compile(
        r"notice|announcement|объявлени|об аккредитации|аккредитац|о режиме работы|公告|通知|启事|"
        r"\bavis\b|hinweis|reisewarnung|travel advi|お知らせ|vacanc|вакансии|visa requirements", _I),
     re.compile(r"/notice|/announcement|/tzgg|/reise", _I)),
    ("press release", re.compile(
        r"press release|communiqu[ée]|пресс-релиз|о визите|新闻稿|pressemitteilung|報道発表|"
        r"informationsmaterial", _I),
     re.compile(r"press-release|/pressemitteilung|/press_release", _I)),
    ("statement", re.compile(
        # Messages of an official: "Prime Minister's Christmas message", "致慰问电".
        r"statement|заявлени|声明|d[ée]claration|erklärung|談話|stellungnahme|\bmessage\b|"
        r"послани|обращени|(?:慰问|贺|唁)电|贺信", _I),
     re.compile(r"/statement", _I)),
    # Meetings come after "statement": "Statement on the talks with…" is a statement.
    ("readout", re.compile(
        r"会见|会谈|会晤|\bmeets?\b|\bmet with\b|talks with|held talks|встреч\w+|переговор\w+|"
        r"s'entretient|trifft|会談", _I), None),
]

# A ministry's own news item about an event its people attend is a news
# report (tests/golden/enrich/README.md): "杨洁篪出席…", "Minister attends…".
_EVENT = re.compile(r"出席|参加|\battends?\b|\btakes? part\b|\bparticipates?\b|принял\w* участие|"
                    r"nimmt an|participe", _I)
# GOV.UK and similar pages print the document type above the headline; the
# extraction keeps it as the text's first line ("Speech", "Press release").
_LABEL_LINE = {
    "speech": "speech", "press release": "press release", "news story": "press release",
    "statement": "statement", "joint statement": "joint statement", "readout": "readout",
    "interview": "interview", "op-ed": "op-ed", "article": "op-ed", "notice": "notice",
    "press statement": "statement", "media note": "press release", "remarks": "speech",
    "transcript": "briefing", "guidance": "notice",
}
# The first line names the text itself: "Bern, 17.08.2007 - Rede von …",
# "Speech by the Foreign Secretary at …", "Statement by Ambassador …".
_OPENING_KIND = [
    ("speech", re.compile(r"^(?:[^\n]{0,40}?[-–—]\s*)?(?:Rede|Speech|Remarks|Address|Discours|Allocution|"
                          r"Выступление)\s+(?:von|by|of|de|du)\b", _I)),
    ("statement", re.compile(r"^(?:[^\n]{0,40}?[-–—]\s*)?(?:Statement|Erklärung|Déclaration|Заявление)"
                             r"\s+(?:von|by|of|de|du)\b", _I)),
]
# An agency interview: the lead says so ("в интервью РИА Новости", "told TASS
# in an interview") and the text runs as questions and answers.
_INTERVIEW_LEAD = re.compile(r"в интервью|in an interview|interview with|im interview|dans un entretien|"
                             r"接受.{0,20}采访", _I)
_QUESTION_PARA = re.compile(r"^\s*(?:[—–-]|Q\s*[:.-]|Question\s*:|Вопрос\s*:|问\s*[:：]|Frage\s*:)"
                            r"[^\n]*[?？]\s*$", re.M)
# A transcript of one official with a named journalist or outlet
# ("Secretary Blinken With Margaret Brennan of CBS") is an interview.
_WITH_OUTLET = re.compile(r"\b(?i:with|on|to)\s+[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*\s+(?:of|on)\s+[A-Z]")

# For a non-ministry source only these kinds win over "news report": an agency
# printing an official's interview or signed article carries that text itself.
_MEDIA_OWN = {"interview", "op-ed"}


def classify(*, title: str, text: str, url: str, section: str | None, source_kind: str,
             has_turns: bool) -> str:
    from urllib.parse import urlsplit

    path = urlsplit(url or "").path
    text = text or ""
    if source_kind != "ministry":
        for kind, cue, url_cue in _RULES:
            if kind in _MEDIA_OWN and cue.search(title or "") and _official_title(title or ""):
                return kind
            # An agency's own columns are op-eds whoever signs them.
            if kind == "op-ed" and url_cue is not None and url_cue.search(path):
                return kind
        if _INTERVIEW_LEAD.search(text[:400]) and len(_QUESTION_PARA.findall(text)) >= 2:
            return "interview"
        return "news report"
    label = _first_line(text).lower().rstrip(":")
    if label in _LABEL_LINE and label != (title or "").strip().lower():
        return _LABEL_LINE[label]
    for kind, cue, _ in _RULES:
        if cue.search(title or "") or (section and cue.search(section)):
            return kind
    if has_turns:
        return "interview" if _WITH_OUTLET.search(title or "") else "briefing"
    for kind, cue in _OPENING_KIND:
        if cue.search(_first_line(text)):
            return kind
    if _EVENT.search(title or ""):
        return "news report"
    for kind, _, url_cue in _RULES:
        if url_cue is not None and url_cue.search(path):
            return kind
    # No cue in the head: the opening lines of the text sometimes carry one
    # ("Ответ официального представителя…" printed above the answer).
    opening = (text or "")[:200]
    for kind, cue, _ in _RULES[:3]:
        if cue.search(opening):
            return kind
    return "press release"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


_BY_OFFICIAL = re.compile(r"minister|secretary|spokes|министр|представител|部长|外长|发言人|大臣|ministre|minister", re.I)


def _official_title(title: str) -> bool:
    return bool(_BY_OFFICIAL.search(title))
