"""`exporter check` lints content: warnings with locations, errors under --strict."""

from __future__ import annotations

from conftest import edit
from exporter.cli import main


def check(runner, path, *args):
    return runner.invoke(main, ["check", *args, str(path)])


def test_clean_source_has_no_warnings(runner, tiny):
    result = check(runner, tiny, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tiny}: ok\n"
    assert result.stderr == ""


def test_answer_not_supported_by_its_chapter(runner, tiny):
    edit(tiny, "answer: In crates", "answer: By submarine")
    result = check(runner, tiny)
    assert result.exit_code == 0
    assert result.stderr == (
        f"{tiny}:39:9: warning: chapters[1].cards[0]: card 'afterwards-crates': 'By submarine' is not "
        "supported by the text of Chapter 2 – Afterwards (missing: submarine); say it in the text or fix the answer\n"
    )
    assert result.stdout == f"{tiny}: ok with 1 warning\n"
    strict = check(runner, tiny, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith("1 warning (--strict makes them errors).\n")


def test_a_link_address_is_not_supporting_text(runner, tiny):
    # The reader sees the link's words, not its address: a word only in the address is unsaid.
    edit(tiny, "The aircraft was returned in crates.",
         "The aircraft was returned [in crates](https://example.org/by-submarine) <https://example.org/submarine>.")
    edit(tiny, "answer: In crates", "answer: By submarine")
    result = check(runner, tiny)
    assert "'By submarine' is not supported by the text of Chapter 2 – Afterwards (missing: submarine)" in result.stderr
    edit(tiny, "answer: By submarine", "answer: In crates")
    assert check(runner, tiny, "--strict").exit_code == 0  # the link's own words still count


def test_a_cloze_deletion_in_a_question_card(runner, tiny):
    edit(tiny, "answer: In crates", "answer: In {{c1::crates}}")
    result = check(runner, tiny)
    assert result.exit_code == 0  # it builds, showing the braces as typed
    assert result.stderr == (
        f"{tiny}:39:9: warning: chapters[1].cards[0]: card 'afterwards-crates' is a question card, so "
        "'{{c1::crates}}' shows as typed; to hide the text, write the sentence under 'cloze:' instead of "
        "'question:' and 'answer:'\n"
    )


def test_cloze_deletion_must_be_supported(runner, tiny):
    edit(tiny, "cloze: \"The jet landed on {{c1::${landing-date}}}.\"", "cloze: \"The jet landed in {{c1::Tokyo}}.\"")
    result = check(runner, tiny)
    assert "card 'landing-date-cloze': 'Tokyo' is not supported by the text of Chapter 1 – The Landing" in result.stderr
    assert result.stderr.startswith(f"{tiny}:32:9: warning: chapters[0].cards[1]:")


def test_part_cards_are_checked_against_the_part(runner, tiny):
    edit(tiny, "question: On which date did the jet land?\n      answer: ${landing-date}",
         "question: On which date did the jet land?\n      answer: 1 April 1999")
    result = check(runner, tiny)
    assert "timeline.cards[0]: card 'tl-landing-card': '1 April 1999' is not supported by the text of Timeline" in result.stderr


def test_unused_fact(runner, tiny):
    edit(tiny, "  airport: Hakodate Airport\n", "  airport: Hakodate Airport\n  spare-fact: 42\n")
    result = check(runner, tiny)
    assert result.stderr == f"{tiny}:19:3: warning: facts.spare-fact: fact 'spare-fact' is never used; use it as ${{spare-fact}} or remove it\n"


def test_chapter_without_cards(runner, tiny):
    edit(tiny, """    cards:
      - id: afterwards-crates
        question: How was the aircraft returned?
        answer: In crates
""", "")
    result = check(runner, tiny)
    assert result.stderr == f"{tiny}:34:5: warning: chapters[1]: chapter 'afterwards' has no cards; add some under 'cards:'\n"


def test_same_question_twice(runner, tiny):
    edit(tiny, "question: How was the aircraft returned?", "question: At which airport did the jet land?")
    edit(tiny, "answer: In crates", "answer: Hakodate")
    result = check(runner, tiny)
    assert ("chapters[1].cards[0]: card 'afterwards-crates' asks the same question as card 'landing-airport'"
            in result.stderr)


def test_real_source_passes_strict(runner):
    from conftest import REAL_SOURCE

    result = runner.invoke(main, ["check", "--strict", str(REAL_SOURCE)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
