"""Text of paragraphs, quotes and simple lists skips markdown-it's block parser
(content._render): the HTML must be exactly what markdown-it's own render gives, for any text."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REAL_SOURCE, synthetic
from exporter import load, passages
from exporter.content import Content, _markdown, _blocks, _render

# Characters that mean something to Markdown, its typographer or to whitespace handling.
TRICKY = ("ab é1 0\t.,;:?!'\"*_()<>&[]\\`~#|+=-/$%{}@^"
          "\u00a0\u2003\u3000\u000b\u000c\u0085\u001c\ufeff\u200b")
# Line starts that begin a block, or come close to it: list markers (1 interrupts a paragraph,
# other numbers do not), quotes, headings, rules, setext underlines, fences, tables, indentation.
STARTS = ["", "a", "É", "1976", "1976.", "1976)", "1.", "1)", "01.", "2.", "10.", "1234567890.", "- ", "-",
          "* ", "*a", "**b", "_a", "__", "+ ", "> ", ">", "# ", "#a", "=", "==", "---", "***", "___",
          "```", "~~~", "    ", "   a", " ", "\t", "|", "a | b", ":--", "<div>", "<a>", "[a]: /b", "[a]",
          "&amp;", "&#35;", "\\#", "\\", "(c)", "...", "--", '"', "'", "![a](b.png)", "\u00a0", "\ufeff"]

RANDOM = st.text(st.sampled_from(TRICKY), max_size=12)
LINE = st.builds(lambda start, rest: start + rest, st.sampled_from(STARTS), RANDOM)
# A line that comes close to a paragraph's: an ordinary start and end, anything between.
WORDY = st.builds(lambda start, rest, end: start + rest + end,
                  st.sampled_from(["a", "É", "1976", "1976.", "2)", "*a", "(c)", "- a", "> a", "- 1976.", "> 1."]),
                  RANDOM, st.sampled_from(["", "a", ".", "*", "_", "`", "\\", "  ", "--", "..."]))
TEXT = st.lists(st.one_of(LINE, WORDY, WORDY, st.just("")), max_size=8).map("\n".join)


def env() -> dict:
    return {"media": {}, "shown": set()}


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
@example("Belenko landed\n1976. It was\n\nthe *MiG-25*.\n")
@example("Text\n1. a list")
@example("Text\n2. no list")
@example("Text  \nhard break\\\nand another")
@example("Setext\n===")
@example("a | b\n--|--")
@example("\ufeffa\ufeff")
@example("- a\n- b\n\n- c")
@example("- a\n\n> b\n\n- c")
@example("> a\n> 2. b\n\n> c")
@example("- a\nlazy")
@example("> a\nlazy")
def test_blocks_render_as_markdown_it_renders_them(text):
    assert _render(text, env()) == _markdown().render(text, env())


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(st.sampled_from(TRICKY), min_size=1, max_size=20).map(lambda s: "a" + s), min_size=1, max_size=6))
def test_lines_starting_with_a_letter_and_ending_in_no_space_take_the_shortcut(lines):
    text = "\n".join(line.rstrip() for line in lines)
    if "![" not in text and "\r" not in text:
        assert _blocks(text) is not None
    assert _render(text, env()) == _markdown().render(text, env())


def test_every_text_of_the_real_and_a_synthetic_source_renders_as_markdown_it_does(tmp_path):
    path = tmp_path / "synthetic.yaml"
    path.write_text(synthetic().make_source(1000), "utf-8")
    for source_path in (REAL_SOURCE, path):
        document = load.load(source_path).document
        content = Content(document)
        texts = [chunk.text for chapter in document.chapters for chunk in passages.split(chapter.text)]
        texts += [part.text for part in (document.timeline, document.people, document.glossary, document.faq,
                                         document.factors) if part is not None]
        fast = 0
        for text in texts:
            filled = content._fill(text)
            assert _render(filled, env()) == _markdown().render(filled, env())
            fast += _blocks(filled) is not None
        assert fast >= len(texts) // 3  # the shortcut is taken for much of ordinary prose
