"""crawler.enrich: statement type, speakers, quotes, countries, document
numbers, translation keys and briefing turns (issue 7), on the seed and on
short texts written for these tests."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from crawler.enrich import STATEMENT_TYPES, Enrichment, enrich

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "sputnik-russia-section-article.txt"


def codes(result: Enrichment) -> set[str]:
    return {m.code for m in result.countries}


def names(result: Enrichment) -> list[str]:
    return [s.name for s in result.speakers]


@pytest.fixture(scope="module")
def seed() -> Enrichment:
    if not SEED.exists():
        pytest.skip("the seed page is in ../shared/seed, beside the repository")
    return enrich(
        title="Russia Urges Syria to ‘Make First Step,’ Call Off Troops",
        text=SEED.read_text(encoding="utf-8"),
        url="https://sputniknews.com/20120402/172578046.html",
        source_country="RU", source_kind="media", language="en",
        published=datetime(2012, 4, 2, 12, 0),
    )


# ---------------------------------------------------------------- the seed

def test_seed_is_a_news_report_of_lavrov(seed: Enrichment) -> None:
    assert seed.statement_type == "news report"
    assert [(s.name, s.role, s.country) for s in seed.speakers] == [
        ("Sergei Lavrov", "Foreign Minister", "RU")]


def test_seed_every_quote_is_lavrov(seed: Enrichment) -> None:
    assert len(seed.quotes) >= 6
    assert {q.speaker for q in seed.quotes} == {"Sergei Lavrov"}
    texts = [q.text for q in seed.quotes]
    assert any(t.startswith("We agree that the Syrian government") for t in texts)
    assert "invitation for bloodshed" in texts
    # A meeting's name and an unattributed term are no quotations of his.
    assert "Friends of the Syrian People" not in texts
    assert "armed terrorist gangs" not in texts
    positions = [q.position for q in seed.quotes]
    assert positions == sorted(positions)


def test_seed_countries(seed: Enrichment) -> None:
    assert codes(seed) >= {"SY", "RU", "US", "AM", "IR", "CN"}
    counts = [m.count for m in seed.countries]
    assert counts == sorted(counts, reverse=True)
    assert seed.countries[0].code == "SY"


def test_seed_to_dict_is_json(seed: Enrichment) -> None:
    data = json.loads(json.dumps(seed.to_dict()))
    assert data["statement_type"] == "news report"
    assert data["speakers"][0] == {"name": "Sergei Lavrov", "role": "Foreign Minister", "country": "RU"}
    assert set(data) == {"statement_type", "speakers", "quotes", "countries", "source_country",
                         "document_number", "translation_keys", "turns"}


def test_seed_undated_still_resolves_the_minister() -> None:
    if not SEED.exists():
        pytest.skip("no seed")
    result = enrich(title="Russia Urges Syria to ‘Make First Step,’ Call Off Troops",
                    text=SEED.read_text(encoding="utf-8"), source_country="RU", source_kind="media")
    assert names(result) == ["Sergei Lavrov"]
    assert {q.speaker for q in result.quotes} == {"Sergei Lavrov"}


# ---------------------------------------------------------------- statement type

@pytest.mark.parametrize(("title", "section", "url", "expected"), [
    ("Statement by Foreign Minister Annalena Baerbock on the situation in Sudan", None, "", "statement"),
    ("Заявление МИД России в связи с ситуацией вокруг Сирии", None, "", "statement"),
    ("Комментарий Департамента информации и печати МИД России в связи с выборами", None, "", "comment"),
    ("Ответ официального представителя МИД России М.В.Захаровой на вопрос СМИ о ситуации в Армении",
     None, "", "media answer"),
    ("外交部发言人就美国对台军售答记者问", None, "", "media answer"),
    ("Брифинг официального представителя МИД России М.В.Захаровой, Москва, 17 апреля 2024 года",
     None, "", "briefing"),
    ("2024年5月6日外交部发言人毛宁主持例行记者会", None, "", "briefing"),
    ("Department Press Briefing – May 6, 2024", None, "https://www.state.gov/briefings/", "briefing"),
    ("Joint Statement of the Russian Federation and the People's Republic of China", None, "", "joint statement"),
    ("Совместное заявление министров иностранных дел России и Индии", None, "", "joint statement"),
    ("中华人民共和国和法兰西共和国联合声明", None, "", "joint statement"),
    ("Secretary Blinken’s Call with Indian External Affairs Minister Jaishankar", None,
     "https://www.state.gov/readout-secretary-blinken", "readout"),
    ("О телефонном разговоре С.В.Лаврова с Министром иностранных дел Турции", None, "", "readout"),
    ("王毅同法国外长巴罗通电话", None, "", "readout"),
    ("杨洁篪会见卢森堡外交大臣阿瑟伯恩", None, "", "readout"),
    ("Выступление Министра иностранных дел России С.В.Лаврова на сессии ГА ООН", None, "", "speech"),
    ("杨洁篪在第55届慕尼黑安全会议上的主旨演讲（全文）", None, "", "speech"),
    ("Rede von Außenministerin Baerbock im Deutschen Bundestag", None, "", "speech"),
    ("Интервью Министра иностранных дел России С.В.Лаврова газете «Коммерсантъ»", None, "", "interview"),
    ("王毅接受新华社记者采访", None, "", "interview"),
    ("Статья Министра иностранных дел России С.В.Лаврова «О праве, правах и правилах»", None, "", "op-ed"),
    ("Article by Foreign Minister Yoko Kamikawa in The Japan Times", None, "", "op-ed"),
    ("Press release: Foreign Secretary visits Kenya", None, "", "press release"),
    ("Communiqué de presse : visite du ministre au Maroc", None, "", "press release"),
    ("Об аккредитации журналистов на пресс-конференцию", None, "", "notice"),
    ("Italien: Reise- und Sicherheitshinweise", None, "", "notice"),
    ("Spokesperson's remarks on the situation in the Middle East", "Spokesperson's Remarks", "", "comment"),
    # A ministry's news item about an event its people attend is a news report (README).
    ("Minister attends reception marking national day", None, "", "news report"),
    ("大使出席国庆招待会", None, "", "news report"),
    ("Ministry opens a new consular office in Lyon", None, "", "press release"),
    ("Prime Minister's New Year message", None, "", "statement"),
    ("外交部长就地震向某国外长致慰问电", None, "", "statement"),
    ("Entretien de la ministre avec Radio Example", None, "https://example.fr/article/x", "interview"),
    ("Secretary Smith’s Call with the Foreign Minister of Ruritania", None, "", "readout"),
    ("外務大臣会見記録", None, "", "briefing"),
])
def test_ministry_statement_types(title: str, section: str | None, url: str, expected: str) -> None:
    result = enrich(title=title, text="The text of the statement.", url=url, source_kind="ministry",
                    source_country="RU", section=section)
    assert result.statement_type == expected
    assert result.statement_type in STATEMENT_TYPES


def test_media_reporting_words_is_news_report() -> None:
    result = enrich(title="Lavrov Says Moscow Ready for Talks", text="Lavrov said Moscow was ready.",
                    source_kind="agency", source_country="RU")
    assert result.statement_type == "news report"
    interview = enrich(title="Interview of Foreign Minister Sergey Lavrov to TASS", text="Question: ...",
                       source_kind="agency", source_country="RU")
    assert interview.statement_type == "interview"


def test_taxonomy_is_documented() -> None:
    import crawler.enrich.types as types

    for kind in STATEMENT_TYPES:
        assert f"``{kind}``" in types.__doc__


# ---------------------------------------------------------------- speakers

@pytest.mark.parametrize(("text", "expected"), [
    ("The crisis can only be settled politically, Foreign Minister Sergei Lavrov said.", "Sergei Lavrov"),
    ("According to Antony Blinken, the talks were productive.", "Antony Blinken"),
    ("Как заявил Сергей Лавров, Россия готова к диалогу.", "Sergei Lavrov"),
    ("По словам Марии Захаровой, ответ будет адекватным.", "Maria Zakharova"),
    ("Захарова заявила, что Москва ответит.", "Maria Zakharova"),
    ("王毅表示，中方愿同各方加强沟通。", "Wang Yi"),
    ("外交部发言人毛宁指出，台湾问题是中国内政。", "Mao Ning"),
    ("Jean-Noël Barrot a déclaré que la France soutient l'Ukraine.", "Jean-Noël Barrot"),
    ("Selon Jean-Noël Barrot, la situation est grave.", "Jean-Noël Barrot"),
    ("Die Lage sei ernst, sagte Annalena Baerbock.", "Annalena Baerbock"),
    ("Baerbock sagte, Deutschland stehe an der Seite der Ukraine.", "Annalena Baerbock"),
    ("David Lammy said Britain would increase aid.", "David Lammy"),
    ("S. Jaishankar said India values the partnership.", "S. Jaishankar"),
    ("上川陽子外務大臣は、日本の立場を説明したと述べた。", "Yoko Kamikawa"),
])
def test_speaker_patterns(text: str, expected: str) -> None:
    result = enrich(title="", text=text, source_kind="media", published=date(2024, 11, 1))
    assert names(result)[:1] == [expected]


def test_role_and_country_on_the_date() -> None:
    result = enrich(title="", text="Secretary of State Antony Blinken said the talks were useful.",
                    source_kind="media", published=date(2023, 6, 1))
    assert result.speakers[0].role == "Secretary of State"
    assert result.speakers[0].country == "US"
    deputy = enrich(title="", text="Antony Blinken said the talks were useful.",
                    source_kind="media", published=date(2016, 6, 1))
    assert deputy.speakers[0].role == "Deputy Secretary of State"


def test_the_minister_in_a_2012_mid_ru_text_is_lavrov() -> None:
    result = enrich(title="О переговорах в Женеве",
                    text="Министр заявил, что Россия выступает за политическое урегулирование.",
                    url="https://www.mid.ru/ru/foreign_policy/news/", source_country="RU",
                    source_kind="ministry", published=date(2012, 3, 1))
    assert [(s.name, s.role) for s in result.speakers] == [("Sergei Lavrov", "Foreign Minister")]
    english = enrich(title="On talks", text="The minister said that Russia favours dialogue.",
                     source_country="RU", source_kind="ministry", published=date(2012, 3, 1))
    assert names(english) == ["Sergei Lavrov"]


@pytest.mark.parametrize(("day", "expected"), [
    (date(2013, 9, 1), "Wang Yi"),
    (date(2010, 9, 1), "Yang Jiechi"),
    (date(2005, 9, 1), "Li Zhaoxing"),
    (date(2023, 3, 1), "Qin Gang"),
])
def test_chinese_foreign_minister_by_date(day: date, expected: str) -> None:
    result = enrich(title="外长谈中美关系", text="外长表示，中方愿同美方相向而行。",
                    source_country="CN", source_kind="ministry", published=day)
    assert names(result) == [expected]
    assert result.speakers[0].role == "Foreign Minister"


def test_spokesperson_by_date_and_country() -> None:
    before = enrich(title="", text="The spokesperson said Moscow would respond.", source_country="RU",
                    source_kind="ministry", published=date(2013, 5, 1))
    after = enrich(title="", text="The spokesperson said Moscow would respond.", source_country="RU",
                   source_kind="ministry", published=date(2019, 5, 1))
    assert names(before) == ["Alexander Lukashevich"]
    assert names(after) == ["Maria Zakharova"]
    us = enrich(title="", text="The US State Department spokesperson said the talks went well.",
                source_country="RU", source_kind="media", published=date(2023, 9, 1))
    assert names(us) == ["Matthew Miller"]


def test_undated_role_phrase_resolves_to_nobody() -> None:
    result = enrich(title="", text="The minister said the talks went well.", source_country="RU",
                    source_kind="ministry")
    assert result.speakers == ()


def test_official_not_in_the_data_file() -> None:
    result = enrich(title="", text="Jordanian Foreign Minister Ayman Safadi said the war must end.",
                    source_kind="media", published=date(2024, 1, 1))
    assert [(s.name, s.role, s.country) for s in result.speakers] == [
        ("Ayman Safadi", "Foreign Minister", "JO")]


def test_international_and_unnamed_nation_envoys_speak_for_no_country() -> None:
    def speakers(text: str) -> list[tuple[str, str | None]]:
        result = enrich(title="", text=text, source_country="RU", source_kind="media",
                        published=date(2012, 4, 1))
        return [(s.name, s.country) for s in result.speakers]

    # The source's country is not the envoy's, nor is the country of his mandate.
    assert speakers("Joint Special Envoy for Syria Kofi Annan said the plan must be "
                    "implemented.") == [("Kofi Annan", None)]
    assert speakers("UN envoy Lakhdar Brahimi said the talks would resume.") == [
        ("Lakhdar Brahimi", None)]
    assert speakers("Envoy Kofi Annan said the deadline stands.") == [("Kofi Annan", None)]
    # A nation named with the title still counts; other titles keep the source's country.
    assert speakers("French envoy Jean Dupont said the talks would resume.") == [
        ("Jean Dupont", "FR")]
    assert speakers("Spokesman Ivan Petrovsky said the talks would resume.") == [
        ("Ivan Petrovsky", "RU")]


def test_mentioned_but_silent_officials_are_not_speakers() -> None:
    result = enrich(title="", text="Wang Yi said China opposes sanctions against Russia, which "
                    "Antony Blinken announced last week after meeting Annalena Baerbock.",
                    source_kind="media", published=date(2023, 9, 1))
    assert names(result)[0] == "Wang Yi"
    assert "Annalena Baerbock" not in names(result)


def test_speakers_in_order_of_prominence() -> None:
    text = ("Lavrov met Blinken in Geneva. “We are ready for dialogue,” Lavrov said. "
            "“This is a serious step,” he added. Blinken said the meeting was useful.")
    result = enrich(title="Lavrov and Blinken meet", text=text, source_kind="media",
                    published=date(2022, 1, 21))
    assert names(result) == ["Sergei Lavrov", "Antony Blinken"]


# ---------------------------------------------------------------- quotes

@pytest.mark.parametrize(("text", "quote", "speaker"), [
    ("«Мы не допустим эскалации», — заявил Сергей Лавров.", "Мы не допустим эскалации", "Sergei Lavrov"),
    ("Захарова отметила: «Ответ будет жёстким и соразмерным».", "Ответ будет жёстким и соразмерным",
     "Maria Zakharova"),
    ("王毅表示：“中方始终坚定支持和平解决争端的一切努力。”", "中方始终坚定支持和平解决争端的一切努力。", "Wang Yi"),
    ("Baerbock sagte: „Wir stehen fest an der Seite der Ukraine.“",
     "Wir stehen fest an der Seite der Ukraine.", "Annalena Baerbock"),
    ("« La France restera aux côtés du peuple ukrainien », a déclaré Jean-Noël Barrot.",
     "La France restera aux côtés du peuple ukrainien", "Jean-Noël Barrot"),
    ("上川陽子外務大臣は「日本は国際社会と緊密に連携していく」と述べた。", "日本は国際社会と緊密に連携していく",
     "Yoko Kamikawa"),
    ('Blinken said: "We will continue to support our partners in the region."',
     "We will continue to support our partners in the region.", "Antony Blinken"),
])
def test_quote_marks_and_attribution(text: str, quote: str, speaker: str) -> None:
    result = enrich(title="", text=text, source_kind="media", published=date(2024, 3, 1))
    assert [(q.text.strip(), q.speaker) for q in result.quotes] == [(quote, speaker)]
    assert text[result.quotes[0].position:].startswith(result.quotes[0].text)


def test_quote_continuing_in_the_next_paragraph() -> None:
    text = ("Lavrov said: “We want a settlement that respects everyone's security interests.”\n\n"
            "“Nobody should be under any illusion about our resolve,” the statement continued.")
    result = enrich(title="", text=text, source_kind="media", published=date(2022, 1, 1))
    assert [q.speaker for q in result.quotes] == ["Sergei Lavrov", "Sergei Lavrov"]


def test_unattributed_and_scare_quotes() -> None:
    text = ("The so-called “rules-based order” was discussed at the “Summit for Democracy” forum. "
            "“A long sentence with no speaker at all in this paragraph,” reads the banner.")
    result = enrich(title="", text=text, source_kind="media")
    assert [(q.text, q.speaker) for q in result.quotes] == [
        ("A long sentence with no speaker at all in this paragraph", None)]


# ---------------------------------------------------------------- countries

@pytest.mark.parametrize(("text", "expected"), [
    ("Talks between Moscow and Washington; the Kremlin and the White House disagree.", {"RU": 2, "US": 2}),
    ("Россия, России, Россией, российский, российского; Китай и Китаем.", {"RU": 5, "CN": 2}),
    ("中国和美国。中美关系。北京。", {"CN": 3, "US": 2}),
    ("La France et l'Allemagne; Paris et Berlin, l'Élysée.", {"FR": 3, "DE": 2}),
    ("Deutschland und Frankreich, die russische Regierung, Moskau.", {"DE": 1, "FR": 1, "RU": 2}),
    ("日本とロシアと中国。東京。", {"JP": 2, "RU": 1, "CN": 1}),
    ("Downing Street and the Élysée Palace.", {"GB": 1, "FR": 1}),
    ("China Daily reported on the South China Sea.", {"CN": 2}),
])
def test_country_forms(text: str, expected: dict[str, int]) -> None:
    result = enrich(title="", text=text, source_kind="media")
    assert {m.code: m.count for m in result.countries} == expected


@pytest.mark.parametrize("text", [
    "We ate turkey on Thursday.",
    "Michael Jordan visited Atlanta, Georgia, last week.",
    "Chad Smith played in Latin America and New Mexico.",
    "The Paris Agreement and the Minsk agreements.",
    "タイトルとマリア。",
])
def test_country_false_positives(text: str) -> None:
    assert enrich(title="", text=text, source_kind="media").countries == ()


def test_countries_count_title_and_keep_source_country() -> None:
    result = enrich(title="Lavrov on Russia and Iran", text="Russia and Iran agreed.", source_country="RU",
                    source_kind="ministry")
    assert {m.code: m.count for m in result.countries} == {"RU": 2, "IR": 2}
    assert result.source_country == "RU"


# ---------------------------------------------------------------- document numbers and translations

def test_mid_ru_document_number_and_keys() -> None:
    text = ("Ответ официального представителя МИД России М.В.Захаровой на вопрос СМИ\n"
            "Вопрос: Как вы прокомментируете?\nОтвет: Мы считаем это недопустимым.\n703-17-04-2024")
    result = enrich(title="Ответ официального представителя МИД России на вопрос СМИ", text=text,
                    url="https://mid.ru/ru/foreign_policy/news/1944520/", source_country="RU",
                    source_kind="ministry", published=date(2024, 4, 17))
    assert result.document_number == "703-17-04-2024"
    assert result.translation_keys == ("doc:RU:703-17-04-2024", "mid.ru:1944520")
    assert result.statement_type == "media answer"
    assert result.turns == ()


def test_no_document_number_in_dates_or_phones() -> None:
    for text in ("Call +7-495-12-34-2024 now.", "Published 17-04-2024.", "Code 12-45-13-2024."):
        assert enrich(title="", text=text).document_number is None


def test_header_document_number() -> None:
    result = enrich(title="Pressemitteilung Nr. 123/24", text="Berlin. Die Ministerin reist nach Kiew.",
                    source_country="DE")
    assert result.document_number == "123/24"
    prose = enrich(title="Germany's No. 1 priority", text="It is priority No. 1 for us.")
    assert prose.document_number is None


def test_hreflang_alternates_are_translation_keys() -> None:
    html = ('<html><head><link rel="alternate" hreflang="en" href="https://www.example.gov/en/news/1">'
            "<link rel='alternate' hreflang='fr' href='/fr/news/1'></head></html>")
    result = enrich(title="t", text="x", url="https://www.example.gov/de/news/1", html=html)
    assert result.translation_keys == ("url:example.gov/de/news/1", "url:example.gov/en/news/1",
                                       "url:example.gov/fr/news/1")


def test_fmprc_ids_are_not_translation_keys() -> None:
    result = enrich(title="t", text="x", url="https://www.fmprc.gov.cn/web/zyxw/t1638430.shtml")
    assert result.translation_keys == ()


# ---------------------------------------------------------------- briefing turns

FMPRC_ZH = """2024年5月6日外交部发言人毛宁主持例行记者会
应国务院总理李强邀请，法国总统马克龙将于5月5日至7日对中国进行国事访问。
总台央视记者：法国是中欧关系的重要一方，中方对此访有何期待？
毛宁：中法关系历经风雨，始终保持稳定发展。
法新社记者：美国对中国企业实施新的制裁，中方有何回应？
答：中方坚决反对美方无理打压中国企业。
我们将采取必要措施，坚定维护中国企业的正当权益。"""


def test_chinese_briefing_turns_with_outlets() -> None:
    result = enrich(title="2024年5月6日外交部发言人毛宁主持例行记者会", text=FMPRC_ZH,
                    url="https://www.fmprc.gov.cn/fyrbt_673021/jzhsl_673025/202405/t20240506_11293001.shtml",
                    source_country="CN", source_kind="ministry", language="zh",
                    published=date(2024, 5, 6))
    assert result.statement_type == "briefing"
    kinds = [(t.kind, t.speaker, t.outlet) for t in result.turns]
    assert ("question", None, "总台央视") in kinds
    assert ("question", None, "法新社") in kinds
    answers = [t for t in result.turns if t.kind == "answer"]
    assert [t.speaker for t in answers] == ["Mao Ning", "Mao Ning"]
    assert answers[-1].text.endswith("正当权益。")
    assert [t.index for t in result.turns] == list(range(len(result.turns)))
    assert names(result)[0] == "Mao Ning"
    assert {"FR", "CN", "US"} <= codes(result)


STATE_EN = """Department Press Briefing – May 6, 2024
MR MILLER: Good afternoon, everyone. I have one announcement at the top.
Today the United States is announcing new assistance for Sudan.
QUESTION: Thank you, Matt. On Gaza – is there any progress on a ceasefire?
MR MILLER: We continue to push for a ceasefire that brings hostages home.
QUESTION: And on China?
MR MILLER: The Secretary raised our concerns directly in Beijing."""


def test_state_department_briefing_turns() -> None:
    result = enrich(title="Department Press Briefing – May 6, 2024", text=STATE_EN,
                    url="https://www.state.gov/briefings/department-press-briefing-may-6-2024/",
                    source_country="US", source_kind="ministry", published=date(2024, 5, 6))
    assert result.statement_type == "briefing"
    assert [t.kind for t in result.turns] == ["remark", "question", "answer", "question", "answer"]
    assert {t.speaker for t in result.turns if t.kind != "question"} == {"Matthew Miller"}
    assert result.turns[0].text.endswith("assistance for Sudan.")
    assert names(result) == ["Matthew Miller"]


FMPRC_EN = """Foreign Ministry Spokesperson Lin Jian's Regular Press Conference on March 4, 2024
AFP: The US said it will send a delegation to Taiwan. What is China's response?
A: China firmly opposes any form of official interaction between the US and Taiwan.
Bloomberg: Will China release economic data this week?
A: I'd refer you to the competent authorities."""


def test_fmprc_english_briefing_resolves_a_to_the_spokesperson_in_the_title() -> None:
    result = enrich(title=FMPRC_EN.splitlines()[0], text=FMPRC_EN, source_country="CN",
                    source_kind="ministry", published=date(2024, 3, 4))
    assert [(t.kind, t.speaker, t.outlet) for t in result.turns] == [
        ("question", None, "AFP"), ("answer", "Lin Jian", None),
        ("question", None, "Bloomberg"), ("answer", "Lin Jian", None)]


def test_mid_ru_briefing_with_headed_sections() -> None:
    text = ("О ситуации в Сирии\nСитуация остаётся сложной. Мы призываем все стороны к сдержанности.\n"
            "О предстоящих контактах Министра\nМинистр проведёт переговоры в Москве.\n"
            "Вопрос: Как вы оцениваете заявления Вашингтона?\n"
            "Ответ: Мы считаем их провокационными.")
    result = enrich(title="Брифинг официального представителя МИД России М.В.Захаровой", text=text,
                    source_country="RU", source_kind="ministry", published=date(2023, 2, 1))
    assert [t.kind for t in result.turns] == ["remark", "remark", "question", "answer"]
    assert result.turns[0].text.startswith("О ситуации в Сирии\nСитуация")
    assert all(t.speaker == "Maria Zakharova" for t in result.turns if t.kind != "question")


def test_turns_only_for_briefings() -> None:
    result = enrich(title="Lavrov interview", text="Question: Why?\nAnswer: Because.", source_kind="media")
    assert result.turns == ()


# ---------------------------------------------------------------- performance

def test_a_typical_article_takes_a_few_milliseconds() -> None:
    text = (SEED.read_text(encoding="utf-8") if SEED.exists() else STATE_EN) * 2
    enrich(title="warm-up", text="Lavrov said.")  # data files load once per process
    start = time.perf_counter()
    for _ in range(20):
        enrich(title="Russia Urges Syria", text=text, source_country="RU", source_kind="media")
    per_article = (time.perf_counter() - start) / 20
    # Measured about 4 ms per 5,000 characters on a 2-core machine; 50 ms leaves
    # room for slow CI without hiding an accidental quadratic loop.
    assert per_article < 0.05


# ---------------------------------------------------------------- rules added for the bench

def test_label_line_and_opening_byline_give_the_type() -> None:
    speech = enrich(title="Peace needs patience: UK statement at the Council",
                    text="Speech\n\nStatement by Ambassador Clara Fenwick at the Council.\n\nThank you.",
                    source_country="GB", source_kind="ministry", published=date(2023, 3, 1))
    assert speech.statement_type == "speech"
    assert [(s.name, s.role, s.country) for s in speech.speakers] == [("Clara Fenwick", "Ambassador", "GB")]
    rede = enrich(title="Brücken statt Mauern", text="Bern, 1.5.2007 - Rede von Bundesrat Max Muster\n\nText.",
                  source_country="CH", source_kind="ministry")
    assert rede.statement_type == "speech"


def test_agency_columns_and_interviews() -> None:
    column = enrich(title="The Long Road Home", text="A columnist writes.", source_kind="agency",
                    url="https://agency.example/columnists/2020-the-long-road/")
    assert column.statement_type == "op-ed"
    interview = enrich(title="Замминистра: диалог возможен",
                       text="Замминистра рассказал в интервью агентству о переговорах.\n\n"
                            "— Есть ли контакты?\n\n— Нет.\n\n— А что дальше?\n\n— Посмотрим.",
                       source_kind="agency", source_country="RU")
    assert interview.statement_type == "interview"


def test_transcript_with_a_journalist_is_an_interview() -> None:
    text = ("QUESTION: Mr. Secretary, will you travel next week?\n\n"
            "SECRETARY BLINKEN: We are looking at that.\n\n"
            "QUESTION: And the talks?\n\nSECRETARY BLINKEN: They continue.")
    result = enrich(title="Secretary Antony J. Blinken With Jane Doe of Example News", text=text,
                    source_country="US", source_kind="ministry", published=date(2023, 5, 1))
    assert result.statement_type == "interview"
    assert names(result) == ["Antony Blinken"]


@pytest.mark.parametrize(("text", "name", "role", "country"), [
    ("Public Ombudsman Lucia Ferrer said the report would be published.", "Lucia Ferrer", "Public Ombudsman", None),
    ("“We will help,” said Lucia Ferrer, the ombudsman.", "Lucia Ferrer", "Ombudsman", None),
    ("Tom Baxter, British High Commissioner to Kenya, said: the partnership matters.",
     "Tom Baxter", "High Commissioner", "GB"),
    ("Ms. TANAKA Hanako, Minister for Foreign Affairs of Japan, said the talks were useful.",
     "TANAKA Hanako", "Foreign Minister", "JP"),
    ("Außenministerin Erika Muster sagte, Europa müsse zusammenstehen.", "Erika Muster", "Foreign Minister", None),
])
def test_officials_not_in_the_data_file_by_their_title(text, name, role, country) -> None:
    result = enrich(title="", text=text, source_kind="media", published=date(2024, 1, 1))
    assert (result.speakers[0].name, result.speakers[0].role) == (name, role)
    if country:
        assert result.speakers[0].country == country


def test_chinese_titled_speakers_and_private_persons() -> None:
    text = ("“两国在这一领域的合作前景十分广阔。”某国驻华公使衔参赞李文明说，双方将加强交流。\n\n"
            "“这对我们来说是一个难得的学习机会。”大学博士生张小林表示，他很期待。")
    result = enrich(title="", text=text, source_kind="media", source_country="CN", published=date(2024, 1, 1))
    assert names(result) == ["李文明"]
    assert result.speakers[0].role == "Minister-Counsellor"
    assert [q.speaker for q in result.quotes] == ["李文明", "张小林"]


def test_nested_citation_in_a_chinese_paragraph_is_no_speaker() -> None:
    text = "王毅表示，当前形势复杂。习近平主席指出，合作是唯一正确选择。中方愿同各方努力。"
    result = enrich(title="", text=text, source_kind="ministry", source_country="CN", published=date(2024, 1, 1))
    assert names(result) == ["Wang Yi"]


def test_headline_mention_in_a_report_is_no_speaker() -> None:
    result = enrich(title="习近平主席向论坛致贺信", text="论坛在北京开幕。与会代表认为，论坛意义重大。",
                    source_kind="media", source_country="CN", published=date(2024, 4, 24))
    assert result.speakers == ()


def test_parties_of_a_joint_statement_and_title_role() -> None:
    joint = enrich(title="Joint Statement on the Dialogue",
                   text="External Affairs Minister Dr. S. Jaishankar and Foreign Minister of Ruritania "
                        "Karl Ostmann met in Delhi.\n\nThe Ministers welcomed progress.",
                   source_country="IN", source_kind="ministry", published=date(2023, 11, 1))
    assert names(joint) == ["S. Jaishankar", "Karl Ostmann"]
    danwa = enrich(title="地震について（外務大臣談話）", text="我が国は深い哀悼の意を表します。",
                   source_country="JP", source_kind="ministry", published=date(2024, 2, 1))
    assert names(danwa) == ["Yoko Kamikawa"]


def test_arabic_speakers_and_verbs() -> None:
    result = enrich(title="", text="وقال ديفيد كاميرون إن العقوبات رسالة واضحة.", source_kind="ministry",
                    source_country="GB", published=date(2024, 1, 20))
    assert names(result) == ["David Cameron"]


def test_briefing_label_with_name_and_role() -> None:
    text = ("Shri Randhir Jaiswal, Official Spokesperson: Good afternoon.\n\n"
            "Reporter (Example TV): What is the response?\n\n"
            "Shri Randhir Jaiswal, Official Spokesperson: We reject the comments.")
    result = enrich(title="Transcript of Weekly Media Briefing by the Official Spokesperson", text=text,
                    source_country="IN", source_kind="ministry", published=date(2024, 3, 1))
    assert result.statement_type == "briefing"
    assert names(result) == ["Randhir Jaiswal"]


# ---------------------------------------------------------------- turns, labels and role words

def speakers_of_quotes(result: Enrichment) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in result.quotes]


def test_an_answer_label_gives_the_floor_to_its_official_until_the_next_label() -> None:
    text = ("Reuters: Fishing boats were turned back near the reef. What is your comment? "
            "Lin Jian: The boats entered waters without permission. “They must leave the area at once "
            "and respect our rules.” Kyodo: One more question on trade? “Trade talks will continue next "
            "month in Tokyo,” a report said.")
    result = enrich(title="Regular Press Conference", text=text, source_kind="ministry",
                    source_country="CN", published=date(2024, 6, 3))
    assert speakers_of_quotes(result) == [
        ("They must leave the area at once and respect our rules.", "Lin Jian"),
        ("Trade talks will continue next month in Tokyo", None)]


def test_a_colon_before_a_quotation_mark_is_no_label_and_keeps_the_turn() -> None:
    text = ("Вопрос: Как вы оцениваете переговоры по контролю над вооружениями?\n\n"
            "С.А.Рябков: Мы не видим готовности к серьезному разговору.\n\n"
            "Повторю: «Без учета наших интересов никакого диалога не будет».")
    result = enrich(title="Ответ на вопрос СМИ", text=text, source_kind="ministry", source_country="RU",
                    published=date(2024, 2, 1))
    assert speakers_of_quotes(result) == [("Без учета наших интересов никакого диалога не будет",
                                           "Sergei Ryabkov")]


def test_an_unnamed_answer_label_is_the_official_of_the_title() -> None:
    text = ("Вопрос (агентство «Пример»): Как вы оцениваете новые учения у наших границ? "
            "Ответ: Мы следим за развитием событий. «Мы призываем соседей отказаться от провокаций и "
            "вернуться к диалогу» – таков наш ответ.")
    result = enrich(title="Брифинг официального представителя МИД России М.В.Захаровой", text=text,
                    source_kind="ministry", source_country="RU", published=date(2024, 3, 5))
    assert speakers_of_quotes(result)[0][1] == "Maria Zakharova"
    dash = enrich(title="Entretien de M. Stéphane Séjourné avec Radio Exemple",
                  text="Q - Faut-il envoyer des troupes ?\n\nR - Nous voulons la paix. « Nous ne céderons "
                       "rien sur l'essentiel », voilà notre ligne.",
                  source_kind="ministry", source_country="FR", published=date(2024, 3, 1))
    assert speakers_of_quotes(dash) == [("Nous ne céderons rien sur l'essentiel", "Stéphane Séjourné")]


def test_a_bracket_label_gives_the_floor_across_paragraphs() -> None:
    text = ("【上川外務大臣】冒頭、私から一点申し上げます。\n\n"
            "両国関係を強化し、「地域の平和と安定に一層貢献していきたい」と考えています。\n\n"
            "【記者】ありがとうございます。「次の会談はいつになりますか」")
    result = enrich(title="外務大臣会見記録", text=text, source_kind="ministry", source_country="JP",
                    published=date(2024, 1, 16))
    assert speakers_of_quotes(result)[0] == ("地域の平和と安定に一層貢献していきたい", "Yoko Kamikawa")
    assert all(speaker is None for _, speaker in speakers_of_quotes(result)[1:])


def test_a_family_name_alone_is_the_official_named_in_full_before() -> None:
    text = ("Chinese Foreign Minister Wang Yi met reporters on Friday.\n\n"
            "\"Dialogue remains the only way to settle the dispute,\" Wang told the reporters.")
    result = enrich(title="FM meets press", text=text, source_kind="agency", source_country="CN",
                    published=date(2024, 3, 8))
    assert speakers_of_quotes(result) == [("Dialogue remains the only way to settle the dispute", "Wang Yi")]


def test_according_to_her_and_the_diplomat_are_the_person_just_named() -> None:
    text = ("«Это решение не останется без ответа», – заявила официальный представитель МИД России "
            "М.В.Захарова.\n\nПо ее словам, «ответ будет соразмерным и своевременным».")
    result = enrich(title="Комментарий", text=text, source_kind="ministry", source_country="RU",
                    published=date(2024, 2, 6))
    assert {speaker for _, speaker in speakers_of_quotes(result)} == {"Maria Zakharova"}
    report = enrich(title="Рябков о ракетах",
                    text=("Планы размещения ракет ведут к эскалации, заявил замглавы МИД России Сергей "
                          "Рябков.\n\n«Такие шаги лишь обостряют ситуацию в регионе», — сказал дипломат."),
                    source_kind="agency", source_country="RU", published=date(2023, 11, 3))
    assert speakers_of_quotes(report) == [("Такие шаги лишь обостряют ситуацию в регионе", "Sergei Ryabkov")]


def test_a_country_in_the_sentence_before_does_not_qualify_a_role() -> None:
    text = ("Aid will reach refugees who fled to South Sudan.\n\nThe Foreign Secretary said:\n\n"
            "“We will keep supporting everyone affected by this terrible war.”")
    result = enrich(title="UK aid", text=text, source_kind="ministry", source_country="GB",
                    published=date(2024, 9, 25))
    assert speakers_of_quotes(result) == [("We will keep supporting everyone affected by this terrible war.",
                                           "David Lammy")]


def test_a_role_only_one_country_uses_is_that_countrys_official() -> None:
    text = ("EAM will meet Foreign Minister Sergey Lavrov in Moscow. EAM said: “Our two countries share "
            "a long and steady partnership.”")
    result = enrich(title="Visit of External Affairs Minister", text=text, source_kind="ministry",
                    source_country="IN", published=date(2023, 12, 20))
    assert speakers_of_quotes(result)[0][1] == "S. Jaishankar"


# ---------------------------------------------------------------- blockquotes

BLOCKQUOTE_PAGE = """<html><body><h1>Sanctions</h1><p>The Foreign Secretary said:</p>
<blockquote><p>These sanctions send a clear message to <a href="#">those</a> responsible.</p>
<p>We will keep working with our allies to protect shipping.</p></blockquote>
<blockquote><p>An epigraph that nobody introduces here at all.</p></blockquote></body></html>"""


def test_blockquote_paragraphs_after_said_are_quotes_one_per_paragraph() -> None:
    text = ("The Foreign Secretary said:\n\nThese sanctions send a clear message to those responsible.\n\n"
            "We will keep working with our allies to protect shipping.\n\nOther news follows here.\n\n"
            "An epigraph that nobody introduces here at all.")
    result = enrich(title="Sanctions", text=text, source_kind="ministry", source_country="GB",
                    published=date(2024, 3, 1), html=BLOCKQUOTE_PAGE)
    assert speakers_of_quotes(result) == [
        ("These sanctions send a clear message to those responsible.", "David Cameron"),
        ("We will keep working with our allies to protect shipping.", "David Cameron")]
    assert enrich(title="Sanctions", text=text, source_country="GB", published=date(2024, 3, 1)).quotes == ()


def test_arabic_foreign_minister_said_colon_and_blockquote() -> None:
    html = "<h1>عقوبات</h1><p>قال وزير الخارجية:</p><blockquote><p>سنواصل العمل مع حلفائنا لحماية الملاحة الدولية في المنطقة.</p></blockquote>"
    text = "قال وزير الخارجية:\n\nسنواصل العمل مع حلفائنا لحماية الملاحة الدولية في المنطقة."
    result = enrich(title="عقوبات", text=text, source_kind="ministry", source_country="GB",
                    published=date(2024, 3, 1), html=html)
    assert speakers_of_quotes(result) == [("سنواصل العمل مع حلفائنا لحماية الملاحة الدولية في المنطقة.",
                                           "David Cameron")]


# ---------------------------------------------------------------- document numbers in the page

def test_document_number_from_the_page_when_the_text_has_none() -> None:
    from crawler.enrich.documents import html_document_number

    html = ('<html><head><script>var d = "111-01-01-2020";</script></head><body>'
            '<a href="/doc/222-02-02-2021">x</a><h1>Comment</h1>'
            '<p class="doc-number">345-06-07-2024</p><p>Text.</p></body></html>')
    assert html_document_number(html) == "345-06-07-2024"
    assert html_document_number("<p>12-34-56-2024</p>") is None  # no date
    assert html_document_number("<h1>Title</h1><p>Press release No. 45/24</p>") == "45/24"
    assert html_document_number("<p>Press release No. 45</p>") is None  # no headline to be under
    result = enrich(title="Comment", text="The text names no number.", source_country="RU", html=html)
    assert result.document_number == "345-06-07-2024"
    assert "doc:RU:345-06-07-2024" in result.translation_keys
    # A number in the text wins over the page's.
    assert enrich(title="C", text="No. 1: 703-03-04-2012", html=html).document_number == "703-03-04-2012"


# ---------------------------------------------------------------- fast scanners give the slow ones' answer

def test_speech_verbs_are_whole_words_in_any_case() -> None:
    from crawler.enrich.attribution import speech_verbs

    text = "He SAID so. The unsaid part, according to her, was noted. Она заявила. 王毅表示。وقال الوزير"
    found = [text[s:e] for s, e in speech_verbs(text)]
    assert found == ["SAID", "according to", "noted", "заявила", "表示", "وقال"]


def test_role_name_scan_matches_the_plain_regex() -> None:
    from crawler.enrich.attribution import _ROLE_NAME, _role_name_matches

    for text in ("Crime Prevention Minister Jeremy Browne said. Vice-Minister John Smith spoke, and "
                 "British High Commissioner to Pakistan Jane Marriott and Subminister Anna Lee agreed.",
                 "minister", "Ambassador  Mr.  Peter Long Short", ""):
        assert [m.span() for m in _role_name_matches(text)] == [m.span() for m in _ROLE_NAME.finditer(text)]


# ---------------------------------------------------------------- single quotes, titles, Arabic countries

def test_single_curly_quotes_open_at_a_word_start_and_close_before_no_letter() -> None:
    from crawler.enrich.quotes import find_quotes

    text = ("The minister’s aide said: ‘We don’t accept these demands as they stand today.’ "
            "Officials called it a ‘reset’. Rock ’n’ roll stays out.")
    assert [q.text for q in find_quotes(text)] == [
        "We don’t accept these demands as they stand today.", "reset"]
    # A plural possessive ("the farmers’ demands") closes the quote early: a
    # known limit of telling ’ the apostrophe from ’ the closing mark.
    assert find_quotes("He said: ‘the farmers’ demands are fair.’")[0].text == "the farmers"


def test_single_quotes_apostrophes_and_continued_paragraphs() -> None:
    from crawler.enrich.quotes import find_quotes

    text = ("Crime Prevention Minister Jeremy Browne said:\n\n‘Young people’s questions deserve straight "
            "answers from people they trust.\n\n‘We will keep the helpline open every day of the year.’\n\n"
            "The campaign’s adverts run for six months.")
    assert [q.text for q in find_quotes(text)] == [
        "Young people’s questions deserve straight answers from people they trust.",
        "We will keep the helpline open every day of the year."]
    result = enrich(title="Campaign", text=text, source_kind="ministry", source_country="GB",
                    published=date(2013, 6, 1))
    assert {q.speaker for q in result.quotes} == {"Jeremy Browne"}


def test_quoted_headlines_and_show_titles_are_no_quotations() -> None:
    text = ('A headline in a daily paper reads, "The Central Bank Is Rewriting What Money Means." '
            'The show ‘Dancing on the Moon with the Stars’ returns. "We will not raise rates this year," '
            'the governor said.')
    result = enrich(title="Markets", text=text, source_kind="media")
    assert [q.text for q in result.quotes] == ["We will not raise rates this year"]


def test_arabic_country_names_with_attached_prefixes() -> None:
    text = "فرضت المملكة المتحدة والولايات المتحدة عقوبات على قادة في اليمن، وللصين موقف آخر، وقال وزير في طهران"
    assert codes(enrich(title="", text=text)) == {"GB", "US", "YE", "CN", "IR"}
