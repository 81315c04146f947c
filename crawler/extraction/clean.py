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
    "【关闭】", "相关新闻", "责任编辑",
    # French
    "s'abonner", "partager", "imprimer", "lire aussi", "fermer",
    # German
    "abonnieren", "teilen", "drucken", "seite drucken", "mehr zum thema",
    "schließen", "anmelden oder registrieren",
}

# Whole-line shapes of chrome: comment/view counters, "Share on X" rows.
_CHROME_SHAPES = [
    re.compile(r"^\d{1,4}$"),  # a bare counter like the seed's "0"
    re.compile(r"^(share|teilen|partager|поделиться)( on| auf| sur| в)? \w+$"),
]

# A repeated paragraph shorter than this is kept: briefings legitimately
# repeat "Thank you." or "Question:" many times.
_MIN_REPEAT_CHARS = 60


def _normalise(line: str) -> str:
    line = unicodedata.normalize("NFKC", line).casefold()
    line = re.sub(r"[\u2018\u2019\u201c\u201d\u00ab\u00bb\"'`]", "", line)
    line = re.sub(r"[\s\u00a0]+", " ", line)
    return line.strip(" .:;,!?|-–—·•")


def is_chrome(line: str) -> bool:
    norm = _normalise(line)
    if not norm:
        return True
    return norm in KNOWN_CHROME or any(p.match(norm) for p in _CHROME_SHAPES)


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
    for i, (para, key) in enumerate(zip(paragraphs, keys)):
        if len(key) >= _MIN_REPEAT_CHARS * 0.8:
            if key in seen:
                continue
            if any(k != key and k.startswith(key) for k in keys[i + 1 : i + 4]):
                continue
            seen.add(key)
        kept.append(para)
    return kept


def clean_paragraphs(paragraphs: list[str], title: str | None = None) -> list[str]:
    """Strip chrome lines, a repeated headline and repeated paragraphs."""
    title_key = _content_key(title) if title else None
    lines = [" ".join(p.split()) for p in paragraphs]
    lines = [p for p in lines if not is_chrome(p)]
    if title_key:
        lines = [p for p in lines if _content_key(p) != title_key]
    return drop_repeats(lines)
