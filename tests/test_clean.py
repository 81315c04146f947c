"""Paragraph cleaning: chrome lines and repeated paragraphs."""

from __future__ import annotations

from pathlib import Path

from crawler.extraction.clean import clean_paragraphs, drop_repeats, is_chrome

LEDE = ("The Syrian authorities should “make the first step” towards restoring peace in the "
        "country, Russian Foreign Minister Sergei Lavrov said on Monday.")


def test_seed_text_cleaned(shared: Path):
    lines = (shared / "seed/sputnik-russia-section-article.txt").read_text().splitlines()
    title = "Russia Urges Syria to ‘Make First Step,’ Call Off Troops"
    cleaned = clean_paragraphs(lines, title)
    for chrome in ["Subscribe", "Newsfeed", "0", "To participate in the discussion",
                   "log in or register", "loader", "Chats", "Заголовок открываемого материала"]:
        assert chrome not in cleaned
    assert title not in cleaned
    lede = next(line for line in lines if line.startswith("The Syrian authorities should"))
    assert cleaned.count(lede) == 1
    body = [line for line in lines[lines.index("Subscribe") + 1 : lines.index("Newsfeed")]
            if line.strip()]
    for paragraph in body:
        assert cleaned.count(paragraph) == 1


def test_chrome_is_matched_on_whole_lines_only():
    assert is_chrome("Subscribe")
    assert is_chrome("  Log in or register. ")
    assert is_chrome("Поделиться")
    assert is_chrome("12")
    assert is_chrome("Share on Telegram")
    assert not is_chrome("Readers who subscribe to the ministry's bulletin receive statements.")
    assert not is_chrome("Chats between the ministers continued late into the night.")


def test_wordpress_sharing_buttons_are_chrome_in_each_language():
    for label in ["Share this:", "Teilen mit:", "Wird geladen …", "J'aime chargement…",
                  "Me gusta Cargando...", "Нравится Загрузка..."]:
        assert is_chrome(label), label
    # A one-word answer in a transcript stays.
    assert not any(is_chrome(answer) for answer in ["— Нравится.", "Like this.", "Похожее."])
    assert not is_chrome("Teilen mit: the ministers said they would share the costs equally.")


def test_a_php_diagnostic_printed_into_the_page_is_chrome():
    assert is_chrome("Warning: Creating default object from empty value in "
                     "/srv/www/site/wp-includes/class.php on line 241")
    assert is_chrome("Deprecated: Function split() is deprecated in /var/www/a.php on line 7")
    assert not is_chrome("Warning: the ministry said the talks in Geneva could end on "
                         "line with last year's deadline.")


def test_summary_cut_short_before_the_full_lede_is_dropped():
    summary = LEDE[:90] + "…"
    assert drop_repeats([summary, LEDE, "Second paragraph of the statement."]) == [
        LEDE, "Second paragraph of the statement."]


def test_repeated_lede_kept_once_but_short_repeats_kept():
    paragraphs = [LEDE, LEDE.replace("“", '"').replace("”", '"'), "QUESTION:", "Thank you.",
                  "QUESTION:", "Thank you."]
    assert drop_repeats(paragraphs) == [LEDE, "QUESTION:", "Thank you.", "QUESTION:", "Thank you."]
