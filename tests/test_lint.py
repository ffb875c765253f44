"""`exporter check` lints content: warnings with locations, errors under --strict."""

from __future__ import annotations

import pytest

from conftest import edit, png
from exporter import rules
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
    assert result.stdout == f"{tiny}: ok with 1 warning (unsupported-answer 1)\n"
    strict = check(runner, tiny, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith("1 warning (--strict makes them errors): unsupported-answer 1.\n")


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
    assert result.stderr == (f"{tiny}:19:3: warning: facts.spare-fact: fact 'spare-fact' is never used; "
                             "use it as ${spare-fact} or remove it\n")


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


# --- the rules of formulating cards: each with a card that trips it and a near miss ---------

CLOZE = 'cloze: "The jet landed on {{c1::${landing-date}}}."'
CRATES_QUESTION = "question: How was the aircraft returned?"
FOXBAT = "term: Foxbat\n      definition: NATO's reporting name for the MiG-25."
# Where each card of the tiny source is, as a warning names it.
LANDING, DATE_CLOZE = "27:9: warning: chapters[0].cards[0]", "32:9: warning: chapters[0].cards[1]"
CRATES, TERM = "39:9: warning: chapters[1].cards[0]", "61:7: warning: glossary.terms[0]"


def long_answer(words: int) -> str:
    """An answer of exactly `words` words, every one of them in the chapter's text."""
    return " ".join(["In", "crates"] + "by road and then by sea to the port of Hitachi in Japan".split()[: words - 2])


def definition(words: int) -> str:
    """Foxbat's definition, padded or cut to exactly `words` words."""
    base = "NATO's reporting name for the Soviet MiG-25 interceptor".split()
    return FOXBAT.split("definition: ")[0] + "definition: " + " ".join((base + ["aircraft"] * words)[:words]) + "."


MAX, MIN, MAX_DEF = rules.MAX_ANSWER_WORDS, rules.MIN_DEFINITION_WORDS, rules.MAX_DEFINITION_WORDS
AT_THE_PORT = ("returned in crates.", f"returned {long_answer(13).lower()}.")

# case: (the rule, edits that trip it, the one warning it gives after "FILE:")
TRIPS = {
    "answer-in-question": (
        "answer-in-question", [(CRATES_QUESTION, "question: Was the aircraft returned in crates or in one piece?")],
        f"{CRATES}: card 'afterwards-crates': the answer 'In crates' is already in the question; "
        "ask so that only recall gives it"),
    "answer-in-cloze-text": (
        "answer-in-question", [(CLOZE, 'cloze: "In {{c1::1976}} the jet landed, on ${landing-date}."')],
        f"{DATE_CLOZE}: card 'landing-date-cloze': the answer '1976' is already in the visible text; "
        "ask so that only recall gives it"),
    "answer-in-cloze-hint": (
        "answer-in-question", [(CLOZE, 'cloze: "The jet landed on {{c1::${landing-date}::6 September 1976}}."')],
        f"{DATE_CLOZE}: card 'landing-date-cloze': the answer '6 September 1976' is already in the visible text; "
        "ask so that only recall gives it"),
    "glossary-leak": (
        "glossary-leak", [(FOXBAT, "term: vacuum tube\n      definition: A component that controls a current through a vacuum.")],
        f"{TERM}: card 'term-foxbat': the definition contains 'vacuum', so the definition → term card answers "
        "itself; define it without the term's own words"),
    "glossary-leak-initials": (
        "glossary-leak", [(FOXBAT, 'term: IFF\n      definition: "Identification friend or foe: radio that tells own aircraft '
                  'from hostile ones."')],
        f"{TERM}: card 'term-foxbat': the definition spells out 'Identification friend or foe', so the "
        "definition → term card answers itself; define it without the term's own words"),
    "neighbours": (
        "neighbours", [(CLOZE, 'cloze: "The jet landed at Hakodate Airport on {{c1::${landing-date}}}."')],
        f"{LANDING}: card 'landing-airport': its answer 'Hakodate Airport' stands in card 'landing-date-cloze' "
        "of Chapter 1 – The Landing, so each cues the other; reword one of them"),
    "list-answer": (
        "list-answer", [("returned in crates.", "returned in crates, by road and by sea."),
         ("answer: In crates", "answer: In crates, by road and by sea")],
        f"{CRATES}: card 'afterwards-crates': the answer 'In crates, by road and by sea' lists 3 items; "
        "make one card per item, or a cloze with one deletion per item"),
    "long-answer": (
        "long-answer", [AT_THE_PORT, ("answer: In crates", f"answer: {long_answer(MAX + 1)}")],
        f"{CRATES}: card 'afterwards-crates': the answer has {MAX + 1} words (limit {MAX}); split the card, "
        "or keep the fact and move the context to 'extra'"),
    "long-definition": (
        "long-answer", [(FOXBAT, definition(MAX_DEF + 1))],
        f"{TERM}: card 'term-foxbat': the definition has {MAX_DEF + 1} words (limit {MAX_DEF}); keep the gist "
        "and move the rest to the book's text"),
    "no-subject": (
        "no-subject", [(CLOZE, 'cloze: "It landed on {{c1::${landing-date}}}."')],
        f"{DATE_CLOZE}: card 'landing-date-cloze': it opens with 'It', which means nothing in a shuffled deck; "
        "name who or what it is about"),
    "trivial-deletion": (
        "trivial-deletion", [(CLOZE, 'cloze: "The jet landed {{c1::on}} ${landing-date}."')],
        f"{DATE_CLOZE}: card 'landing-date-cloze': the deletion 'on' holds only function words; hide a word "
        "that carries the fact"),
    "ambiguous-reverse": (
        "ambiguous-reverse", [(FOXBAT, definition(MIN - 1))],
        f"{TERM}: card 'term-foxbat': the definition has {MIN - 1} words (at least {MIN}), so other terms fit "
        "it too; add what sets this term apart"),
}

# case: edits that come close to tripping the same rule and must not
NEAR_MISSES = {
    # A choice that does not name the answer; 'airport' alone, given by its own question, is
    # not 'Hakodate Airport'.
    "answer-in-question": [(CRATES_QUESTION, "question: Was the aircraft returned whole or taken apart?")],
    # The visible text shares a word of the answer ('September'), not all of it.
    "answer-in-cloze-text": [(CLOZE, 'cloze: "The jet landed on {{c1::${landing-date}}}, a September day."')],
    # A hint that narrows the answer without giving it.
    "answer-in-cloze-hint": [(CLOZE, 'cloze: "The jet landed on {{c1::${landing-date}::a date in 1976}}."')],
    # The same terms, defined by what they do rather than by their own words or initials.
    "glossary-leak": [(FOXBAT, "term: IFF\n      definition: Radio equipment that lets air defences tell their "
                               "own aircraft from hostile ones.\n    - id: term-tube\n      term: vacuum tube\n"
                               "      definition: An electronic valve that controls a current in an airless glass bulb.")],
    # Initials that spell a different abbreviation.
    "glossary-leak-initials": [(FOXBAT, 'term: IFF\n      definition: "Interrogation equipment: radio that tells '
                                        'own aircraft from hostile ones."')],
    # The answer's common word alone ('airport', which its own question gives) is no cue, and
    # the same answer in another chapter is not a neighbour.
    "neighbours": [(CLOZE, 'cloze: "The jet landed at the airport on {{c1::${landing-date}}}."'),
                   (CRATES_QUESTION, "question: How was the aircraft returned from Hakodate?"),
                   ("returned in crates.", "returned from Hakodate in crates.")],
    # Two items are one fact with a qualifier.
    "list-answer": [("returned in crates.", "returned in crates, by sea."),
                    ("answer: In crates", "answer: In crates, by sea")],
    "long-answer": [AT_THE_PORT, ("answer: In crates", f"answer: {long_answer(MAX)}")],
    "long-definition": [(FOXBAT, definition(MAX_DEF))],
    # A pronoun after the subject is named, or a word that only begins like one, is fine.
    "no-subject": [(CRATES_QUESTION, "question: How was the aircraft returned after it landed?"),
                   (CLOZE, 'cloze: "Theirs was the jet that landed on {{c1::${landing-date}}}."')],
    "trivial-deletion": [(CLOZE, 'cloze: "The jet landed {{c1::on ${landing-date}}}."')],
    "ambiguous-reverse": [(FOXBAT, definition(MIN))],
}


def check_edited(runner, tiny, edits, *args):
    for old, new in edits:
        edit(tiny, old, new)
    return check(runner, tiny, *args)


@pytest.mark.parametrize("case", TRIPS)
def test_rule_trips(runner, tiny, case):
    rule, edits, warning = TRIPS[case]
    result = check_edited(runner, tiny, edits)
    assert (result.exit_code, result.stderr) == (0, f"{tiny}:{warning}\n")
    strict = check(runner, tiny, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith(f"1 warning (--strict makes them errors): {rule} 1.\n")


@pytest.mark.parametrize("case", NEAR_MISSES)
def test_rule_near_miss(runner, tiny, case):
    result = check_edited(runner, tiny, NEAR_MISSES[case], "--strict")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr


def test_every_rule_has_a_trip_and_a_near_miss():
    assert {rule for rule, _, _ in TRIPS.values()} == set(rules.RULES)
    assert set(NEAR_MISSES) == set(TRIPS)


def test_check_ends_with_a_count_per_rule(runner, tiny):
    edit(tiny, CLOZE, 'cloze: "It landed at Hakodate Airport on {{c1::${landing-date}}}."')
    edit(tiny, CRATES_QUESTION, "question: Was the aircraft returned in crates or in one piece?")
    result = check(runner, tiny)
    assert result.stdout == f"{tiny}: ok with 3 warnings (answer-in-question 1, neighbours 1, no-subject 1)\n"
    strict = check(runner, tiny, "--strict")
    assert strict.stderr.splitlines()[-1] == (
        "3 warnings (--strict makes them errors): answer-in-question 1, neighbours 1, no-subject 1.")


def test_real_source_passes_strict(runner):
    from conftest import REAL_SOURCE

    result = runner.invoke(main, ["check", "--strict", str(REAL_SOURCE)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


# --- images -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height", "noise", "size"), [
    (2000, 8, False, "2000 × 8 px (more than 1920 on its longer side)"),
    (8, 1921, False, "8 × 1921 px (more than 1920 on its longer side)"),
    (1500, 1500, True, "2.1 MB (more than 2 MB)"),
])
def test_a_large_image_is_a_located_warning_once(runner, tiny, tmp_path, width, height, noise, size):
    (tmp_path / "big.png").write_bytes(png(width, height, noise=noise))
    edit(tiny, "It was a civil airport.", "It was a civil airport. ![A map](big.png)")
    edit(tiny, "answer: In crates", "answer: In crates ![A map](big.png)")  # the same file again: one warning
    result = check(runner, tiny)
    assert result.exit_code == 0
    assert result.stderr == (
        f"{tiny}:30:40: warning: chapters[0].cards[0].extra: image 'big.png' is {size}: no reader shows more, "
        "and every copy of the deck and the book carries it; save it at 1920 px or less on its longer side "
        "(JPEG for photographs)\n")
    assert result.stdout == f"{tiny}: ok with 1 warning (large-image 1)\n"
    assert check(runner, tiny, "--strict").exit_code == 1


def test_an_image_of_1920_px_is_not_large(runner, tiny, tmp_path):
    (tmp_path / "map.png").write_bytes(png(1920, 1920))
    edit(tiny, "It was a civil airport.", "It was a civil airport. ![A map](map.png)")
    assert (check(runner, tiny, "--strict").exit_code, check(runner, tiny).stderr) == (0, "")

