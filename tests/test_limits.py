"""Hostile sizes: sources that are not files or too big, huge paragraphs, and time that grows
with the input, not with its square.

Timings on a shared 2-core machine are noisy, so where work can be counted it is counted
(lines of exporter code run, characters measured on the cover), deterministically. Where it
cannot (a regular expression runs in C), the test compares two sizes of one input in the
same process and allows twice the growth that linear time gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import ImageFont

from conftest import ROOT, TINY, synthetic
from exporter import cover
from exporter.cli import main
from exporter.errors import SourceError
from exporter.load import parse
from exporter.read import MAX_SOURCE_BYTES, read_source

EXPORTER = str(ROOT / "exporter")


def lines_run(action) -> int:
    """How many lines of exporter code `action()` runs: a count of work that no other
    process on the machine can disturb."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(EXPORTER) else None

    sys.settrace(calls)
    try:
        action()
    finally:
        sys.settrace(None)
    return count


# --- what is not a source file ----------------------------------------------------------------

NOT_A_FILE = "is not a regular file (a device, a pipe or a socket); give the path of a source .yaml file"


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "source.yaml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
def test_a_pipe_or_a_device_is_refused_at_once(request, tmp_path, command, kind):
    """A FIFO blocked forever, /dev/zero and /dev/urandom were read until memory ran out. In a
    process of its own, so that a regression fails after 60 s instead of hanging the suite."""
    path = request.getfixturevalue("fifo") if kind == "fifo" else Path(kind)
    out = tmp_path / "out"
    out.mkdir()
    args = [command, str(path)] + (["-o", str(out)] if command == "build" else [])
    result = subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"{path}: error: {NOT_A_FILE}\n")
    assert list(out.iterdir()) == []


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)  # no disk space, no time: a file of `size` zero bytes
    return path


def test_a_source_over_the_size_limit_is_refused_unread(runner, tmp_path):
    path = _sparse(tmp_path / "huge.yaml", MAX_SOURCE_BYTES + 1)
    result = runner.invoke(main, ["check", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"{path}: error: is larger than 32 MiB, the most a source may be; is it the right file?\n"


def test_a_source_of_exactly_the_size_limit_is_read(tmp_path):
    """The limit is the most a source may be, not one byte less; the README says 32 MiB."""
    assert MAX_SOURCE_BYTES == 32 * 1024 * 1024
    assert len(read_source(_sparse(tmp_path / "limit.yaml", MAX_SOURCE_BYTES))) == MAX_SOURCE_BYTES


# --- a paragraph of more than 10 MB ----------------------------------------------------------


def test_a_paragraph_over_10_mb_builds(runner, tmp_path):
    """It passed check, but the book's well-formedness check met libxml2's 10 MB limit on a
    text node: build said 'internal error'."""
    words = " ".join(f"word{i % 97}" for i in range(1_500_000)) + " finalword"
    assert len(words) > 10_000_000
    source = tmp_path / "long.yaml"
    source.write_text(TINY.read_text("utf-8").replace(
        "      It ran off the *end* of the runway.\n", f"      It ran off the *end* of the runway. {words}\n"), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(main, ["build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "tiny-book.epub") as z:
        page = z.read("EPUB/chapter-the-landing.xhtml").decode("utf-8")
    assert f"{words}</p>" in page


# --- unclosed cloze deletions ----------------------------------------------------------------


def _unclosed(tmp_path: Path, n: int, where: str) -> Path:
    """tiny.yaml with `n` unclosed '{{c1::' in a cloze card (an error) or a question card
    (valid: lint looks for deletions in it)."""
    text = TINY.read_text("utf-8")
    if where == "cloze":
        old = 'cloze: "The jet landed on {{c1::${landing-date}}}."'
        new = 'cloze: "The jet landed on {{c1::${landing-date}}}. ' + "{{c1::" * n + '"'
    else:
        old = "question: How was the aircraft returned?"
        new = 'question: "How was the aircraft returned? ' + "{{c1::" * n + '"'
    assert old in text
    path = tmp_path / f"{where}-{n}.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def _check_seconds(path: Path, status: int) -> float:
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["check", str(path)])
    seconds = time.perf_counter() - start
    assert result.exit_code == status, result.output
    return seconds


@pytest.mark.parametrize(("where", "status"), [("cloze", 1), ("question", 0)])
def test_unclosed_deletions_are_checked_in_linear_time(tmp_path, where, status):
    """20,000 unclosed '{{c1::' took 48 s to check (100 s in lint): every attempt at a
    deletion ran to the end of the text. Ten times the input may take up to twenty times
    as long; quadratic time takes a hundred times (a few seconds here)."""
    small, large = _unclosed(tmp_path, 2_000, where), _unclosed(tmp_path, 20_000, where)
    _check_seconds(small, status)  # warm: imports and caches
    small_seconds = min(_check_seconds(small, status) for _ in range(3))
    for _ in range(3):  # a run disturbed by the machine is run again; a slow one is slow every time
        large_seconds = _check_seconds(large, status)
        if large_seconds <= 20 * small_seconds:
            break
    assert large_seconds <= 20 * small_seconds, (small_seconds, large_seconds)


# --- a key misspelt in every card --------------------------------------------------------------


def _misspelt_answers(cards: int) -> bytes:
    """A synthetic source whose every 'answer' is misspelt 'anwser' (a search and replace
    gone wrong): one error per question card."""
    text = synthetic().make_source(cards)
    return text.replace("        answer:", "        anwser:").encode("utf-8")


def _errors(raw: bytes) -> list[str]:
    with pytest.raises(SourceError) as caught:
        parse(raw, "misspelt.yaml")
    return [p.message for p in caught.value.problems]


def test_a_key_misspelt_in_every_card_is_reported_in_linear_time():
    """10,000 cards with a misspelt key took 17 s to check, 20,000 took 108 s: each error
    looked through every other one. Counted in lines run: ten times the cards may run at
    most twelve times the lines."""
    small, large = _misspelt_answers(300), _misspelt_answers(3_000)
    errors = _errors(large)
    assert len(errors) > 1_000
    assert set(errors) == {"unknown key 'anwser' (did you mean 'answer'?)"}
    small_lines, large_lines = lines_run(lambda: _errors(small)), lines_run(lambda: _errors(large))
    assert large_lines <= 12 * small_lines, (small_lines, large_lines)


# --- a very long title on the cover ----------------------------------------------------------


@pytest.fixture
def measured(monkeypatch) -> list[int]:
    """The length of every text the cover measures."""
    lengths: list[int] = []
    getlength = ImageFont.FreeTypeFont.getlength

    def counting(self, text, *args, **kwargs):
        lengths.append(len(text))
        return getlength(self, text, *args, **kwargs)

    monkeypatch.setattr(ImageFont.FreeTypeFont, "getlength", counting)
    return lengths


@pytest.mark.parametrize("unit", ["word ", "x"], ids=["words", "one-word"])
def test_a_very_long_title_costs_the_cover_no_more_than_what_shows(measured, unit):
    """A 92,000-character title took 47 s on the cover, measuring all of it at every font
    size. Ten times the title may measure no more text: the box is full either way."""
    title = (unit * 92_000)[:92_000]
    cover.render(title[:9_200], "", "Author")
    small = sum(measured)
    measured.clear()
    png = cover.render(title, "", "Author")
    assert png.startswith(b"\x89PNG")
    assert sum(measured) <= small, (small, sum(measured))
