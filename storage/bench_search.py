"""``make bench-search``: full-text search against a LIKE scan, and the
memory of exports, on 100,000 synthetic statements in a temporary SQLite
archive, in one run.

The statements are written from word lists (English, Russian, Chinese,
Arabic) drawn with Zipf-like frequencies, with multi-word expressions that
recur ("Security Council", "территориальной целостности", 一带一路) and
generated names for a long tail of rare words, then inserted in bulk into an
archive made by the migrations: the triggers index them as they would a
crawl's. Then:

- the median time of ``storage.search.search`` (top 20, ranked, with
  snippets) over many different queries, against ``title LIKE '%term%' OR
  body LIKE '%term%'`` for the single terms among them;
- Chinese: FTS5's ``trigram`` tokenizer against the index's characters-as-
  tokens, on the Chinese statements (hits, index size, speed);
- the peak memory (RSS) of ``demarche export`` to Parquet and JSON Lines of
  nothing, of 10,000 statements and of all of them, each in a process of
  its own.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from crawler.sources import load_sources
from storage.archive import sync_sources
from storage.engine import open_archive, project_root
from storage.search import fold, parse_query, search

EN_COMMON = """the of and to in a on for is that with by as at from has was will be it its are
have not this an which also said would their his we our all more been were after between
against about over under during into than other such these those new two three first""".split()
EN_WORDS = """minister foreign ministry spokesperson statement talks meeting security council
sanctions ceasefire truce negotiations agreement cooperation sovereignty territorial integrity
dialogue humanitarian assistance resolution nuclear programme delegation summit bilateral
relations economic trade energy gas oil pipeline military troops withdrawal deployment exercises
border conflict crisis settlement peace process envoy ambassador embassy consulate visa citizens
evacuation attack terrorism condemned welcomed expressed concern urged called reaffirmed support
position interference internal affairs unilateral measures illegal international law charter
elections referendum observers mission monitoring report investigation allegations chemical
weapons inspection treaty arms control strategic stability missile defence alliance expansion
partners region regional development investment infrastructure initiative climate health
pandemic vaccine grain corridor shipping navigation maritime waters islands disputes claims
rights freedom press journalists media disinformation cyber provocation escalation warning
toward forward award reward warfare explanation plan planned planning briefing remarks
question answer journalist colleagues counterpart visit invitation agenda priorities framework
mechanism consultations memorandum signed implementation commitments obligations violation
violations accusations baseless groundless hostile unfriendly constructive pragmatic
mutually beneficial respect equality multipolar world order hegemony coercion blackmail
tariffs exports imports supply chains technology semiconductors students exchanges tourism
culture heritage anniversary victory commemoration veterans refugees displaced persons
detained released prisoners exchange hostages negotiators mediation platform format""".split()
EN_PHRASES = ["Security Council", "human rights", "territorial integrity", "foreign minister",
              "United Nations", "General Assembly", "press conference", "nuclear weapons",
              "peace talks", "humanitarian aid", "international law", "Black Sea",
              "European Union", "United States", "Middle East", "two-state solution",
              "arms control", "sanctions regime", "Belt and Road"]
EN_PLACES = """Russia China Ukraine Syria Iran Israel Palestine Gaza Lebanon Turkey Armenia
Azerbaijan Georgia Belarus Kazakhstan India Pakistan Afghanistan Japan Korea Taiwan Philippines
Vietnam Germany France Britain Poland Moscow Beijing Washington London Brussels Geneva Vienna
Istanbul Damascus Tehran Kyiv Minsk Baku Yerevan Tbilisi Astana Riyadh Cairo Doha Ankara
Pretoria Brasilia Caracas Havana""".split()
EN_NAMES = """Lavrov Zakharova Wang Mao Ning Blinken Miller Cleverly Guterres Annan Erdogan
Grossi Borrell Nebenzia Fu Cong Kuleba Pashinyan Aliyev Raisi Abdollahian""".split()
SYLLABLES = "ko va len ro mar tin pet ros ski ber gen dal fa rid ha san mu ta li an ne vo".split()

RU_COMMON = "и в на с по не что о к из за от для как это его а также был".split()
RU_WORDS = """министр министерство иностранных дел заявление переговоры санкции санкций
санкциями безопасности совет сотрудничество суверенитет суверенитета диалог урегулирование
урегулирования кризис кризиса конфликт конфликта мирный процесс посол посольство граждане
эвакуация теракт осудили приветствовали выразили озабоченность призвали поддержку позиция
вмешательство внутренние односторонние меры незаконные международного права устав выборы
наблюдатели миссия доклад расследование обвинения химического оружия договор контроль
вооружений стратегической стабильности ракетной обороны альянс расширение партнеры региона
развитие инвестиции инициатива провокация эскалация брифинг вопрос ответ журналисты визит
консультации меморандум подписали обязательства нарушение недружественные конструктивный
взаимовыгодный многополярный гегемония шантаж пошлины экспорт технологии беженцы
пленные обмен посредничество Россия России Россией Китай Китая США Украина Украины Сирия
Сирии Иран Ирана Израиль Турция Армения Азербайджан Грузия Белоруссия Казахстан Москва
Москве Пекин Вашингтон Лондон Брюссель Женева Вена Стамбул Дамаск Тегеран Киев Минск Баку
Ереван Лавров Захарова Небензя""".split()
RU_PHRASES = ["Совет Безопасности", "территориальной целостности", "прекращения огня",
              "Организации Объединенных Наций", "министр иностранных дел",
              "Генеральной Ассамблеи", "права человека", "ёлка у Кремля"]
RU_SYLLABLES = "ко ва лен ро мар тин пет рос ски бер ген даль ми ха ил ев ов ин ская".split()

ZH_WORDS = """外交部 发言人 中国 中方 美国 美方 制裁 和平 合作 发展 安全 主权 领土 完整 对话 谈判
问题 坚决 反对 支持 关系 双边 会谈 会见 表示 指出 强调 国际 社会 联合国 安理会 台湾 南海
经济 贸易 共同体 人类 命运 多边主义 单边 霸权 干涉 内政 原则 立场 记者会 例行 记者 提问
俄罗斯 乌克兰 叙利亚 伊朗 以色列 巴勒斯坦 加沙 日本 韩国 朝鲜 印度 欧盟 德国 法国 英国
危机 冲突 停火 人道主义 援助 核 武器 军事 演习 挑衅 升级 稳定 地区 倡议 投资 基础设施
气候 变化 疫苗 粮食 航行 自由 海洋 岛屿 争端 人权 新闻 媒体 虚假 信息 网络 攻击 恐怖主义
谴责 欢迎 关切 呼吁 重申 一贯 不干涉 相互 尊重 平等 互利 共赢 全球 治理 倡导""".split()
ZH_PHRASES = ["一带一路", "人类命运共同体", "全球发展倡议", "外交部发言人", "安理会决议",
              "单边制裁", "台湾问题", "南海问题"]
ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高".replace("", " ").split()
ZH_GIVEN = "毅宁伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华春莹立坚".replace("", " ").split()

AR_COMMON = "في من على إلى أن عن مع هذا التي الذي كما و".split()
AR_WORDS = """وزارة الخارجية وزير بيان المتحدث الرسمي مجلس الأمن الأمم المتحدة السلام وقف
إطلاق النار المفاوضات العقوبات التعاون السيادة الحوار الأزمة النزاع التسوية السفير السفارة
المواطنين الإرهاب أدانت رحبت أعربت القلق دعت الدعم الموقف التدخل الشؤون الداخلية القانون
الدولي الانتخابات المراقبين البعثة التقرير التحقيق الأسلحة الكيميائية المعاهدة الاستقرار
المنطقة التنمية الاستثمار المبادرة التصعيد الاستفزاز الزيارة المشاورات الالتزامات الانتهاكات
اللاجئين الأسرى الوساطة سوريا روسيا الصين الولايات المتحدة فلسطين غزة لبنان إيران القدس
العراق اليمن مصر السعودية قطر تركيا دمشق موسكو بكين واشنطن القاهرة الرياض""".split()
AR_PHRASES = ["مجلس الأمن", "وَقْفِ إطلاق النار", "الأمم المتحدة", "حل الدولتين",
              "القانون الدولي", "المساعدات الإنسانية"]

LANGUAGES = {  # language: (share of statements, source key)
    "en": (0.55, None), "ru": (0.20, "mid_ru_ru"), "zh": (0.15, "fmprc_zh"),
    "ar": (0.10, "bench_mfa_ar"),
}
EN_SOURCES = ["mid_ru_en", "state_gov_briefings", "state_gov_releases", "gov_uk_fcdo",
              "sputnik_russia", "fmprc_en"]
START = datetime(2021, 1, 1, tzinfo=UTC)
SEED = 6
DAYS = 1000


class Writer:
    """Statements in one language: each is about one to three topics (a
    topic is a slice of the content words and expressions); its words are
    drawn with weights 1/rank from the function words, its topics' words,
    all content words and a long tail of names, in proportions that give
    a topic's words the document frequencies of news (a few per cent)."""

    # Share of a statement's words: function words, its topics' words and
    # expressions, any content word, names; and the offset of each part's
    # weights 1/(rank + offset): function words and topic words steep (Zipf),
    # stray content words flat, names in between.
    MIX = (0.50, 0.42, 0.03, 0.05)
    OFFSET = (2, 2, 10_000, 20)

    def __init__(self, rng: random.Random, common: list[str], words: list[str],
                 phrases: list[str], names: list[str], topics: int, joiner: str,
                 stop: str) -> None:
        self.rng, self.joiner, self.stop, self.names = rng, joiner, stop, names
        shuffled = words[:]
        rng.shuffle(shuffled)
        self.populations = []
        for topic in range(topics):
            parts = [common, shuffled[topic::topics] + phrases[topic::topics], words, names]
            population: list[str] = []
            cum: list[float] = []
            total = 0.0
            for part, mass, offset in zip(parts, self.MIX, self.OFFSET, strict=True):
                norm = sum(1.0 / (r + offset) for r in range(len(part)))
                for rank, word in enumerate(part):
                    total += mass / (rank + offset) / norm
                    population.append(word)
                    cum.append(total)
            self.populations.append((population, cum))

    def words(self, count: int) -> list[str]:
        chosen = self.rng.sample(self.populations, self.rng.choice((1, 1, 2, 2, 3)))
        drawn: list[str] = []
        for population, cum in chosen:
            drawn += self.rng.choices(population, cum_weights=cum, k=count // len(chosen))
        return drawn

    def sentences(self, words: list[str]) -> list[str]:
        out, at = [], 0
        while at < len(words):
            size = self.rng.randint(8, 24)
            text = self.joiner.join(words[at:at + size])
            out.append(text[:1].upper() + text[1:] + self.stop)
            at += size
        return out

    def statement(self, count: int) -> tuple[str, str]:
        """A title and a body of about ``count`` words in paragraphs."""
        sentences = self.sentences(self.words(count))
        title = sentences[0].rstrip(".。")[:120]
        paragraphs = []
        while sentences:
            take = self.rng.randint(2, 5)
            paragraphs.append(self.joiner.join(sentences[:take]))
            sentences = sentences[take:]
        return title, "\n\n".join(paragraphs)


def _names(rng: random.Random, syllables: list[str], count: int) -> list[str]:
    return ["".join(rng.choices(syllables, k=rng.randint(2, 4))).capitalize()
            for _ in range(count)]


def writers(rng: random.Random) -> dict[str, Writer]:
    en_names = EN_NAMES + _names(rng, SYLLABLES, 4000)
    ru_names = ["Лавров", "Захарова"] + _names(rng, RU_SYLLABLES, 3000)
    zh_names = [rng.choice(ZH_SURNAMES) + "".join(rng.choices(ZH_GIVEN, k=rng.randint(1, 2)))
                for _ in range(2000)]
    ar_names = _names(rng, ["ع", "لي", "حمد", "سن", "كر", "يم", "فا", "طمة"], 800)
    return {
        "en": Writer(rng, EN_COMMON, EN_WORDS + EN_PLACES, EN_PHRASES, en_names, 30, " ", "."),
        "ru": Writer(rng, RU_COMMON, RU_WORDS, RU_PHRASES, ru_names, 14, " ", "."),
        "zh": Writer(rng, [], ZH_WORDS, ZH_PHRASES, zh_names, 12, "", "。"),
        "ar": Writer(rng, AR_COMMON, AR_WORDS, AR_PHRASES, ar_names, 8, " ", "."),
    }


def _length(rng: random.Random) -> int:
    """Words in a statement: most a few hundred, one in twelve a briefing's
    transcript of thousands."""
    if rng.random() < 1 / 12:
        return rng.randint(1500, 5000)
    return max(60, min(1500, int(rng.lognormvariate(5.8, 0.5))))


def generate(path: Path, count: int, seed: int = SEED) -> float:
    """A fresh archive of ``count`` statements; seconds to insert and index them."""
    url = f"sqlite:///{path}"
    engine = open_archive(url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), START)
    engine.dispose()
    rng = random.Random(seed)
    lang_writers = writers(rng)
    languages = list(LANGUAGES)
    shares = [LANGUAGES[lang][0] for lang in languages]
    rows = []
    for n in range(1, count + 1):
        lang = rng.choices(languages, weights=shares)[0]
        writer = lang_writers[lang]
        source = LANGUAGES[lang][1] or rng.choice(EN_SOURCES)
        published = START + timedelta(days=(n - 1) * DAYS // count, minutes=rng.randrange(1440))
        when = published.strftime("%Y-%m-%dT%H:%M:%SZ")
        title, body = writer.statement(_length(rng))
        rows.append((n, source, f"https://bench.example/{lang}/{n}", title, body, when, lang,
                     f"{n:064x}", when, when))
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO sources (key, name, site_name, kind, country, language, spider, "
                 "domains, entry_points, updated_at) VALUES ('bench_mfa_ar', 'Bench MFA (Arabic)',"
                 " 'Bench MFA', 'ministry', 'EG', 'ar', 'feed', '[]', '[]', "
                 "'2021-01-01T00:00:00Z')")
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO articles (id, source, url, title, body, published_at, language, "
            "content_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows)
    seconds = time.perf_counter() - started
    del rows
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return seconds


# Single terms, searched for (as a phrase when two words) and scanned for
# with LIKE: topic words (each in a few per cent of the statements), then
# names from the long tail (`_tail_names`).
TERMS = [
    "sanctions", "ceasefire", "minister", "withdrawal", "vaccine", "consultations",
    "semiconductors", "hegemony", "Yerevan", "Caracas", "Lavrov", "Security Council",
    "санкции", "переговоры", "беженцы", "Захарова", "制裁", "外交部", "台湾", "停火",
    "العقوبات", "السفارة", "غزة",
]
# Phrases, boolean queries, prefixes: searched for only.
QUERIES = [
    '"territorial integrity"', '"human rights" Syria', "sanctions AND Iran",
    "ceasefire OR truce", "sanctions NOT Iran", "negotiat*", "sanction*", "Lavrov Blinken",
    "(Gaza OR Lebanon) AND humanitarian", '"прекращения огня"', "санкци*", '"一带一路"',
    "人类命运共同体", '"وقف إطلاق النار"', "nuclear weapons treaty", "Security Council resolution",
    "press conference Beijing", "Ukraine NOT Russia",
]
def _tail_names() -> list[str]:
    """Names the generator used, from frequent to rare (ranks 10, 100, 1000)."""
    made = writers(random.Random(SEED))
    return [made[lang].names[rank] for lang in ("en", "ru", "zh") for rank in (10, 100, 1000)]


def _as_query(term: str) -> str:
    return f'"{term}"' if " " in term else term


def _median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def bench_queries(path: Path, repeat: int) -> None:
    terms = TERMS + _tail_names()
    engine = open_archive(f"sqlite:///{path}")
    search_times: dict[str, list[float]] = {}
    with Session(engine) as s:
        for query in [_as_query(t) for t in terms] + QUERIES:
            parsed = parse_query(query)
            for _ in range(repeat):
                started = time.perf_counter()
                search(s, parsed, limit=20)
                search_times.setdefault(query, []).append(time.perf_counter() - started)
    engine.dispose()
    like_times: dict[str, float] = {}
    like_counts: dict[str, int] = {}
    conn = sqlite3.connect(path)
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    for term in terms:
        started = time.perf_counter()
        rows = conn.execute("SELECT id FROM articles WHERE title LIKE ?1 OR body LIKE ?1",
                            (f"%{term}%",)).fetchall()
        like_times[term] = time.perf_counter() - started
        like_counts[term] = len(rows)
    conn.close()
    every = [t for times in search_times.values() for t in times]
    term_search = [statistics.median(search_times[_as_query(t)]) for t in terms]
    like_median = _median_ms(list(like_times.values()))
    search_median = _median_ms(term_search)
    print(f"\nSearch: {len(search_times)} different queries x {repeat} runs, top 20 ranked "
          f"with snippets (storage.search.search)")
    print(f"  all queries: median {_median_ms(every):.2f} ms, p90 "
          f"{statistics.quantiles(every, n=10)[-1] * 1000:.2f} ms, max {max(every) * 1000:.2f} ms")
    print(f"  the {len(terms)} single terms: search median {search_median:.2f} ms; "
          f"LIKE '%term%' on title or body, all matches: median {like_median:.1f} ms")
    ratios = [like_times[t] / statistics.median(search_times[_as_query(t)]) for t in terms]
    print(f"  speed-up: median LIKE / median search {like_median / search_median:.0f}x; "
          f"median of the terms' speed-ups {statistics.median(ratios):.0f}x, "
          f"lowest {min(ratios):.0f}x (the more statements a term is in, the more BM25 ranks)")
    print("\n  term                   statements   share  LIKE ms  search ms  speed-up")
    for term in terms:
        searched = _median_ms(search_times[_as_query(term)])
        print(f"  {term:<22} {like_counts[term]:10d} {like_counts[term] / total:7.2%} "
              f"{like_times[term] * 1000:8.1f} {searched:10.2f} "
              f"{like_times[term] * 1000 / searched:8.0f}x")


def bench_chinese(path: Path, limit: int = 5000) -> None:
    """Trigram against characters as tokens, on the archive's Chinese statements."""
    conn = sqlite3.connect(path)
    texts = [b for (b,) in conn.execute(
        "SELECT body FROM articles WHERE language = 'zh' LIMIT ?", (limit,))]
    conn.close()
    words = ["制裁", "台湾", "停火", "外交部", "一带一路", "人类命运共同体", "核"]
    print(f"\nChinese: {len(texts)} statements, trigram tokenizer vs one token per character")
    print("  tokenizer          index MB  build s   " + "  ".join(f"{w}" for w in words))
    truth = [sum(w in t for t in texts) for w in words]
    print("  (statements)                          " + "  ".join(
        f"{n:>{len(w) * 2}}" for n, w in zip(truth, words, strict=True)))
    with tempfile.TemporaryDirectory() as folder:
        for name, tokenizer, prepare, query in [
            ("trigram", "trigram", lambda t: t, lambda w: f'"{w}"'),
            ("characters", "unicode61 remove_diacritics 2 categories 'L* N* Co Mn Mc'",
             fold, lambda w: parse_query(w).fts5()),
        ]:
            db = sqlite3.connect(Path(folder) / f"{name}.db")
            db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize=\"{tokenizer}\")")
            started = time.perf_counter()
            with db:
                db.executemany("INSERT INTO t (body) VALUES (?)", ((prepare(t),) for t in texts))
            build = time.perf_counter() - started
            size = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 't_%'").fetchone()[0]
            counts, times = [], []
            for word in words:
                started = time.perf_counter()
                counts.append(db.execute("SELECT count(*) FROM t WHERE t MATCH ?",
                                         (query(word),)).fetchone()[0])
                times.append(time.perf_counter() - started)
            db.close()
            print(f"  {name:<17} {size / 1e6:9.1f} {build:8.1f}   " + "  ".join(
                f"{n:>{len(w) * 2}}" for n, w in zip(counts, words, strict=True))
                + f"   (median {_median_ms(times):.2f} ms)")


def bench_export(path: Path, count: int) -> None:
    """Peak RSS of `demarche export`, each in a fresh process."""
    tenth_day = (START + timedelta(days=DAYS * 10_000 // count - 1)).date().isoformat()
    cases = [("nothing", ["--until", "2000-01-01"]), ("10,000", ["--until", tenth_day]),
             (f"all {count:,}", [])]
    # VmHWM, the peak resident set of this process image: getrusage's
    # ru_maxrss carries the parent's peak across fork and exec on Linux.
    code = ("import re, sys; from crawler.cli import main; rc = main(sys.argv[1:]); "
            "status = open('/proc/self/status').read(); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); "
            "sys.exit(rc)")
    print("\nExport: peak RSS of the process (MB), and seconds")
    env = {**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{path}"}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("parquet", "jsonl"):
            for label, args in cases:
                out = Path(folder) / f"out.{fmt}"
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", code, "export", "--format", fmt,
                                       "--out", str(out), *args], env=env, cwd=project_root(),
                                      capture_output=True, text=True, check=True)
                seconds = time.perf_counter() - started
                rss_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
                exported = re.search(r"(\d+) article", proc.stdout)
                print(f"  {fmt:<8} {label:<12} {rss_mb:7.0f} MB {seconds:7.1f} s  "
                      f"{exported.group(1) if exported else '?'} articles, "
                      f"{out.stat().st_size / 1e6:.0f} MB file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each search query")
    parser.add_argument("--keep", type=Path, metavar="FILE",
                        help="make the archive here and keep it; if FILE exists, measure it")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = opts.keep or Path(folder) / "bench.db"
        if not path.exists():
            seconds = generate(path, opts.articles)
            print(f"{opts.articles:,} statements inserted and indexed in {seconds:.1f} s "
                  f"({opts.articles / seconds:,.0f}/s)")
        print(f"archive {path.stat().st_size / 1e6:.0f} MB")
        conn = sqlite3.connect(path)
        fts = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search_%'"
                           ).fetchone()[0]
        conn.close()
        print(f"  of which the search index {fts / 1e6:.0f} MB")
        bench_queries(path, opts.repeat)
        bench_chinese(path)
        bench_export(path, opts.articles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
