"""The shared content step: fixtures of source text in and HTML out, typography, and the
plain-text shortcut that must change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import TINY
from exporter import load, typography
from exporter.content import PLAIN_TEXT, Content, _markdown

WORDS = st.text(st.sampled_from("ab é日1 ,.;:?-'\"*_()<>&[]\\!`~#|+=\n"), min_size=1, max_size=30)


@settings(max_examples=400, deadline=None)
@given(WORDS)
@example("Belenko landed at Hakodate Airport on 6 September 1976.")
@example("Where?? Here.. or ...")
def test_text_taken_as_plain_is_what_markdown_would_render(text):
    if PLAIN_TEXT.fullmatch(text):
        assert _markdown().renderInline(text) == text


def test_the_shortcut_is_taken_for_ordinary_answers():
    for text in ("Hakodate Airport", "About 1:57 pm", "2,000 m", "Mach 2.83", "Who was it?"):
        assert PLAIN_TEXT.fullmatch(text), text
    for text in ("*Foxbat*", "It's", "a -- b", "(c)", "x...", "a  \nb"):
        assert not PLAIN_TEXT.fullmatch(text), text


def test_a_dollar_and_brace_can_be_shown_as_text():
    # What the error for an unclosed '${' tells the author to write.
    content = Content(load.load(TINY).document)
    assert content.inline(r"It cost $\{5} and ${airport}") == "It cost ${5} and Hakodate Airport"
    assert content.block("Written $\\{name}.") == "<p>Written ${name}.</p>\n"


# --- typography -----------------------------------------------------------------------------


def test_names_and_amounts_are_kept_whole_and_ranges_take_an_en_dash():
    content = Content(load.load(TINY).document)
    nowrap = '<span class="nowrap">{}</span>'.format
    assert content.inline("Two F-4 Phantoms met the MiG-25P.") == (
        f"Two {nowrap('F-4')} Phantoms met the {nowrap('MiG-25P')}.")
    assert content.inline("It cost US$10 million, 10 per cent more, at 1:11 pm.") == (
        f"It cost {nowrap('US$10 million')}, {nowrap('10 per cent')} more, at {nowrap('1:11 pm')}.")
    assert content.inline("At 100-150 ft, chapters I-IV") == f"At {nowrap('100–150 ft')}, chapters I–IV"
    # Words joined by a hyphen are left to break; a date written 1976-09-06 is not a range.
    assert content.inline("north-west, well-known") == "north-west, well-known"
    assert "–" not in content.inline("On 1976-09-06.")
    # Only text changes: a link's address keeps its hyphens and digits.
    assert content.inline("[F-4](https://example.com/F-4-1-2)") == (
        f'<a href="https://example.com/F-4-1-2">{nowrap("F-4")}</a>')


def test_prose_dates_and_dictionary_order():
    assert typography.prose_date("2026-11-25") == "25 November 2026"
    assert typography.prose_date("1976-09-06") == "6 September 1976"
    words = ["Zulu", "émigré", "apple", "Emu", "Apple", "MiG-25P", "ångström"]
    assert sorted(words, key=typography.sort_key) == ["ångström", "apple", "Apple", "émigré", "Emu", "MiG-25P", "Zulu"]


# --- fixtures: source text in, HTML out, as markdown-it-py tests its renderer -------------------

FIXTURES = Path(__file__).resolve().parent / "data" / "content" / "fixtures.txt"


def _fixtures() -> list:
    """(kind, title, input, expected) of each case: a title line, then input and expected
    output, each closed by a line holding a single '.'."""
    cases, lines = [], FIXTURES.read_text("utf-8").split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        kind, title = lines[i].split(": ", 1)
        end_input = lines.index(".", i + 2)
        end_output = lines.index(".", end_input + 1)
        cases.append(pytest.param(kind, "\n".join(lines[i + 2:end_input]),
                                  "\n".join(lines[end_input + 1:end_output]), id=title))
        i = end_output + 1
    return cases


@pytest.mark.parametrize(("kind", "source", "expected"), _fixtures())
def test_content_fixture(kind, source, expected):
    rendered = getattr(Content(load.load(TINY).document), kind)(source)
    if kind == "cloze":  # pieces, written out: [c<number>: <answer> | <hint>]
        rendered = "".join(p if isinstance(p, str) else f"[c{p.number}: {p.answer}{' | ' + p.hint if p.hint else ''}]"
                           for p in rendered)
    assert rendered.rstrip("\n") == expected
