"""The synthetic archive of ``make bench-search`` (``benchmarks/search.py``):
statements written from word lists (English, Russian, Chinese, Arabic) drawn
with Zipf-like frequencies, with recurring multi-word expressions and
generated names for a long tail of rare words, inserted in bulk into an
archive made by the migrations."""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from crawler.sources import load_sources
from storage.archive import sync_sources
from storage.engine import open_archive

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
