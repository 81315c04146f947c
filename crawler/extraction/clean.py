"""What trafilatura leaves behind, removed paragraph by paragraph.

Two kinds of leftovers matter for statements:

- page chrome that sits inside the article container: subscribe buttons,
  comment prompts, widget titles, counters. These are short lines whose whole
  text is a known interface string; a statement paragraph never is.
- the lede printed twice: news templates show a summary above the body and
  the same sentence again as the first paragraph (the seed page does).

Matching is on whole lines after normalisation, never on substrings, so a
statement that quotes "subscribe" in a sentence keeps it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Interface strings seen inside article containers, in the languages we
# crawl. The English and Russian ones come from the seed page
# (../shared/seed/README.md); the others are the same widgets' labels on the
# other editions of the sites in the registry.
KNOWN_CHROME = {
    # English
    "subscribe", "newsfeed", "news feed", "to participate in the discussion",
    "log in or register", "to participate in the discussion log in or register",
    "loader", "loading", "chats", "comments", "share", "share this", "print",
    "print this page", "read more", "see also", "related", "related news",
    "follow us", "follow us on telegram", "advertisement", "back to top",
    "close", "menu", "all news", "show more", "more news",
    # Russian
    "заголовок открываемого материала", "подписаться", "лента новостей",
    "чтобы участвовать в дискуссии", "авторизуйтесь или зарегистрируйтесь",
    "войдите или зарегистрируйтесь", "чаты", "комментарии", "поделиться",
    "читать далее", "версия для печати", "загрузка", "все новости",
    # Chinese
    "订阅", "分享", "分享到", "打印", "打印本页", "关闭", "关闭窗口", "【打印】",
    "【关闭】", "相关新闻", "责任编辑", "分享让更多人看到",
    # French
    "s'abonner", "partager", "imprimer", "lire aussi", "fermer",
    # German
    "abonnieren", "teilen", "drucken", "seite drucken", "mehr zum thema",
    "schließen", "anmelden oder registrieren",
    # WordPress's sharing and like buttons (Jetpack), the most common widget
    # of all inside an article container, as each language edition prints it.
    # (Not the one-word labels a transcript's answer could be: "Нравится.")
    "like loading", "teilen mit", "teilen sie dies mit", "wird geladen",
    "gefällt mir wird geladen", "ähnliche beiträge", "jaime chargement",
    "sur le même thème", "comparte esto", "me gusta cargando", "нравится загрузка",
}

# Whole-line shapes of chrome: counters, share rows and prompts, the
# disclaimers and source labels that close syndicated articles.
_CHROME_SHAPES = [
    re.compile(r"^\d{1,4}$"),  # a bare counter like the seed's "0"
    re.compile(r"^(share|teilen|partager|поделиться)( on| auf| sur| в)? \w+$"),
    re.compile(r"^(like|liked|enjoy|enjoyed|love) (this|the) (story|article|piece)\b.{0,40}\bshare\b"),
    re.compile(r"^the (views|opinions)( and opinions| and views)? expressed\b.{0,80}\bnot necessarily (reflect|represent)"),
    re.compile(r"^this (article|story) (has been|was) (adapted|republished|reproduced) from\b"),
    re.compile(r"^(source|sources|quelle|quellen|источник|source de l'article)\s*: ?[^.]{0,40}$"),
    # A short prompt ending in an address: "We'd love your feedback at x@y.com".
    re.compile(r"^.{0,60}\s\S+@\S+\.[a-z]{2,}$"),
    # A link to the outlet's editorial standards under every article: "Our
    # Standards: The Thomson Reuters Trust Principles", "Our editorial standards".
    re.compile(r"^(our|read our) (editorial )?standards(\s*:.{0,80})?$"),
    # Photo credits printed as paragraphs: "Photo: AFP", "Фото: Имя, Издание".
    re.compile(r"^(photo|photos|foto|fotos|фото|图|图片|摄影|crédit photo)\s*[:：]\s*[^.]{0,60}$"),
    # A PHP diagnostic the server printed into the page: "Warning:
    # Creating default object from empty value in /www/x.php on line 36".
    re.compile(r"^(php )?(warning|notice|deprecated|strict standards|fatal error|parse error)"
               r"\s*:.{0,500}\bin \S+\.php on line \d+$"),
]

# A line made only of these (and digits and punctuation) is a date or time
# printed with the article: "10.11.2021", "30. Januar 2024",
# "17:41 JST, October 13, 2024".
_DATE_WORDS = set(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun "
    "januar februar märz mai juni juli oktober dezember uhr "
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря г "
    "am pm utc gmt jst cet cest msk est edt bst ist updated published stand"
    .split()
)
_DATE_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def is_date_line(norm: str) -> bool:
    if len(norm) > 60:
        return False
    tokens = _DATE_TOKEN.findall(norm)
    return (
        any(t.isdigit() for t in tokens)
        and all(t.isdigit() or t in _DATE_WORDS for t in tokens)
        and not re.fullmatch(r"\d{1,4}", norm)  # counters are handled above
    )


# Labels that open the press-contact block closing a press release; the
# block (names, addresses, phone numbers) is not the statement.
_CONTACT_LABELS = {
    "rückfragehinweis", "rückfragehinweise", "adresse für rückfragen", "pressekontakt",
    "kontakt", "press contact", "press contacts", "media contact", "media contacts",
    "media enquiries", "contact", "contacts", "для справок", "контакты для сми",
    "contact presse", "新闻联系人",
}

# A repeated paragraph shorter than this is kept: briefings legitimately
# repeat "Thank you." or "Question:" many times.
_MIN_REPEAT_CHARS = 60


def _normalise(line: str) -> str:
    line = unicodedata.normalize("NFKC", line).casefold()
    line = re.sub(r"[\u2018\u2019\u201c\u201d\u00ab\u00bb\"'`]", "", line)
    line = re.sub(r"[\s\u00a0]+", " ", line)
    return line.strip(" .:;,!?|-–—·•_*#=~")


def is_chrome(line: str) -> bool:
    norm = _normalise(line)
    if not norm:
        return True  # separators: "___", "* * *"
    return (norm in KNOWN_CHROME or any(p.match(norm) for p in _CHROME_SHAPES)
            or is_date_line(norm))


def _drop_closing_block(lines: list[str]) -> list[str]:
    """Cut a press-contact block, and a lead-in left dangling at the end
    ("Read the press releases:" whose links were not article text)."""
    tail_start = len(lines) - max(3, len(lines) // 3)
    for i in range(max(1, tail_start), len(lines)):
        if _normalise(lines[i]) in _CONTACT_LABELS:
            lines = lines[:i]
            break
    while len(lines) > 1 and lines[-1].rstrip().endswith(":") and len(lines[-1]) <= 120:
        lines = lines[:-1]
    return lines


# Cached: each line's key is asked for by the teaser, headline and repeat
# checks in turn (a line's key never changes).
@lru_cache(maxsize=2048)
def _content_key(line: str) -> str:
    # Letters and digits only: the summary and the first paragraph often
    # differ in quotes, dashes or a trailing ellipsis.
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", line).casefold())


def drop_repeats(paragraphs: list[str]) -> list[str]:
    """Keep each substantial paragraph once, at its first place.

    A paragraph is also dropped when it is the start of a later one (a
    summary cut short before the full first paragraph).
    """
    keys = [_content_key(p) for p in paragraphs]
    kept: list[str] = []
    seen: set[str] = set()
    for i, (para, key) in enumerate(zip(paragraphs, keys, strict=True)):
        if len(key) >= _MIN_REPEAT_CHARS * 0.8:
            if key in seen:
                continue
            if any(k != key and k.startswith(key) for k in keys[i + 1 : i + 4]):
                continue
            seen.add(key)
        kept.append(para)
    return kept


# Room for a lead-in before a link that makes up the rest of a paragraph:
# "Also on rt.com", "Читайте также:", "READ MORE:".
_LINK_LEAD_IN_CHARS = 30


def is_link_teaser(line: str, link_keys: frozenset[str] | set[str],
                   longest: int | None = None) -> bool:
    """A paragraph that is a link to another page, perhaps after a short lead-in.

    Related-story teasers sit inside article containers on most news sites;
    an article's own sentences are not links from end to end. ``longest``:
    the length of the longest of ``link_keys``, when the caller knows it.
    """
    key = _content_key(line)
    if len(key) < 12:
        return False
    if longest is None:
        longest = max(map(len, link_keys), default=0)
    # The link is the whole paragraph, or all of it after a short lead-in;
    # a rest longer than the longest link is none (most article paragraphs).
    first = max(0, len(key) - longest)
    return any(key[cut:] in link_keys
               for cut in range(first, min(_LINK_LEAD_IN_CHARS, len(key) - 12) + 1))


def link_key(text: str) -> str:
    return _content_key(text)


def clean_paragraphs(paragraphs: list[str], title: str | None = None,
                     link_keys: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Strip chrome lines, link teasers, a repeated headline and repeated paragraphs."""
    title_key = _content_key(title) if title else None
    lines = [" ".join(p.split()) for p in paragraphs]
    longest = max(map(len, link_keys), default=0)
    lines = [p for p in lines if not is_chrome(p) and not is_link_teaser(p, link_keys, longest)]
    if title_key:
        lines = [p for p in lines if _content_key(p) != title_key]
    return drop_repeats(_drop_closing_block(lines))
