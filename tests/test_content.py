"""The shared content step: the shortcut for plain text must change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import TINY
from exporter import load
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
