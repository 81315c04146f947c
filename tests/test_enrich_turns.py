"""crawler.enrich: briefing transcripts split into question, answer and
remark turns, with outlets and speakers."""

from __future__ import annotations

from datetime import date

from crawler.enrich import enrich
from tests.test_enrich import codes, names

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
