"""crawler.enrich: who speaks in a text and whose each quotation is:
names, roles, pronouns, labels and blockquotes, on short texts written for
these tests."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.enrich import Enrichment, enrich
from tests.test_enrich import names

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
    # "Public Ombudsman" is the Ombudsman, as the golden set annotates RT's Bolivian one.
    ("Public Ombudsman Lucia Ferrer said the report would be published.", "Lucia Ferrer", "Ombudsman", None),
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
