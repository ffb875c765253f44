"""Broken sources (issues #2 and #6): every problem reported, located, in one run; nothing written.

tests/broken/ holds one small source per kind of problem, most of them tiny.yaml cut down
and broken once (the first line of each says how). CASES is the whole expectation: the exit
status and the exact stderr lines, `FILE:LINE:COLUMN: error: KEY.PATH: message`, followed by
a count line the tests add. Each case runs through `check` and through `build`; the build
runs into an output directory holding a previous good build, which must come out
byte-identical with no temporary file left behind.

Files too big or too fragile to commit (a 200,000-character line, CRLF line endings, a BOM)
are made from tiny.yaml or a broken file inside the tests.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import TINY, edit, png
from helpers import snapshot
from exporter.cli import main
from exporter.errors import SourceError
from exporter.load import load, parse

BROKEN = Path(__file__).resolve().parent / "broken"

# (file in tests/broken/, exit status, stderr lines before the count line; {path} is the path given)
CASES = [
    # --- not YAML at all, or not text -----------------------------------------------------
    ("empty.yaml", 1, ["{path}:1:1: error: the file is empty; start from the example in README.md"]),
    ("comments-only.yaml", 1, ["{path}:1:1: error: the file is empty; start from the example in README.md"]),
    ("binary.yaml", 1, ["{path}:1:1: error: the file is not UTF-8 text (byte 0x89); save it as UTF-8 in your editor"]),
    ("binary-nul-bytes.yaml", 1, [
        "{path}:1:1: error: the file holds NUL bytes: it is binary, or not saved as UTF-8; save it as UTF-8 text in your editor",
    ]),
    ("not-utf8.yaml", 1, ["{path}:7:14: error: the file is not UTF-8 text (byte 0xe9); save it as UTF-8 in your editor"]),
    ("utf16.yaml", 1, ["{path}:1:1: error: the file is not UTF-8 text (byte 0xff); save it as UTF-8 in your editor"]),
    ("control-character.yaml", 1, [
        "{path}:18:16: error: control character U+0007 is not allowed (it is invisible in most editors: delete it)",
    ]),
    ("nul-byte.yaml", 1, [
        "{path}:18:23: error: control character U+0000 is not allowed (it is invisible in most editors: delete it)",
    ]),
    ("control-character-escaped.yaml", 1, [  # "\a" in double quotes: not in the text, in the value
        "{path}:18:12: error: chapters[0].title: control character U+0007 is not allowed "
        "(written as an escape in quotes: remove it)",
    ]),
    ("line-separator.yaml", 1, [
        "{path}:20:12: error: character U+2028 is not allowed (it is invisible in most editors: delete it)",
    ]),
    # --- YAML syntax ------------------------------------------------------------------------
    ("yaml-unclosed-quote.yaml", 1, [
        "{path}:10:13: error: YAML syntax: did not find expected key "
        "(the quoted text at line 5, column 10 runs on to here: is its closing quote missing?)",
    ]),
    ("yaml-unclosed-quote-at-end.yaml", 1, [
        "{path}:24:17: error: YAML syntax: found unexpected end of stream (this quote is never closed; add the closing quote)",
    ]),
    ("yaml-bad-indentation.yaml", 1, [
        "{path}:7:2: error: YAML syntax: did not find expected key (check the indentation of this line against the lines above)",
    ]),
    ("yaml-missing-colon.yaml", 1, [
        "{path}:7:3: error: YAML syntax: could not find expected ':' (write a key as 'key: value')",
    ]),
    ("yaml-unquoted-colon.yaml", 1, [
        "{path}:5:21: error: YAML syntax: mapping values are not allowed in this context "
        "(put quotes around a value that contains ': ', or check the indentation)",
    ]),
    ("tab-indentation.yaml", 1, [
        "{path}:4:1: error: YAML syntax: found a tab character that violates indentation "
        "(use spaces, not tabs, for indentation)",
    ]),
    ("tab-after-dash.yaml", 1, [
        "{path}:22:8: error: YAML syntax: found character that cannot start any token "
        "(use spaces, not tabs, for indentation)",
    ]),
    ("multi-document.yaml", 1, [
        "{path}:25:1: error: the file holds more than one YAML document; remove the '---' line",
    ]),
    ("not-a-mapping-list.yaml", 1, [
        "{path}:2:1: error: the file must be a mapping (key: value lines) with at least 'book' and 'chapters', found a list",
    ]),
    ("not-a-mapping-scalar.yaml", 1, [
        "{path}:2:1: error: the file must be a mapping (key: value lines) with at least 'book' and 'chapters', "
        "found text 'A Tiny Book'",
    ]),
    ("duplicate-key.yaml", 1, [
        "{path}:25:9: error: chapters[0].cards[0]: duplicate key 'answer' (first at line 24); keep one of them",
    ]),
    ("complex-key.yaml", 1, ["{path}:16:3: error: facts: a key must be plain text"]),
    ("alias-bomb.yaml", 1, [
        "{path}:2:4: error: a: anchors and aliases (&name, *name) are not supported; write the text out",
    ]),
    ("deep-nesting.yaml", 1, [
        "{path}:15:75: error: facts.airport: nesting deeper than 64 levels; flatten the structure",
    ]),
    ("deep-nesting-1000-levels.yaml", 1, [
        "{path}:15:1010: error: YAML syntax: exceeded maximum nesting depth (flatten the structure)",
    ]),
    # --- keys and shapes --------------------------------------------------------------------
    ("cloze-key-typo.yaml", 1, [
        "{path}:23:9: error: chapters[0].cards[0]: unknown key 'clzoe' (did you mean 'cloze'?)",
    ]),
    ("unknown-key.yaml", 1, [
        "{path}:24:9: error: chapters[0].cards[0]: unknown key 'anwser' (did you mean 'answer'?)",
    ]),
    ("unknown-key-no-suggestion.yaml", 1, [
        "{path}:10:3: error: book: unknown key 'isbn' "
        "(allowed: id, tag, title, subtitle, language, author, description, rights, edition, sources, decks)",
    ]),
    ("unknown-top-level-key.yaml", 1, ["{path}:16:1: error: unknown key 'chapter' (did you mean 'chapters'?)"]),
    ("missing-required-key.yaml", 1, ["{path}:22:9: error: chapters[0].cards[0]: missing required key 'answer'"]),
    ("list-for-text.yaml", 1, ["{path}:18:12: error: chapters[0].title: expected text, found a list"]),
    ("mapping-for-list.yaml", 1, [
        "{path}:22:7: error: chapters[0].cards: expected a list ('- ' lines), found a mapping",
    ]),
    ("text-for-list.yaml", 1, [
        "{path}:25:15: error: chapters[0].cards[0].tags: expected a list ('- ' lines), found text 'places'",
    ]),
    ("text-for-mapping.yaml", 1, [
        "{path}:2:7: error: book: expected a mapping (key: value lines), found text 'A Tiny Book'",
    ]),
    ("nothing-for-mapping.yaml", 1, ["{path}:2:6: error: book: expected a mapping (key: value lines), found nothing"]),
    ("card-not-a-mapping.yaml", 1, [
        "{path}:22:9: error: chapters[0].cards[0]: expected a mapping (key: value lines), found text 'landing-airport'",
    ]),
    ("empty-required-text.yaml", 1, ["{path}:18:12: error: chapters[0].title: must not be empty"]),
    ("nothing-for-text.yaml", 1, ["{path}:24:16: error: chapters[0].cards[0].answer: must not be empty"]),
    ("blank-title.yaml", 1, ["{path}:5:10: error: book.title: must not be empty (it holds only white space)"]),
    ("blank-question.yaml", 1, [
        "{path}:23:19: error: chapters[0].cards[0].question: must not be empty (it holds only white space)",
    ]),
    ("invisible-term.yaml", 1, [
        "{path}:29:13: error: glossary.terms[0].term: must not be empty "
        "(it holds only invisible characters: U+200B; delete them)",
    ]),
    ("empty-required-list.yaml", 1, ["{path}:11:12: error: book.sources: needs at least one entry"]),
    # --- values -----------------------------------------------------------------------------
    ("bad-id.yaml", 1, [
        "{path}:17:9: error: chapters[0].id: 'The_Landing' is not a valid id: "
        "use lowercase letters, digits and single hyphens (e.g. 'the-landing')",
    ]),
    ("duplicate-id.yaml", 1, [
        "{path}:22:13: error: chapters[0].cards[0].id: duplicate id 'the-landing' (also used at line 17); "
        "ids must be unique in the file",
    ]),
    ("bad-tag.yaml", 1, [
        "{path}:25:24: error: chapters[0].cards[0].tags[1]: tag 'Airports Of Japan' must be a lowercase slug, "
        "optionally with '::' levels (e.g. 'radar' or 'people::pilots')",
    ]),
    ("bad-decks.yaml", 1, [
        "{path}:7:10: error: book.decks: must be 'one' or 'chapters', found text 'chapter' (did you mean 'chapters'?)",
    ]),
    ("bad-language.yaml", 1, [
        "{path}:6:13: error: book.language: 'English' is not a language tag; use e.g. 'en' or 'en-GB'",
    ]),
    ("bad-language-two-regions.yaml", 1, [
        "{path}:6:13: error: book.language: 'en-US-US' is not a language tag; use e.g. 'en' or 'en-GB'",
    ]),
    ("bad-language-two-digit-region.yaml", 1, [
        "{path}:6:13: error: book.language: 'en-12' is not a language tag; use e.g. 'en' or 'en-GB'",
    ]),
    ("bad-language-repeated-variant.yaml", 1, [
        "{path}:6:13: error: book.language: 'de-CH-1996-1996' is not a language tag; use e.g. 'en' or 'en-GB'",
    ]),
    ("bad-edition.yaml", 1, [
        "{path}:10:12: error: book.edition: '15/01/2026' is not a date; write it as YYYY-MM-DD, e.g. '2026-11-25'",
    ]),
    ("edition-not-a-real-date.yaml", 1, [
        "{path}:10:12: error: book.edition: '2026-02-30' is not a date; write it as YYYY-MM-DD, e.g. '2026-11-25'",
    ]),
    ("bad-fact-name.yaml", 1, [
        "{path}:16:3: error: facts.Landing Date: fact name 'Landing Date' is not a lowercase slug "
        "(use a-z, 0-9 and single hyphens)",
    ]),
    # --- facts ------------------------------------------------------------------------------
    ("unknown-fact.yaml", 1, [  # inside a block scalar: the column of the '$'
        "{path}:20:23: error: chapters[0].text: unknown fact '${airprot}' (did you mean 'airport'?)",
    ]),
    ("unknown-fact-in-answer.yaml", 1, [
        "{path}:24:23: error: chapters[0].cards[0].answer: unknown fact '${city}' (allowed: airport)",
    ]),
    ("unknown-fact-twice.yaml", 1, [
        "{path}:20:23: error: chapters[0].text: unknown fact '${town}' (allowed: airport)",
        "{path}:20:45: error: chapters[0].text: unknown fact '${town}' (allowed: airport)",
    ]),
    ("unknown-fact-no-facts.yaml", 1, [
        "{path}:18:23: error: chapters[0].text: unknown fact '${airport}' (the file has no facts)",
        "{path}:22:17: error: chapters[0].cards[0].answer: unknown fact '${airport}' (the file has no facts)",
    ]),
    ("unclosed-fact.yaml", 1, [
        "{path}:20:23: error: chapters[0].text: fact reference '${airport on a quiet mo…' is never closed; "
        "end the name with '}' (to show '${' as text, write '$\\{')",
        "{path}:24:18: error: chapters[0].cards[0].answer: fact reference '${airport' is never closed; "
        "end the name with '}' (to show '${' as text, write '$\\{')",
    ]),
    ("fact-uses-fact.yaml", 1, [
        "{path}:16:27: error: facts.airport: a fact's value cannot use another fact; write the value out",
    ]),
    # --- sections -----------------------------------------------------------------------------
    ("unknown-section.yaml", 1, [
        "{path}:27:18: error: chapters[0].cards[0].section: chapter 'the-landing' has no section "
        "'of-the-runway' (did you mean 'off-the-runway'?)",
        "{path}:35:18: error: chapters[1].cards[0].section: chapter 'afterwards' has no section "
        "'off-the-runway' (its text has no headings: a line '# Heading' starts a section)",
        "{path}:46:16: error: timeline.cards[0].section: only a chapter's cards name a section "
        "(timeline has none); remove 'section'",
    ]),
    # --- cloze ------------------------------------------------------------------------------
    ("cloze-no-deletion.yaml", 1, [
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze: no deletion found; "
        "mark the hidden part as {{c1::hidden text}}",
    ]),
    ("cloze-numbering-gap.yaml", 1, [
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze: numbering must start at c1 with no gaps (missing c2)",
    ]),
    ("cloze-numbered-from-zero.yaml", 1, [
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze: deletions are numbered from c1, not c0",
    ]),
    ("cloze-empty-deletion.yaml", 1, [
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze: deletion '{{c1::}}' hides nothing; "
        "put the hidden text after '::'",
    ]),
    ("cloze-unbalanced-braces.yaml", 1, [
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze near '{{c1::Hakodate Airport}.'; "
        "a deletion is written {{c1::hidden text}}",
    ]),
    # --- images -----------------------------------------------------------------------------
    ("image-missing-file.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image file 'images/missing.png' not found; "
        "its path is read from the folder of the source file",
    ]),
    ("image-web-address.yaml", 1, [  # the column of its '!', inside the scalar
        "{path}:20:35: error: chapters[0].text: image 'https://example.org/map.png' is a web address; "
        "nothing is downloaded: save the file in the source's folder and give its path, e.g. images/map.png",
    ]),
    ("image-absolute-path.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image '/home/me/map.png' is an absolute path; "
        "give the path from the source's folder, e.g. images/map.png",
    ]),
    ("image-outside-folder.yaml", 1, [
        "{path}:25:17: error: chapters[0].cards[0].extra: image '../images/map.png' leaves the source's folder; "
        "keep images in it (or below it) and give the path from there",
    ]),
    ("image-no-alt-text.yaml", 1, [
        "{path}:25:34: error: chapters[0].cards[0].extra: image 'images/map.png' has no alt text; describe what it "
        "shows between the brackets, for readers who cannot see it: ![A map of the route](images/route.png)",
    ]),
    ("image-not-an-image.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image file 'images/not-an-image.png' is not a PNG or JPEG image; "
        "save it as PNG (drawings, maps, charts) or JPEG (photographs)",
    ]),
    ("image-mislabelled.yaml", 1, [  # the bytes say PNG, whatever the name says
        "{path}:22:7: error: chapters[0].text: image file 'images/map-named-jpg.jpg' is a PNG image but named .jpg; "
        "rename it to end in .png",
    ]),
    ("image-svg.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image file 'images/drawing.svg' is an SVG drawing, which is not "
        "accepted (Kindle conversion and the Anki phone apps do not show SVG reliably); export it as PNG",
    ]),
    ("image-gif.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image file 'images/animation.gif' is a GIF file, not PNG or JPEG; "
        "save it as PNG (drawings, maps, charts) or JPEG (photographs)",
    ]),
    ("image-damaged.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: image file 'images/cut-off.png' is a damaged PNG "
        "(its 'IDAT' chunk is cut off or corrupt); save or export it again",
    ]),
    ("image-caption-on-card.yaml", 1, [
        "{path}:24:28: error: chapters[0].cards[0].answer: image 'images/map.png' has a caption, which shows only "
        "under an image that stands in a paragraph of its own in a text (a blank line before and after it); "
        "here, say it in the words around the image",
    ]),
    ("image-caption-in-a-sentence.yaml", 1, [
        "{path}:21:7: error: chapters[0].text: image 'images/map.png' has a caption, which shows only under an "
        "image that stands in a paragraph of its own in a text (a blank line before and after it); "
        "put it there, or drop the caption",
    ]),
    ("image-malformed.yaml", 1, [
        "{path}:22:7: error: chapters[0].text: '![' starts an image, but what follows is not "
        "![alt text](path \"optional caption\") (a path has no spaces or parentheses); "
        "to show '![' as text, write '\\!['",
    ]),
    ("image-in-a-title.yaml", 1, [
        "{path}:18:25: error: chapters[0].title: an image cannot stand in a 'title' (it is shown as plain text "
        "or a label); put it in a text, a card or an entry's description",
    ]),
    # --- many at once -----------------------------------------------------------------------
    ("several-problems.yaml", 1, [
        "{path}:6:13: error: book.language: 'English' is not a language tag; use e.g. 'en' or 'en-GB'",
        "{path}:18:12: error: chapters[0].title: must not be empty",
        "{path}:20:23: error: chapters[0].text: unknown fact '${airprot}' (did you mean 'airport'?)",
        "{path}:24:9: error: chapters[0].cards[0]: unknown key 'anwser' (did you mean 'answer'?)",
        "{path}:25:13: error: chapters[0].cards[1].id: duplicate id 'landing-airport' (also used at line 22); "
        "ids must be unique in the file",
        "{path}:26:16: error: chapters[0].cards[1].cloze: malformed cloze: numbering must start at c1 with no gaps (missing c1)",
    ]),
]
NAMES = [(case.values if hasattr(case, "values") else case)[0] for case in CASES]
EXPECTED = {name: (case.values if hasattr(case, "values") else case)[1:] for name, case in zip(NAMES, CASES)}


def expected_stderr(lines: list[str], path: Path | str) -> list[str]:
    # str.replace, not str.format: messages hold braces ({{c1::...}}, ${fact}).
    filled = [line.replace("{path}", str(path)) for line in lines]
    return filled + [f"{len(filled)} problem{'s' if len(filled) != 1 else ''} found."]


def assert_failed(result, status: int, lines: list[str]) -> None:
    """Exit status, exactly these stderr lines, nothing on stdout, no traceback."""
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code == status, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == lines


def assert_untouched(previous: Path, before: dict[str, bytes]) -> None:
    assert snapshot(previous) == before
    assert not list(previous.glob(".*.tmp")) and not list(previous.glob("*.tmp"))


# --- the corpus ------------------------------------------------------------------------------


def test_every_broken_file_has_an_expectation():
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_file()) == sorted(NAMES)
    assert len(NAMES) == len(set(NAMES)) >= 34
    # The images folder holds only the files the image cases show, each shown by one of them.
    shown = " ".join((BROKEN / name).read_text("utf-8") for name in NAMES if name.startswith("image-"))
    assert [p.name for p in BROKEN.iterdir() if p.is_dir()] == ["images"]
    assert all(f"images/{p.name}" in shown for p in (BROKEN / "images").iterdir())


@pytest.mark.parametrize(("name", "status", "lines"), CASES, ids=NAMES)
def test_check_reports_every_problem(runner, name, status, lines):
    path = BROKEN / name
    result = runner.invoke(main, ["check", str(path)])
    assert_failed(result, status, expected_stderr(lines, path))


@pytest.mark.parametrize(("name", "status", "lines"), CASES, ids=NAMES)
def test_build_reports_the_same_and_keeps_previous_outputs(runner, previous, name, status, lines):
    path = BROKEN / name
    before = snapshot(previous)
    result = runner.invoke(main, ["build", str(path), "-o", str(previous)])
    assert_failed(result, status, expected_stderr(lines, path))
    assert_untouched(previous, before)


def test_several_problems_are_all_reported_in_one_run():
    """The acceptance case of #2: at least four different kinds of problem, one run."""
    _, lines = EXPECTED["several-problems.yaml"]
    kinds = ["is not a language tag", "must not be empty", "unknown fact", "unknown key", "duplicate id", "malformed cloze"]
    assert [[kind in line for line in lines].count(True) for kind in kinds] == [1] * len(kinds)
    assert len(lines) == len(kinds)


@pytest.mark.parametrize("name", ["unknown-fact.yaml", "several-problems.yaml", "duplicate-key.yaml",
                                  "yaml-unclosed-quote.yaml", "tab-indentation.yaml", "control-character.yaml"])
@pytest.mark.parametrize("variant", ["crlf", "cr", "bom", "bom-crlf"])
def test_line_endings_and_bom_do_not_move_locations(runner, tmp_path, name, variant):
    raw = (BROKEN / name).read_bytes()
    if "crlf" in variant:
        raw = raw.replace(b"\n", b"\r\n")
    if variant == "cr":  # classic Mac OS line endings: YAML and editors count lines the same
        raw = raw.replace(b"\n", b"\r")
    if "bom" in variant:
        raw = codecs.BOM_UTF8 + raw
    path = tmp_path / name
    path.write_bytes(raw)
    status, lines = EXPECTED[name]
    assert_failed(runner.invoke(main, ["check", str(path)]), status, expected_stderr(lines, path))


def test_bom_does_not_shift_columns_on_the_first_line(runner, tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(codecs.BOM_UTF8 + b"book: A Tiny Book\nchapters: []\n")
    assert_failed(runner.invoke(main, ["check", str(path)]), 1, expected_stderr([
        "{path}:1:7: error: book: expected a mapping (key: value lines), found text 'A Tiny Book'",
        "{path}:2:11: error: chapters: needs at least one entry",
    ], path))


# --- accepted variants -----------------------------------------------------------------------


def _variants() -> dict[str, bytes]:
    raw = TINY.read_bytes()
    return {
        "bom": codecs.BOM_UTF8 + raw,
        "crlf": raw.replace(b"\n", b"\r\n"),
        "cr": raw.replace(b"\n", b"\r"),
        "bom-crlf": codecs.BOM_UTF8 + raw.replace(b"\n", b"\r\n"),
    }


@pytest.mark.parametrize("variant", sorted(_variants()))
def test_bom_and_crlf_are_accepted_as_the_same_document(runner, tmp_path, variant):
    path = tmp_path / f"tiny-{variant}.yaml"
    path.write_bytes(_variants()[variant])
    assert load(path).document == load(TINY).document
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    previous = tmp_path / "out"
    previous.mkdir()
    result = runner.invoke(main, ["build", str(path), "-o", str(previous)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("tag", ["en", "en-GB", "zh-Hant-TW", "sr-Latn", "de-CH-1996", "es-419", "EN-gb",
                                 "zh-cmn-Hans-CN", "sl-rozaj-biske-1994", "en-US-u-ca-gregory", "en-GB-x-private-x"])
def test_well_formed_language_tags_are_accepted(tiny, tag):
    edit(tiny, "language: en", f"language: {tag}")
    assert load(tiny).document.book.language == tag


@pytest.mark.parametrize("tag", ["English", "en-US-US", "en-12", "en-", "en--GB", "x-private", "i-klingon",
                                 "en-a-x", "en-a-bb-a-cc", "de-1996-1996", "en-Latn-Cyrl", "en-GB-US"])
def test_malformed_language_tags_are_refused(tiny, tag):
    edit(tiny, "language: en", f"language: {tag}")
    with pytest.raises(SourceError) as caught:
        load(tiny)
    assert [p.message for p in caught.value.problems] == [f"'{tag}' is not a language tag; use e.g. 'en' or 'en-GB'"]


@pytest.mark.parametrize(("title", "why"), [
    ("\t \u00a0\u3000", "white space"),
    ("\u200b\u200d\u2060\ufeff", "invisible characters: U+200B, U+200D, U+2060, U+FEFF; delete them"),
    (" \u3164 \u2800 \u034f", "invisible characters: U+034F, U+2800, U+3164; delete them"),
])
def test_blank_text_is_refused(tiny, title, why):
    edit(tiny, "title: A Tiny Book", f'title: "{title}"')
    with pytest.raises(SourceError) as caught:
        load(tiny)
    assert [(p.key, p.message) for p in caught.value.problems] == [("book.title", f"must not be empty (it holds only {why})")]


def test_a_deletion_that_hides_only_invisible_characters_is_refused(tiny):
    edit(tiny, "{{c1::${landing-date}}}", "{{c1::${landing-date}}} {{c2::\\u200b \\u2060}}")
    with pytest.raises(SourceError) as caught:
        load(tiny)
    assert [p.message for p in caught.value.problems] == [
        "malformed cloze: deletion '{{c2::\u200b \u2060}}' hides nothing; put the hidden text after '::'"]


@pytest.mark.parametrize("title", [".", " A ", "\u200bA\u200b", "\u00a0·"])
def test_text_with_one_visible_character_is_accepted(tiny, title):
    edit(tiny, "title: A Tiny Book", f'title: "{title}"')
    assert load(tiny).document.book.title.strip() != ""


def test_a_dollar_before_a_cloze_deletion_is_text_not_a_fact(runner, tmp_path):
    """'${{c1::...}}' is a price before a deletion, not a reference to a fact named '{c1::...'."""
    text = TINY.read_text("utf-8").replace(
        'cloze: "The jet landed on {{c1::${landing-date}}}."',
        'cloze: "The jet cost ${{c1::3 million}} and landed on {{c2::${landing-date}}}."')
    path = tmp_path / "dollar.yaml"
    path.write_text(text, "utf-8")
    card = load(path).document.chapters[0].cards[1]
    assert card.cloze == "The jet cost ${{c1::3 million}} and landed on {{c2::${landing-date}}}."
    assert runner.invoke(main, ["check", str(path)]).exit_code == 0


def test_a_200000_character_line_is_accepted(runner, tmp_path):
    words = " ".join(f"word{i % 97}" for i in range(30_000))
    text = TINY.read_text("utf-8").replace(
        "      It ran off the *end* of the runway.\n", f"      It ran off the *end* of the runway. {words}\n")
    assert max(len(line) for line in text.splitlines()) > 200_000
    path = tmp_path / "long-line.yaml"
    path.write_text(text, "utf-8")
    assert load(path).document.chapters[0].text.endswith(f"{words}\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    previous = tmp_path / "out"
    previous.mkdir()
    result = runner.invoke(main, ["build", str(path), "-o", str(previous)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_a_problem_at_the_end_of_a_200000_character_line_is_located(runner, tmp_path):
    text = TINY.read_text("utf-8").replace(
        "      It ran off the *end* of the runway.\n", "      It ran off the " + "x" * 200_000 + " ${runway}.\n")
    path = tmp_path / "long-line.yaml"
    path.write_text(text, "utf-8")
    result = runner.invoke(main, ["check", str(path)])
    assert_failed(result, 1, expected_stderr([
        "{path}:25:200023: error: chapters[0].text: unknown fact '${runway}' (allowed: landing-date, airport)",
    ], path))


# --- resource bounds -------------------------------------------------------------------------


def test_alias_bomb_is_refused_in_bounded_memory():
    """9 levels of 9 aliases would expand to 9**9 strings; refused at the first anchor instead."""
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            load(BROKEN / "alias-bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.message for p in caught.value.problems] == [
        "anchors and aliases (&name, *name) are not supported; write the text out"]
    assert peak < 50 * 1024 * 1024


@pytest.mark.parametrize("raw", [b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
                                 b"a: " + b"{x: " * 100_000 + b"}" * 100_000 + b"\n",
                                 b"".join(b"  " * i + b"k:\n" for i in range(2_000)) + b"  " * 2_000 + b"k: v\n"],
                         ids=["flow-lists", "flow-mappings", "block-mappings"])
def test_very_deep_nesting_is_refused_in_bounded_memory(raw):
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            parse(raw, "deep.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [problem] = caught.value.problems
    assert "nesting" in problem.message and "flatten the structure" in problem.message
    assert problem.line >= 1 and problem.column > 1
    assert peak < 50 * 1024 * 1024


# --- paths that cannot be used (exit status 2) -----------------------------------------------


def assert_usage_error(result, line: str) -> None:
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [line]


@pytest.mark.parametrize("command", ["check", "build"])
def test_source_is_a_directory(runner, previous, tmp_path, command):
    before = snapshot(previous)
    result = runner.invoke(main, [command, str(tmp_path)] + (["-o", str(previous)] if command == "build" else []))
    assert_usage_error(result, f"{tmp_path}: error: is a directory; give the path of a source .yaml file")
    assert_untouched(previous, before)


@pytest.mark.parametrize("command", ["check", "build"])
def test_source_is_missing(runner, previous, tmp_path, command):
    missing = tmp_path / "nope.yaml"
    before = snapshot(previous)
    result = runner.invoke(main, [command, str(missing)] + (["-o", str(previous)] if command == "build" else []))
    assert_usage_error(result, f"{missing}: error: no such file; check the path (default: source/belenko-defection.yaml)")
    assert_untouched(previous, before)


def test_a_missing_output_directory_is_made(runner, tmp_path):
    missing = tmp_path / "missing" / "dist"
    result = runner.invoke(main, ["build", str(TINY), "-o", str(missing)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in missing.iterdir()) == ["tiny-book.apkg", "tiny-book.epub", "tiny-book.manifest.json"]


def test_an_empty_output_directory_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build", str(TINY), "-o", ""])
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output': is empty; name a directory, e.g. -o output" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_is_a_file(runner, tmp_path):
    file = tmp_path / "out.txt"
    file.write_text("not a directory\n")
    result = runner.invoke(main, ["build", str(TINY), "-o", str(file)])
    assert_usage_error(result, f"{file}: error: is a file, not a directory; choose an output directory with -o")
    assert file.read_text() == "not a directory\n"


def test_output_below_a_file(runner, tmp_path):
    file = tmp_path / "out.txt"
    file.write_text("not a directory\n")
    below = file / "out"
    result = runner.invoke(main, ["build", str(TINY), "-o", str(below)])
    assert_usage_error(result, f"{below}: error: is inside a file, not a directory; choose an output directory with -o")
    assert file.read_text() == "not a directory\n"


@contextmanager
def unprivileged():
    """Run the block as 'nobody' when the tests run as root, whom no file mode stops.

    The real and effective uid both change (os.access checks the real one); the saved uid
    stays 0, which is what allows switching back. Skips where the switch is not allowed.
    """
    if os.geteuid() != 0:
        yield
        return
    try:
        os.setresuid(65534, 65534, 0)
    except OSError as e:  # pragma: no cover - a container without CAP_SETUID
        pytest.skip(f"cannot drop root privileges to test permissions: {e}")
    try:
        yield
    finally:
        os.setresuid(0, 0, 0)


@pytest.fixture
def shared_dir(_previous_build):
    """A directory 'nobody' can reach (pytest's tmp_path sits below a 0700 directory)."""
    top = Path(tempfile.mkdtemp(prefix="exporter-test-"))
    top.chmod(0o755)
    shutil.copy(TINY, top / "tiny.yaml")
    shutil.copytree(_previous_build, top / "out")
    try:
        yield top
    finally:
        for path in [top, *top.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(top)


def test_output_directory_is_read_only(runner, shared_dir):
    """A read-only output directory is refused before anything is built.

    Tests run as root here, and root writes through any mode bits (chattr is not available
    either), so the build runs as 'nobody' for the duration of the call.
    """
    previous = shared_dir / "out"
    source = shared_dir / "tiny.yaml"
    source.write_text(source.read_text("utf-8").replace("In crates", "In boxes"), "utf-8")  # not up to date
    before = snapshot(previous)
    previous.chmod(0o555)
    with unprivileged():
        assert not os.access(previous, os.W_OK)
        result = runner.invoke(main, ["build", str(source), "-o", str(previous)])
    assert_usage_error(result, f"{previous}: error: output directory is not writable (fix its permissions); "
                               "choose an output directory with -o")
    previous.chmod(0o755)
    assert_untouched(previous, before)


def test_source_is_unreadable(runner, shared_dir):
    source = shared_dir / "tiny.yaml"
    source.chmod(0o000)
    with unprivileged():
        result = runner.invoke(main, ["check", str(source)])
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{source}: error: cannot read: Permission denied\n"


def test_image_is_unreadable(runner, shared_dir):
    source, image = shared_dir / "tiny.yaml", shared_dir / "map.png"
    source.write_text(source.read_text("utf-8").replace(
        "It was a civil airport.", "It was a civil airport. ![A map](map.png)"), "utf-8")
    image.write_bytes(png(2, 2))
    image.chmod(0o000)
    with unprivileged():
        result = runner.invoke(main, ["check", str(source)])
    assert_failed(result, 1, expected_stderr([
        "{path}:30:40: error: chapters[0].cards[0].extra: image file 'map.png' cannot be read (Permission denied)",
    ], source))
