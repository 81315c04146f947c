"""Titles and authors as a reader expects them: the headline without the
site's name, and a person's name or nothing."""

from __future__ import annotations

import re

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·•»]{1,2}\s+")
# Labels news sites print before a headline; never part of what was said.
_KICKER = re.compile(
    r"^(breaking( news)?|exclusive|live|watch|video|photos?|update[d]?|opinion|analysis|"
    r"explainer|factbox|fact check|срочно|видео|эксклюзив|фото|独家|视频|eilmeldung|"
    r"exklusiv|live-ticker)\s*[:|–—-]\s+",
    re.IGNORECASE,
)
# Bylines that name an organisation or an image, not a person.
_NOT_A_PERSON = re.compile(
    r"\b(logo|png|jpe?g|svg|staff|newsroom|editorial|editors?|desk|team|agency|agencies|agencia|"
    r"agence|agentur|press|presse|service|online|news|reuters|associated|afp|efe|dpa|tass|ria|"
    r"sputnik|xinhua|ministry|ministerium|ministère|ministerio|department|departement|"
    r"office|amt|government|regierung|republic|republik|admin|administrator|webmaster|www|info)\b"
    r"|\.(com|org|net|ru|cn)\b|\d",
    re.IGNORECASE,
)
# What bylines print before the name: "By", "Analysis by", "Авторы".
_BY = re.compile(
    r"^((analysis|opinion|commentary|interview|written|reporting|text|story|words|photos?)\s+)?"
    r"(by|von|par|por|di|door|автор|авторы|текст)\b\s*:?\s*",
    re.IGNORECASE,
)
# Between a name and the rest of a byline: "Finian Cunningham. Sputnik
# International", "Jane Doe | Site", "Jane Doe - Reporter", "Jane Doe, AP".
# A full stop counts only after a word of two letters, not an initial ("Mark C. Toner").
_BYLINE_PARTS = re.compile(r"(?<=[^\W\d_]{2})\.\s+|\s*[,|•·/]\s*|\s+[-–—]\s+")
# Interface text a byline block carries after the name.
_UI_TAIL = re.compile(r"\s+(link copied|copy link|follow|share|email|e-mail|twitter|x)$",
                      re.IGNORECASE)
# A name does not open with an article: "The Russian" is a phrase.
_ARTICLES = {"the", "a", "an", "der", "die", "das", "le", "la", "les", "el", "los", "il"}


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


# A printed headline shorter than this share of a declared title is a site
# name or a section label inside <h1> ("BBC News"), not the headline.
_HEADLINE_SHARE = 0.4


def choose_title(headings: list[str], meta_titles: list[str], page_title: str | None,
                 extracted: str | None, site_names: list[str]) -> str:
    """The headline as printed, checked against what the page declares.

    ``headings`` are the page's <h1> texts in order; ``meta_titles`` its
    og:title and twitter:title; ``extracted`` trafilatura's pick.
    The printed <h1> wins when a declared title contains it (the declared
    ones add site names, sections and dates); an <h1> that no declared title
    contains is a logo or a menu heading. A declared title that goes on past
    the <h1> with a clause of its own (not a site name) is the fuller
    headline. Without such an <h1>, trafilatura's pick is kept if a declared
    title backs it, else the first declared one.
    """
    names = {_key(n) for n in site_names if _key(n)}
    meta_titles = [t for t in meta_titles if _key(t) and _key(t) not in names]
    declared = [*meta_titles, *([page_title] if page_title and _key(page_title) else [])]
    declared_keys = [_key(d) for d in declared]
    for heading in headings:
        key = _key(heading)
        if not key or key in names:
            continue
        if any(key in d and len(key) >= _HEADLINE_SHARE * len(d) for d in declared_keys):
            for fuller in meta_titles:
                rest = fuller[len(heading):] if _key(fuller).startswith(key) else ""
                words = re.findall(r"[^\W\d_]+", rest)
                if len(words) >= 4 and not any(n in _key(rest) for n in names):
                    return fuller
            return heading
    if extracted and (not declared_keys or any(_key(extracted) in d for d in declared_keys)):
        return extracted
    return next(iter(declared), extracted or "")


# CJK titles append the site and section without spaces: "标题-新华网",
# "标题--时政--人民网".
_CJK_SUFFIX = re.compile(r"(?:\s*(?:-{1,2}|_|\||－|—)\s*[^\s\-_|－—]{1,12})+$")


# "Headline -- Page 2 -- Newsweek", "Headline (Seite 3)": which page of a
# paginated article this is, not part of its headline.
_PAGE_LABEL = re.compile(
    r"\s+(?:[-|–—:·•»,]{1,2}\s+|\()(?:page|seite|página|pagina|страница|стр\.)\s*\d+"
    r"(?:\s*(?:of|/|von|de|di|из)\s*\d+)?\)?$", re.IGNORECASE)


def clean_title(title: str, site_names: list[str]) -> str:
    """Drop a ' - Site Name' suffix or 'Site Name | ' prefix and a page
    label, keep the rest as written."""
    title = _PAGE_LABEL.sub("", _KICKER.sub("", " ".join(title.split())))
    return _PAGE_LABEL.sub("", _without_site_name(title, site_names))


def _without_site_name(title: str, site_names: list[str]) -> str:
    if any(ord(c) >= 0x2E80 for c in title[:12]):
        head = _CJK_SUFFIX.sub("", title)
        if len(head) >= 6:
            title = head
    names = {_key(n) for n in site_names if _key(n)}
    separators = list(_TITLE_SEPARATORS.finditer(title))
    if separators:
        last, first = separators[-1], separators[0]
        if _is_site_name(title[last.end() :], names):
            return _without_sections(title[: last.start()], at_end=True)
        if _is_site_name(title[: first.start()], names):
            return _without_sections(title[first.end() :], at_end=False)
    return title


# Sections a site prints between its name and the headline, "|" apart:
# "BBC NEWS | World | Americas | Headline", "Headline | Politics | guardian.co.uk".
_PIPE = re.compile(r"\s+\|\s+")
_SECTION_WORDS = 2


def _without_sections(title: str, at_end: bool) -> str:
    """``title`` less the short "|"-separated labels on the side its site
    name was cut from (a hyphen or a colon may be the headline's own)."""
    parts = _PIPE.split(title)
    while len(parts) > 1 and len((parts[-1] if at_end else parts[0]).split()) <= _SECTION_WORDS:
        parts.pop(-1 if at_end else 0)
    return " | ".join(parts)


# Words a site's address leaves out of its name ("nytimes" for The New York Times).
_NAME_FILLERS = {"the", "of", "and", "der", "die", "das", "la", "le", "el"}


def _abbreviates(name: str, words: list[str]) -> bool:
    """Whether ``name`` is ``words`` as an address writes them, each word
    whole or by its initial: "latimes" for Los Angeles Times, "iht" for
    International Herald Tribune."""
    if not words:
        return not name
    word, rest = words[0], words[1:]
    return (name.startswith(word) and _abbreviates(name[len(word):], rest)
            or bool(name) and name[0] == word[0] and _abbreviates(name[1:], rest)
            or word in _NAME_FILLERS and _abbreviates(name, rest))


def _is_site_name(segment: str, names: set[str]) -> bool:
    key = _key(segment)
    if not key:
        return False
    if key in names:
        return True
    # "POLITICO" for politico.com, "Bundeskanzleramt Österreich" for
    # bundeskanzleramt.gv.at, "CNNPolitics" for cnn.com: a short segment
    # built on a name of the site.
    short = len(segment.split()) <= 4
    if short and any(len(n) >= 3 and (n in key or key in n) for n in names):
        return True
    words = [_key(w) for w in segment.split() if _key(w)]
    return 2 <= len(words) <= 5 and any(len(n) >= 3 and _abbreviates(n, words) for n in names)


def clean_author(raw: str | None, site_names: list[str]) -> str | None:
    """A person's name or None: never the site, a URL, an organisation or a lone word.

    A byline that joins the name to a site, an agency or a role
    ("Finian Cunningham. Sputnik International") gives the name alone: the
    first of its parts that is a person's name.
    """
    if not raw:
        return None
    # trafilatura joins name and role with "; " ("Mark C Toner; Deputy ...").
    byline = _BY.sub("", " ".join(raw.split(";")[0].split())).strip(" ,")
    names = {n.casefold() for n in site_names if n}
    if "http" in byline or "@" in byline or len(byline) > 120:
        return None
    for part in _BYLINE_PARTS.split(byline):
        name = _UI_TAIL.sub("", _BY.sub("", part.strip(" ,.")).strip())
        if _is_person(name, names):
            return _name_case(name)
    return None


# Words that join two authors' names in a byline, and the particles inside
# a name ("Ludwig van Beethoven"), both lower case after the first word.
_LOWER_AFTER_FIRST = {"and", "und", "et", "y", "e", "en", "и", "або", "i", "van", "von", "de",
                      "der", "den", "da", "di", "du", "del", "della", "dos", "das", "la", "le"}
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|X)\.?,?$")
_MAC = re.compile(r"\bMc(\w)")
_PART = re.compile(r"(?<=[-'’])")


def _word_case(word: str, first: bool) -> str:
    if (len(word.strip(".")) <= 1 and not word.isalpha()) or _ROMAN.match(word) and not first:
        return word  # an initial ("B."), a generation ("III")
    lower = word.lower().replace("i\u0307", "i")  # (Turkish İ lower-cases to i and a dot)
    if not first and lower in _LOWER_AFTER_FIRST:
        return lower
    if len(word) == 1:
        return word
    # Each part of "JEAN-PIERRE", "O'NEIL" keeps its capital as written
    # (str.title would turn "İ" into "I" and a combining dot).
    parts = _PART.split(word)
    cased = "".join(part[:1] + part[1:].lower().replace("i\u0307", "i") for part in parts)
    return _MAC.sub(lambda m: "Mc" + m.group(1).upper(), cased)


def _name_case(name: str) -> str:
    """A byline set in capitals ("LISA MASCARO", as agencies print them) in
    the case the name is written elsewhere, so that one person's rows group
    together; a name with any lower-case letter is left as written."""
    if any(c.islower() for c in name) or not any(c.isupper() for c in name):
        return name
    return " ".join(_word_case(word, n == 0) for n, word in enumerate(name.split()))


def _is_person(name: str, site_names: set[str]) -> bool:
    if not name or name.casefold() in site_names or len(name) > 80 or _NOT_A_PERSON.search(name):
        return False
    words = name.split()
    if words[0].casefold() in _ARTICLES:
        return False
    # Chinese, Japanese and Korean names are written without spaces.
    cjk = any(ord(c) >= 0x2E80 for c in name)
    return 2 <= len(words) <= 6 or (cjk and 2 <= len(name) <= 6)
