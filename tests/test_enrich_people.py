"""Who said what in news text (issue 16): people outside officials.toml,
the direction of speech verbs, pronouns, unnamed speakers, quotes over
paragraphs, scare quotes and countries. Every sentence here is written for
its rule; none is taken from the evaluation pages."""

from __future__ import annotations

from datetime import date

from crawler.enrich import Enrichment, enrich
from crawler.enrich.people import find_people


def news(text: str, **kwargs) -> Enrichment:
    return enrich(title="", text=text, source_kind="media", **kwargs)


def speakers(result: Enrichment) -> list[str]:
    return [s.name for s in result.speakers]


def quotes(result: Enrichment) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in result.quotes]


# ---------------------------------------------------------------- names

def test_people_outside_the_officials_file_are_speakers() -> None:
    result = news("“We will open two new plants in the north next year,” said Marta Okonjo, "
                  "the company's chief executive.")
    assert speakers(result) == ["Marta Okonjo"]
    assert quotes(result) == [("We will open two new plants in the north next year", "Marta Okonjo")]


def test_titles_are_cut_from_names_and_a_surname_is_the_full_name() -> None:
    text = ("Transport Secretary Helen Varga visited the depot on Friday. "
            "“The new trains will run from the spring onwards,” Varga said.")
    result = news(text)
    assert speakers(result) == ["Helen Varga"]
    assert quotes(result)[0][1] == "Helen Varga"
    found = [(p.name, p.title) for p in find_people(text)]
    assert found[0] == ("Helen Varga", "Transport Secretary")
    assert found[1] == ("Helen Varga", None)  # "Varga" alone


def test_particles_initials_and_titles_before_one_word() -> None:
    names = [p.name for p in find_people("Ines van der Berg met Jonas P. Kettle and Mr. Kettle's aide.")]
    assert names == ["Ines van der Berg", "Jonas P. Kettle", "Jonas P. Kettle"]
    assert [p.name for p in find_people("Later Queen Amalia spoke.")] == ["Amalia"]


def test_events_organisations_and_places_are_no_people() -> None:
    text = ("The Harvest Festival Act passed before Election Day, and the Grain Bureau said "
            "prices would fall. San Marcos officials said the roads were open.")
    assert find_people(text) == []
    assert news(text).speakers == ()


def test_german_nouns_are_no_names() -> None:
    text = ("Die Bundesregierung hat die Reisewarnung für das Land aufgehoben, sagte der Sprecher. "
            "Vorläufige Reisepässe werden nicht anerkannt, und die Einreise ist mit dem Ausweis "
            "möglich. Die Regeln für die Grenze sind für alle gleich.")
    assert find_people(text) == []


# ---------------------------------------------------------------- verbs and their subjects

def test_the_one_told_is_not_the_speaker() -> None:
    result = news("“We are ready to sign the accord today,” Okafor told Lindqvist at the talks.")
    assert speakers(result) == ["Okafor"] or speakers(result) == []
    assert "Lindqvist" not in speakers(result)
    text = ("Pedro Alves met Hanna Lindqvist in Oslo. “We are ready to sign the accord today,” "
            "Alves told Lindqvist.")
    assert speakers(news(text)) == ["Pedro Alves"]


def test_a_person_far_after_the_verb_is_no_speaker() -> None:
    text = ("Nora Fell met the council on Monday. The rebels said in a letter sent to Nora Fell "
            "that the ceasefire would hold.")
    assert speakers(news(text)) == []


def test_a_passive_speech_verb_gives_its_subject_no_words() -> None:
    text = "Clara Voss was said to have opposed the merger for months."
    assert speakers(news(text)) == []


def test_a_pronoun_goes_to_the_last_person_named_as_a_subject() -> None:
    text = ("“Prices will rise again in the autumn,” said Anna Berg, an economist.\n\n"
            "Tomas Lind toured the harbour on Monday with the mayor's staff. “It is a good day "
            "for the whole town,” he said.")
    assert quotes(news(text)) == [("Prices will rise again in the autumn", "Anna Berg"),
                                  ("It is a good day for the whole town", "Tomas Lind")]


def test_an_object_or_possessor_is_no_antecedent() -> None:
    text = ("Ravi Menon opened the hearing. Critics compared the plan with Oskar Brandt's proposal "
            "and praised Oskar Brandt. “We will not change course on this,” he said.")
    assert quotes(news(text)) == [("We will not change course on this", "Ravi Menon")]


# ---------------------------------------------------------------- unnamed speakers

def test_a_role_only_speaker_stays_unnamed() -> None:
    # The US spokesperson in office is in officials.toml: the text does not name her.
    text = "“The embassy will stay closed until further notice,” a spokeswoman for the US embassy told reporters."
    result = news(text, published=date(2024, 6, 3))
    assert result.speakers == ()
    assert quotes(result) == [("The embassy will stay closed until further notice", None)]


def test_an_apposition_describes_the_name_before_it() -> None:
    text = ("“The numbers do not add up for the region,” Lea Hartmann, an analyst at a Zurich bank, "
            "said in a note to clients.")
    assert quotes(news(text)) == [("The numbers do not add up for the region", "Lea Hartmann")]


def test_an_outlet_that_only_reports_is_no_person() -> None:
    text = ("According to Morning Ledger, “the port will reopen on Friday after the repairs.” "
            "Morning Ledger reported that the mayor agreed.")
    result = news(text)
    assert result.speakers == ()
    assert quotes(result) == [("the port will reopen on Friday after the repairs.", None)]


# ---------------------------------------------------------------- quotes

def test_a_quote_going_on_after_its_attribution_is_the_same_speakers() -> None:
    text = "“The first half of the season was hard,” Jonah Reese said. “We learned a lot from it.”"
    assert quotes(news(text)) == [("The first half of the season was hard", "Jonah Reese"),
                                  ("We learned a lot from it.", "Jonah Reese")]


def test_a_quote_over_paragraphs_is_one_speakers_one_quote_a_paragraph() -> None:
    text = ("Judge Amara Osei said: “The court has weighed every statement made in this case.\n\n"
            "“The evidence no longer supports going on with the trial.”")
    assert quotes(news(text)) == [
        ("The court has weighed every statement made in this case.", "Amara Osei"),
        ("The evidence no longer supports going on with the trial.", "Amara Osei")]


def test_reversed_openers_and_two_apostrophes_are_quote_marks() -> None:
    text = ("Finance chief Ola Brekke said ”the budget will be balanced by next year” on Monday. "
            "Brekke added ''we will not raise the sales tax again'' in the same speech.")
    assert quotes(news(text)) == [("the budget will be balanced by next year", "Ola Brekke"),
                                  ("we will not raise the sales tax again", "Ola Brekke")]


def test_fragments_of_three_words_or_fewer_are_no_quotes() -> None:
    text = "Ola Brekke called the plan “deeply flawed” and “a costly mistake” on Monday, he said."
    assert news(text).quotes == ()


# ---------------------------------------------------------------- countries

def test_outlet_and_organisation_names_are_not_their_countries() -> None:
    text = ("An aide told Agence France-Presse that the Malaysian Chinese Association would meet "
            "the USA Today reporters.")
    assert {m.code for m in news(text).countries} == set()


def test_a_speakers_country_from_the_text() -> None:
    result = news("“We stand with the farmers,” said Sen. Mara Quill on Tuesday.")
    assert [(s.name, s.country) for s in result.speakers] == [("Mara Quill", "US")]
    result = news("“The talks went well for both sides,” said Dario Ventresca, Italy's ambassador.")
    assert [(s.name, s.country) for s in result.speakers] == [("Dario Ventresca", "IT")]
    # A workplace says nothing of a scientist's nationality.
    result = news("“The data surprised us all,” said Ines Kova, a physicist at a lab in Germany.")
    assert [(s.name, s.country) for s in result.speakers] == [("Ines Kova", None)]


# ---------------------------------------------------------------- re-enrichment

def test_the_enricher_hash_covers_the_people_rules(tmp_path, monkeypatch) -> None:
    """``demarche reextract`` re-enriches rows whose enricher hash differs:
    a change to the name rules (people.py) or their data must change it."""
    import shutil

    from crawler.ingest import processing

    rules = tmp_path / "enrich"
    shutil.copytree(processing._ENRICH, rules, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(processing, "_ENRICH", rules)
    # The hash is computed once per process: read it afresh here.
    compute = getattr(processing.enricher_hash, "__wrapped__", processing.enricher_hash)
    before = compute()
    assert (rules / "people.py").exists()
    (rules / "people.py").write_text((rules / "people.py").read_text("utf-8") + "\n# changed\n", "utf-8")
    assert compute() != before


# ---------------------------------------------------------------- appositions

def test_a_role_in_an_apposition_describes_the_name() -> None:
    # "the president" alone would be the head of state in office on the date.
    text = ("“Growth will slow down next year,” Hana Ostrova, the president of the regional "
            "savings bank, said in a speech.")
    result = news(text, source_country="US", published=date(2024, 6, 3))
    assert quotes(result) == [("Growth will slow down next year", "Hana Ostrova")]


def test_a_possessor_in_an_apposition_is_no_speaker_but_an_office_speaks() -> None:
    text = ("Ada Brun met Leo Marsh on Monday. “We were not told about the call at all,” "
            "Brun, Marsh's superior, said.")
    assert quotes(news(text)) == [("We were not told about the call at all", "Ada Brun")]
    text = "Ombudsman Rosa Lind's office said the report on the prison would be published on Friday."
    assert speakers(news(text)) == ["Rosa Lind"]


def test_names_with_a_second_capital_after_a_title() -> None:
    result = news("“Sales will recover by the summer,” Dealers Guild President Dan McArdle said.")
    assert speakers(result) == ["Dan McArdle"]


def test_an_office_of_a_us_state_is_american_and_abbreviations_are_no_initials() -> None:
    result = news("Oregon schools superintendent Lena Marsh said the schools would open on time.")
    assert [(s.name, s.country) for s in result.speakers] == [("Lena Marsh", "US")]
    assert [p.name for p in find_people("He wrote to U.S. Customs and Border Protection.")] == []
