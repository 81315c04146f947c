"""People a text names who are not in officials.toml, by rules over the
text's own structure: runs of capitalised words ("Kevin Mayer", "Donald J.
Trump", "Ursula von der Leyen"), a title that makes one word a name ("Mr.
Mayer", "Sen. Warren"), and a surname alone that stands for the full name
the page gives ("…, Mayer said").

Titles are cut off the name ("Defense Secretary Mark Esper" is Mark Esper);
words that begin or end no person's name (months, organisation words such as
"Act", "Day", "University", country names, function words at a sentence's
start) break a run, so "Election Day" or "Affordable Care Act" name nobody.
Whether a person speaks is decided by ``attribution``: this module only
finds them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

from crawler.enrich.countries import gazetteer, institutions
from crawler.enrich.family_names import family_name
from crawler.enrich.lexicon import Hit

# Lower-case particles inside a name: "Ursula von der Leyen", "Luiz Inácio Lula da Silva".
_PARTICLES = {"de", "da", "do", "dos", "das", "del", "della", "di", "du", "van", "von", "der", "den",
              "ter", "bin", "ibn", "al", "el", "la", "le", "y"}
# The words a name can hold begin with a capital: only these are tokens
# (the regex skips a text's other words in C); particles between two of
# them are read from the gap ("von der").
_UPPER = "".join(ch for ch in map(chr, range(0x500)) if ch.isupper() and ch.isalpha())
_TOKEN = re.compile(r"[" + re.escape(_UPPER) + r"][\w'’-]*")
_WORD_BEFORE = re.compile(r"[\w'’.-]")  # "U.S. Customs": "S" is no initial
_PARTICLE_GAP = re.compile(r" (?:(?:" + "|".join(sorted(_PARTICLES, key=len, reverse=True)) + r") )+")
# Titles before a name: cut off, and they make a single following word a name.
TITLES = {
    "Mr", "Mrs", "Ms", "Miss", "Dr", "Sen", "Senator", "Rep", "Representative", "Gov", "Governor",
    "Lt", "Gen", "General", "Col", "Colonel", "Capt", "Captain", "Sgt", "Sergeant", "Maj", "Major",
    "Adm", "Admiral", "Prof", "Professor", "Rev", "Reverend", "President", "Vice", "Prime",
    "Minister", "Secretary", "Mayor", "Judge", "Justice", "Ambassador", "Chancellor", "Chairman",
    "Chairwoman", "Chair", "Chief", "Executive", "CEO", "Director", "Commissioner", "Attorney",
    "Speaker", "Leader", "Coach", "Officer", "King", "Queen", "Prince", "Princess", "Pope", "Sheikh",
    "Sir", "Dame", "Lord", "Lady", "Baroness", "Deputy", "Foreign", "Defense", "Defence", "Interior",
    "Finance", "Congressman", "Congresswoman", "Councilman", "Councilwoman", "Spokesman",
    "Spokeswoman", "Spokesperson", "Detective", "Lieutenant", "Agent", "Inspector",
    "Superintendent", "Archbishop", "Bishop", "Cardinal", "Rabbi", "Imam", "Ayatollah", "Crown",
    "Majority", "Minority", "Whip", "Premier", "Emir", "Sultan", "Senior", "Former", "Acting",
    "Assistant", "Associate", "Administrator", "Founder", "Co-founder", "Manager", "Head",
    "Editor", "Insider", "Analyst", "Economist", "Physicist", "Astronomer", "Dean", "Ombudsman",
    "Envoy", "Counsel", "Trustee", "Herr", "Frau", "Mme", "Mlle", "M",
}
# Titles that alone make the next single word a person's name ("Mr. Mayer", "President Trump").
_PERSONTITLES = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Sen", "Senator", "Rep", "Gov", "Governor",
                  "President", "Prof", "Professor", "Judge", "Justice", "Ambassador", "Chancellor",
                  "Minister", "Secretary", "Mayor", "Coach", "Gen", "General", "Lt", "Col", "Capt",
                  "Sgt", "Adm", "Rev", "Congressman", "Congresswoman", "Pope", "Sheikh", "Sir", "Dame",
                  "Lord", "Lady", "Ayatollah", "Premier", "Herr", "Frau", "Mme", "Speaker",
                  "Commissioner", "Director", "Chairman", "Detective", "Officer", "Inspector",
                  "King", "Queen", "Prince", "Princess", "Emir", "Sultan", "Cardinal", "Bishop",
                  "Archbishop", "Rabbi", "Imam", "Major", "Captain", "Colonel", "Sergeant", "Maj"}
# Words that are no part of a person's name.
_STOP = set("""
The A An In On At But And Or If When While As After Before This That These Those It Its He She
They We I You His Her Their Our My Your There Here What Who Whom Why How Where Which So Then Now
Yet Also Still For From With Without By Of To Into Over Under About Since Until Because Although
Though However Meanwhile Last Next Some Many Most All Every Each No Not One Two Three Four Five
Six Seven Eight Nine Ten First Second Third New Old Read More Click Photo Image Video Watch
Follow Share Subscribe Sign Advertisement Related Update Updated Copyright Getty Images AP AFP
January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Jan Feb Mar Apr Jun Jul Aug Sep Sept
Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun Today Yesterday Tomorrow Tonight Morning Evening Night
Inc Corp Co Ltd LLC Plc Company Companies Group Holdings Bank Capital Partners Ventures Labs
University College School Institute Center Centre Foundation Association Society Council
Committee Commission Court Department Ministry Agency Office Party House Senate Congress
Parliament Assembly Army Navy Air Force Forces Guard Police News Times Post Journal Press Media
Network TV Radio Daily Weekly Magazine Review Tribune Herald Gazette Street Avenue Road Square
Hall Club Cup League Day Act Bill Law Award Awards Festival Museum Hospital Church Airport
Station Island Islands River Lake Mountain Mountains Valley Park Beach Bay City County State
States Republic Kingdom Union Nations Federation Organization Organisation Service Services
Administration Authority Board Bureau Fund Trust Project Program Programme Initiative Summit
Conference Forum Games Olympics Series Show Prize Twitter Facebook Instagram YouTube Google
Apple Microsoft Amazon Netflix Disney Reuters Bloomberg CNN BBC NASA Federal National
International Global World Royal Democratic Democrats Democrat Republican Republicans GOP Labour
Conservative Conservatives Liberal Party Coalition Movement Front Alliance Church Catholic
Christian Muslim Islamic Jewish God Lord Christmas Easter Ramadan War Revolution Empire Northern
Southern Eastern Western North South East West Central Upper Lower Great Greater Mount Saint
Lake Sea Ocean Gulf Strait Peninsula Desert Canal Bridge Tower Palace Castle Building Plaza Mall
Market Exchange Stock Index Dow Nasdaq Street Wall Fed Reserve Treasury Pentagon Kremlin
Internet Web Online Digital Technology Technologies Systems Software Energy Oil Gas Power Motors
Airlines Airways Pharmaceuticals Health Medical Care Insurance Financial Securities Investment
Investments Research Studies Science Sciences Space Mission Telescope Station Laboratory Lab
Series Season Episode Chapter Volume Part Edition Version Model Team Squad FC United Athletic
San Santa Los Las Fort Port Rio Sao São Bay Beach Hills Heights Springs Falls
Room Brothers Sisters Chiefs Machine Records Robotics Industries Average Equities Tour Facts
Mr Mrs Ms Dr Jr Sr II III IV Please Thank Thanks Yes Oh Well Just Even Only Again Never Always
Did Does Do Is Are Was Were Has Have Had Will Would Can Could Should May Might Must Let Don't
Amendment Constitution Article Section Chapter Clause Resolution Treaty Agreement Accord Deal
Plan Policy Strategy Report Study Survey Poll Census Budget Tax Tariff Tariffs Visa Passport
Southeast Southwest Northeast Northwest Asian African European Arab Latin Pacific Atlantic
Caribbean Balkan Nordic Scandinavian Mediterranean
""".split())
# Words that begin a place's, an index's or a work's name: the capitalised words
# after them are its ("Los Angeles Lakers", "Dow Jones Industrial", "The Dragon Waiting").
_PLACE_HEAD = {"The", "An", "San", "Santa", "Los", "Las", "Fort", "Port", "Rio", "Sao", "São", "Mount", "Saint",
               "Dow", "Lake", "New", "North", "South", "East", "West", "Northern", "Southern",
               "Eastern", "Western", "Upper", "Lower", "Greater", "Southeast", "Southwest",
               "Northeast", "Northwest"}
# A word a sentence may start with that is no name ("Speaking to…", "Earlier…").
_VERBISH = re.compile(r"(?:ing|ly|ed)$")
_MID_CLAUSE = re.compile(r"(?:[a-z,]|,[”’\"]+|’’)\s+$")
_SENTENCE_START = re.compile(r"[.!?:”\"]\s*$")


@dataclass(frozen=True)
class Person:
    """One mention of a person: ``name`` is the fullest form the page gives."""

    start: int
    end: int
    name: str
    title: str | None  # the title words before the name, as printed ("Defense Secretary")
    title_start: int


@cache
def _country_words() -> frozenset[str]:
    words = set()
    # Single-word forms only: "Lucia" of "Saint Lucia" is a first name.
    for form in gazetteer().lexicon.forms:
        if form[:1].isupper() and " " not in form:
            words.add(form)
    return frozenset(words)


# Endings of nouns, not of names: "Strategic Dialogue", "Election Commission".
_NOUN_ENDING = re.compile(r"(?:tion|sion|ment|ments|ness|ity|ism|ship|ogy|ical|ture|ogue|ions|trial|tional)$")


def _is_name_word(word: str) -> bool:
    if not word[0].isupper() or word.isupper() or _NOUN_ENDING.search(word):
        return False
    return word not in _STOP and word not in TITLES and word not in _country_words()


def plausible_name(name: str) -> bool:
    """Whether a name found by another rule (a title pattern) could be a
    person's by these words: "Farm Bureau" or "Joint Chiefs" could not."""
    words = [w for w in name.replace(".", " ").split() if w not in _PARTICLES and len(w) > 1]
    if not words or not all(w[:1].isupper() for w in words):
        return True  # not a capitalised Latin or Cyrillic name: not this module's to judge
    # A family name in capitals ("TANAKA Hanako") is Japanese ministries' usage.
    return all(_is_name_word(w.removesuffix("'s").removesuffix("’s")) or (w.isupper() and len(w) > 2)
               for w in words)


def find_people(text: str, taken: list[tuple[int, int]] = ()) -> list[Person]:
    """Person mentions in ``text``, left to right, none inside ``taken``."""
    if _nouns_capitalised(text):
        return []
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)
              if not m.start() or not _WORD_BEFORE.match(text, m.start() - 1)]
    if _ANY_GLUED.search(text):
        tokens = [piece for token in tokens for piece in _unglue(token)]
    full: list[Person] = []
    singles: list[tuple[int, int, str, str | None, int]] = []  # one-word names after a title
    lone: list[tuple[int, int, str]] = []  # capitalised words that may be surnames
    i, n = 0, len(tokens)
    while i < n:
        # A run of capitalised words (and particles) joined by single spaces
        # or by the full stop of an abbreviation ("Sen. ", "J. ").
        run = [tokens[i]]
        j = i + 1
        while j < n:
            gap = text[run[-1][1]:tokens[j][0]]
            prev = run[-1][2]
            if gap == " " or (gap == ". " and (len(prev) == 1 or prev in TITLES)):
                run.append(tokens[j])
                j += 1
                continue
            if len(gap) < 12 and _PARTICLE_GAP.fullmatch(gap):
                pos = run[-1][1] + 1
                for particle in gap.split():
                    run.append((pos, pos + len(particle), particle))
                    pos += len(particle) + 1
                run.append(tokens[j])
                j += 1
                continue
            break
        i = j
        if len(run) == 1:  # most runs: one capitalised word ("The", "He", "Mayer")
            start, end, word = run[0]
            if word.endswith(("'s", "’s")):
                end, word = end - 2, word[:-2]
            if _is_name_word(word):
                lone.append((start, end, word))
            continue
        _read_run(text, run, full, singles, lone)
    surnames: dict[str, str] = {}
    for person in full:
        surnames.setdefault(family_name(person.name.split()), person.name)
    for _, _, word, _, _ in singles:
        surnames.setdefault(word, word)  # "Prince Andrew", then "Andrew claims"
    out = list(full)
    for start, end, word, title, title_start in singles:
        out.append(Person(start, end, surnames.get(word, word), title, title_start))
    for start, end, word in lone:
        if word in surnames:
            out.append(Person(start, end, surnames[word], None, start))

    out = [p for p in out if not any(s < p.end and p.start < e for s, e in taken)]
    out.sort(key=lambda p: p.start)
    return out


# Words glued by an extraction that dropped a link's edges ("Kristi
# NoemKristi Lynn Noem"): a capital after three lower-case letters starts a
# word ("McDonald", "DeSantis", "MacArthur" have fewer).
_GLUED = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z])")
_ANY_GLUED = re.compile(r"[A-Z](?<=[a-z]{3}[A-Z])[a-z]")  # the same test, four times faster on a page


def _unglue(token: tuple[int, int, str]) -> list[tuple[int, int, str]]:
    start, _, word = token
    cuts = [0, *(m.start() for m in _GLUED.finditer(word)), len(word)]
    return [(start + a, start + b, word[a:b]) for a, b in itertools.pairwise(cuts)]


# German capitalises every noun: a run of capitalised words there is as
# often "Vorläufiger Reisepass" as a name, so German texts get no names
# from capitals alone (their officials come from titles, ``candidates``).
_GERMAN = re.compile(r" (?:der|die|das|und|nicht|ist|mit|für|auf|werden) ")
_ENGLISH = re.compile(r" (?:the|and|of|to|is|was|with|for|on) ")


def _nouns_capitalised(text: str) -> bool:
    sample = text[:3000]
    german = len(_GERMAN.findall(sample))
    return german >= 5 and german > len(_ENGLISH.findall(sample))


def _read_run(text: str, run: list[tuple[int, int, str]], full: list[Person],
              singles: list[tuple[int, int, str, str | None, int]], lone: list[tuple[int, int, str]]) -> None:
    # Cut a possessive ("Trump's") off the last word it is on, and the run after it.
    for k, (s, e, w) in enumerate(run):
        if w.endswith(("'s", "’s")):
            run[k] = (s, e - 2, w[:-2])
            rest = run[k + 1:]
            del run[k + 1:]
            # "NASA's Steve Clarke": the owner, then a name (but "Indiana's
            # Richmond High School" is a place's school).
            if len(rest) >= 2 and all(_is_name_word(t[2]) or t[2] in TITLES for t in rest):
                _read_run(text, rest, full, singles, lone)
            break
    # A sentence's first word is often capitalised only for being first.
    first_start = run[0][0]
    if _VERBISH.search(run[0][2]) and run[0][2] not in TITLES:
        head = text[max(0, first_start - 3):first_start]
        if first_start == 0 or "\n" in head or _SENTENCE_START.search(head):
            run = run[1:]
    k = 0
    title_words: list[tuple[int, int, str]] = []
    while k < len(run):
        s, e, w = run[k]
        if w in TITLES and not (_is_name_word(w) and title_words):
            title_words.append(run[k])
            k += 1
            continue
        if w == "Will" and k == 0 and len(run) > 1 and _MID_CLAUSE.search(text, max(0, s - 4), s):
            m = 1  # "…,” Will Moy, chief executive": mid-clause, a first name, not the verb
        elif not _is_name_word(w) and w not in _PARTICLES and not (len(w) == 1 and w.isupper()):
            title_words = []
            k += 1
            while w in _PLACE_HEAD and k < len(run) and _is_name_word(run[k][2]):
                k += 1  # "Los Angeles Lakers": no name in a place's
            continue
        else:
            m = k
        while m < len(run) and (_is_name_word(run[m][2]) or run[m][2] in _PARTICLES
                                or (len(run[m][2]) == 1 and run[m][2].isupper())):
            m += 1
        if m < len(run) and run[m][2] in TITLES and not (len(run[m][2]) <= 3 and m + 1 == len(run)):
            # "Joint Special Envoy …", "Deputy Associate Administrator": the
            # capitalised words before a title are part of it.
            title_words = run[k:m + 1]
            k = m + 1
            continue
        words = run[k:m]
        while words and (words[-1][2] in _PARTICLES or len(words[-1][2]) == 1):
            words.pop()
        while words and words[0][2] in _PARTICLES:
            words.pop(0)
        title = " ".join(t[2] for t in title_words) or None
        title_start = title_words[0][0] if title_words else (words[0][0] if words else s)
        if len(words) >= 2 and len(words) <= 4:
            name = " ".join(_name_token(text, t) for t in words)
            full.append(Person(words[0][0], words[-1][1], name, title, title_start))
        elif len(words) == 1:
            if title_words and title_words[-1][2] in _PERSONTITLES:
                singles.append((words[0][0], words[0][1], words[0][2], title, title_start))
            else:
                lone.append((words[0][0], words[0][1], words[0][2]))
        title_words = []
        k = max(m, k + 1)


def _name_token(text: str, token: tuple[int, int, str]) -> str:
    s, e, w = token
    return w + "." if len(w) == 1 and text[e:e + 1] == "." else w


# Words of an office held for a state: a country beside them in the person's
# title or apposition is the state the person serves ("Ukrainian President",
# "Kurt Volker, the former U.S. special envoy"). A country beside other
# words is a workplace ("a professor at the University of Delhi") and says
# nothing of the person.
_OFFICE = re.compile(
    r"(?i)\b(?:president|vice|minister|secretary|senator|sen\.|rep\.|gov\.|governor|representative|"
    r"congress(?:wo)?man|lawmaker|ambassador|envoy|diplomat|official|spokes(?:man|woman|person)|"
    r"adviser|advisor|aide|chancellor|premier|mayor|leader|commander|general|admiral|officer|"
    r"police|soldier|troops?|army|military|prosecutor|attorney|attorney general|chief|king|queen|"
    r"prince|princess|emperor|monarch|head of state|consul|counsell?or|director|administrator|"
    r"superintendent|commissioner|council|cabinet|parliament|mp|politician|opposition|national|"
    r"nationals?|player|captain|team|citizen|-born|born)\b")
# "the Portuguese boss", "the 48-year-old Australian": a demonym is the person's own.
_HOST = re.compile(r"(?i)\b(?:to|in|at|on|with|against|into|toward|towards|over|for the university of)\s+(?:the\s+)?$")
_APPOSITION_END = re.compile(r"[.;:!?\n(]|,\s|\s[-–—]\s|\b(?:said|says|told|who|which|that)\b")
# Clause ends before a name, but not the point of "U.S." or "Lt." ("U.S. Attorney Nealy Cox").
_CLAUSE_CUT = re.compile(r"[.;:!?\n,]\s|[“”\"]")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Lt|Col|Gen|Sen|Rep|Gov|Dr|Mr|Ms|Mrs|St|Maj|Sgt|Adm|Capt|Cmdr))$")
_WHO_IS = re.compile(r", who (?:is|was|serves as|served as) ")
# A state agency's scientists speak for their research, not for the state.
_RESEARCH = re.compile(r"(?i)scientist|researcher|\bauthor\b|professor|astronom|physicist")
# Territories that are no state: their officials serve the sovereign state.
_SOVEREIGN = {"HK": "CN", "MO": "CN"}
# "a letter to the White House", "talks with the Kremlin": a host, not a workplace.
_INSTITUTION_HOST = re.compile(r"(?i)\b(?:to|against|with|toward|towards|into|over|on|from)\s+(?:the\s+)?$")


# The states of the United States: an office of one is an American office.
_US_STATE = re.compile(
    r"\b(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|"
    r"Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    r"Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    r"New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    r"Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|"
    r"West Virginia|Wisconsin|Wyoming)\b")
# "Sen. Elizabeth Warren", "Rep. Ilhan Omar", "Gov. Kristi Noem": the
# abbreviated titles are American usage.
_USTITLES = {"Sen", "Rep", "Gov"}


def person_country(text: str, person: Person, hits: list | None = None) -> str | None:
    """The state a person serves or comes from, as the text describes them:
    in the title before the name, or in the apposition after it. ``hits``
    are the text's country names (``gazetteer().hits(text)``), when the
    caller has them."""
    if person.title and person.title.split()[-1] in _USTITLES and text[person.start - 2:person.start] == ". ":
        return "US"
    lo = max(0, person.title_start - 40)
    head = text[lo:person.start]
    cut = max((m.end() for m in _CLAUSE_CUT.finditer(head)
               if head[m.start()] != "." or not _ABBREVIATION.search(head, 0, m.start())), default=0)
    head_start = lo + cut
    spans = [(head_start, person.start)]
    if text.startswith(", ", person.end):
        # "X, who is the White House …": the relative clause is an apposition too.
        who = _WHO_IS.match(text, person.end)
        after = who.end() if who else person.end + 2
        limit = min(len(text), after + 120)
        stop = next((m for m in _APPOSITION_END.finditer(text, after, limit) if text[m.start()] != "."
                     or not _ABBREVIATION.search(text, after, m.start())), None)  # "the U.S. attorney"
        spans.append((after, stop.start() if stop else limit))
    for start, end in spans:
        phrase = text[start:end]
        found = (gazetteer().hits(phrase) if hits is None else
                 [Hit(h.start - start, h.end - start, h.surface, h.value) for h in hits
                  if start <= h.start and h.end <= end])
        for hit in found:
            if _HOST.search(phrase[:hit.start]) or phrase.startswith(("-based", " based"), hit.end):
                continue  # a workplace's place ("a London-based website") is no nationality
            near_name = start == head_start and end - (start + hit.end) <= 2 and hit.surface.endswith(("'s", "’s"))
            if _OFFICE.search(phrase) or near_name or _is_demonym(phrase, hit.start, hit.end):
                return _SOVEREIGN.get(hit.value[0], hit.value[0])
        for hit in institutions().finditer(phrase) if not _RESEARCH.search(phrase) else ():
            if hit.value and not _INSTITUTION_HOST.search(phrase[:hit.start]):
                return hit.value  # "NASA Administrator …", "…, a White House aide"
        if _US_STATE.search(phrase) and _OFFICE.search(phrase) and not _HOST.search(
                phrase[:_US_STATE.search(phrase).start()]):
            return "US"  # "Kentucky Gov. …", "Indiana schools superintendent …": a sub-national office
    return None


def _is_demonym(phrase: str, start: int, end: int) -> bool:
    # "the Spaniard", "the 48-year-old Australian", "a young British filmmaker".
    word = phrase[start:end]
    return word[:1].isupper() and not word.endswith(("a", "y", "s")) and bool(
        re.match(r"\s*(?:$|[a-z]+(?:maker|er|or|ist|ian)\b)", phrase[end:]))

