"""From a card back to its passage: a chapter's headings make its sections, each card is tied to
the one that teaches it, and an edit moves nothing outside the chapter it touches."""

from __future__ import annotations

import shutil

import pytest

from conftest import REAL_SOURCE, copy_images, edit
from helpers import built_book
from exporter import anki, content, passages, rules
from exporter.cli import main
from exporter.load import load

# --- finding sections in a chapter's text ---------------------------------------------------------


def chunks(text: str) -> list[tuple[str, str, str]]:
    return [(c.id, c.title, c.text) for c in passages.split(text)]


def test_top_level_headings_cut_the_text_into_sections():
    text = "Opening.\n\n# The flight\n\nLow.\n\n## Radar\n\nLost.\n\n# The landing ##\n\nRough.\n"
    assert chunks(text) == [
        ("", "", "Opening.\n\n"),
        ("the-flight", "The flight", "\nLow.\n\n## Radar\n\nLost.\n\n"),  # a deeper heading stays inside
        ("the-landing", "The landing", "\nRough.\n"),  # a closing run of '#' is not part of the title
    ]


def test_the_highest_level_used_starts_sections():
    assert [c.id for c in passages.split("## One\n\na\n\n### Inside\n\n## Two\n")] == ["", "one", "two"]


def test_a_text_without_headings_is_all_opening():
    assert chunks("Just prose.\n#hashtag is no heading, nor is a lone\n#\n") == [
        ("", "", "Just prose.\n#hashtag is no heading, nor is a lone\n#\n")]


def test_a_hash_in_fenced_code_or_indented_starts_no_section():
    text = "```sh\n# a comment\n```\n\n~~~~\n# also code\n~~~\n~~~~\n\n  # indented\n\n> # quoted\n\n# Real\n"
    assert [c.id for c in passages.split(text)] == ["", "real"]


def test_ids_are_slugs_of_the_heading_as_written_and_unique_in_the_chapter():
    text = ("# The MiG-25's *Landing*\n# Émigré & Co.\n# The landing\n# The Landing\n"
            "# Привет\n# ${landing-date}\n# Section 5\n")
    assert passages.section_ids(text) == [
        "the-mig-25s-landing", "emigre-co", "the-landing", "the-landing-2",
        "section-5",  # no Latin letter or digit: its number in the chapter
        "landing-date",  # a fact's name, not its value: editing a fact moves no id
        "section-5-2",
    ]


def test_an_id_depends_on_its_own_heading_only():
    before = passages.section_ids("# Take-off\n\n# Over the sea\n\n# The landing\n")
    after = passages.section_ids("Opening words.\n\n# Take-off\n\n# Radar\n\n# Over the sea\n\n# Landing\n")
    assert before == ["take-off", "over-the-sea", "the-landing"]
    assert after == ["take-off", "radar", "over-the-sea", "landing"]  # the others keep their ids


# --- which section teaches a card -------------------------------------------------------------------

TINY_TEXT = "      On ${landing-date} a jet landed at ${airport}.\n\n      It ran off the *end* of the runway.\n"


@pytest.fixture
def sectioned(tiny):
    """The tiny source with its first chapter cut in two sections after its opening."""
    edit(tiny, TINY_TEXT, "      On ${landing-date} a jet landed.\n\n      # At the airport\n\n"
         "      It came down at ${airport}.\n\n      # Off the runway\n\n      It ran off the *end* of the runway.\n")
    return tiny


def cards_of(path) -> dict[str, content.StudyCard]:
    return {card.id: card for card in built_book(load(path)).cards}


def test_a_card_is_tied_to_the_section_holding_its_answer(sectioned):
    cards = cards_of(sectioned)
    assert (cards["landing-airport"].passage, cards["landing-airport"].label) == (
        "at-the-airport", "Chapter 1 – The Landing › At the airport")
    # The date is said in the opening, before any heading: the chapter itself teaches it.
    assert (cards["landing-date-cloze"].passage, cards["landing-date-cloze"].label) == ("", "Chapter 1 – The Landing")
    assert cards["afterwards-crates"].label == "Chapter 2 – Afterwards"  # no headings, no sections
    assert cards["tl-landing-card"].label == "Timeline"


def test_an_answer_in_two_sections_goes_where_the_question_is_too(sectioned):
    edit(sectioned, "It ran off the *end* of the runway.", "It ran off the *end* of the runway at ${airport}.")
    edit(sectioned, "question: At which airport did the jet land?", "question: At which airport did the jet run off the runway?")
    assert cards_of(sectioned)["landing-airport"].passage == "off-the-runway"


def test_a_card_may_name_its_section(sectioned, runner):
    edit(sectioned, "        extra: It was a civil airport.\n",
         "        extra: It was a civil airport.\n        section: off-the-runway\n")
    card = cards_of(sectioned)["landing-airport"]
    assert (card.passage, card.label) == ("off-the-runway", "Chapter 1 – The Landing › Off the runway")
    # check says when the named section does not hold the answer, naming it.
    result = runner.invoke(main, ["check", str(sectioned)])
    assert result.exit_code == 0
    assert "card 'landing-airport': 'Hakodate Airport' is not supported by the text of Chapter 1 – The Landing " \
           "› Off the runway (missing: airport, hakodate)" in result.stderr


def test_a_section_heading_shows_as_written_and_is_anchored(sectioned):
    (chapter, *_) = built_book(load(sectioned)).chapters
    assert [(p.id, p.title) for p in chapter.passages] == [
        ("", ""), ("at-the-airport", "At the airport"), ("off-the-runway", "Off the runway")]
    assert '<h2 id="sec-off-the-runway">Off the runway</h2>\n<p>It ran off the <em>end</em>' in chapter.html
    assert chapter.html == "".join(p.html for p in chapter.passages)


def test_the_deck_names_the_section_in_the_source_field(sectioned):
    book = built_book(load(sectioned))
    (note,) = [n for n in anki.deck_notes(book) if n.card.id == "landing-airport"]
    assert note.fields[anki.FIELDS["question"].index("Source")] == "Chapter 1 – The Landing › At the airport"


# --- stable: an edit changes no card of another chapter ---------------------------------------------


def note_fingerprints(path) -> tuple[dict[str, str], dict[str, str]]:
    """Each card's fingerprint in the real deck (what decides "changed" on the next build),
    and the chapter or part each card is in."""
    book = built_book(load(path))
    notes, _ = anki.fingerprints(anki.Deck.of(book))
    return notes, {card.id: section.id for section in book.sections for card in section.cards}


EDITS = {  # chapter id → (text as it is in the real source, as edited)
    "the-flight": ("      # The landing\n", "      # Touchdown at Hakodate\n"),  # a section renamed
    "examination": ("      A civil airport was no place", "      # To Hyakuri\n\n      A civil airport was no place"),
    "motives": ("      # Career and marriage\n\n", ""),  # a section merged into the one before it
    "new-life": ("He had left his wife and\n      relatives behind", "He had left his wife, his\n      parents and "
                 "relatives behind"),
}


@pytest.mark.parametrize("chapter", list(EDITS))
def test_editing_a_chapter_changes_no_card_of_another(chapter, tmp_path):
    source = tmp_path / REAL_SOURCE.name
    shutil.copy(REAL_SOURCE, source)
    copy_images(REAL_SOURCE, tmp_path)
    before, where = note_fingerprints(source)
    edit(source, *EDITS[chapter])
    after, _ = note_fingerprints(source)
    changed = {card_id for card_id in before if after[card_id] != before[card_id]}
    assert {where[card_id] for card_id in changed} <= {chapter}
    if chapter != "new-life":  # a change of words alone moves no card; a change of headings does
        assert changed


def test_every_card_of_the_real_source_is_taught_by_its_passage():
    """Following a card's way back leads to a passage that says its answer."""
    book = built_book(load(REAL_SOURCE))
    sectioned = [chapter for chapter in book.chapters if len(chapter.passages) > 1]
    assert len(sectioned) >= len(book.chapters) // 2  # the long chapters have sections
    assert sum(bool(card.passage) for card in book.cards) >= len(book.cards) // 2  # most cards, a section
    for chapter in sectioned:
        texts = {p.id: content.plain(p.html) for p in chapter.passages}
        for card in chapter.cards:
            answers = content.cloze_answers(card) if card.kind == "cloze" else [card.back]
            for answer in answers:
                assert rules.key_words(content.plain(answer)) <= rules.key_words(texts[card.passage]), card.id


def test_a_section_written_as_its_heading_is_one_error_not_two(sectioned, runner):
    edit(sectioned, "        extra: It was a civil airport.\n",
         "        extra: It was a civil airport.\n        section: Off the runway\n")
    result = runner.invoke(main, ["check", str(sectioned)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        f"{sectioned}:37:18: error: chapters[0].cards[0].section: 'Off the runway' is not a valid id: use "
        "lowercase letters, digits and single hyphens (e.g. 'off-the-runway')"]
