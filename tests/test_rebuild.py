"""Rebuilding after edits: the summary, the no-change fast path, watch and preview."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, edit, png
from exporter.cli import main


@pytest.fixture
def out(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def build(runner, source, out, *args, when=1_800_000_000):
    result = runner.invoke(main, ["build", str(source), "-o", str(out), *args], env={"SOURCE_DATE_EPOCH": str(when)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_first_build_summary(runner, tiny, out):
    lines = build(runner, tiny, out).splitlines()
    assert re.fullmatch(rf"Wrote {re.escape(str(out / 'tiny-book.apkg'))} \(\d+ KB\)", lines[0])
    assert re.fullmatch(rf"Wrote {re.escape(str(out / 'tiny-book.epub'))} \(\d+ KB\)", lines[1])
    assert lines[2] == "2 chapters; 5 notes: 3 question, 1 cloze, 1 glossary (studied both ways)."
    assert lines[3] == 'First build: import the .apkg into Anki (File > Import) to get the deck "A Tiny Book".'
    assert sorted(p.name for p in out.iterdir()) == ["tiny-book.apkg", "tiny-book.epub", "tiny-book.manifest.json"]


def test_changed_added_and_removed_cards_are_named(runner, tiny, out):
    build(runner, tiny, out)
    edit(tiny, "answer: In crates", "answer: In thirty crates")
    edit(tiny, "The aircraft was returned in crates.", "The aircraft was returned in thirty crates.")
    edit(tiny, "      - id: afterwards-crates", "      - id: afterwards-port\n        question: Where from?\n"
         "        answer: Hitachi\n      - id: afterwards-crates")
    edit(tiny, "        cloze: \"The jet landed on {{c1::${landing-date}}}.\"\n", "")
    edit(tiny, "      - id: landing-date-cloze\n", "")
    lines = build(runner, tiny, out, when=1_800_000_100).splitlines()
    assert lines[3:] == [
        "1 card changed: re-import the deck and Anki updates it in place, keeping your reviews.",
        "  afterwards-crates",
        "1 card added: re-import the deck to get it.",
        "  afterwards-port",
        "1 card removed from the source: landing-date-cloze. Anki keeps removed cards on import; "
        'to delete them, search the browser for: "note:A Tiny Book · *" (Id:landing-date-cloze)',
    ]


def test_forced_rebuild_of_unchanged_source_says_nothing_changed(runner, tiny, out):
    build(runner, tiny, out)
    lines = build(runner, tiny, out, "--force").splitlines()
    assert lines[-1] == "No card changed since the last build: re-importing the deck changes nothing."


def test_unchanged_source_takes_the_fast_path(runner, tiny, out, monkeypatch):
    build(runner, tiny, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def must_not_parse(*_args, **_kwargs):
        raise AssertionError("an unchanged source must not be parsed again")

    monkeypatch.setattr("exporter.load.parse", must_not_parse)
    stdout = build(runner, tiny, out)
    assert stdout == f"Up to date: {out / 'tiny-book.apkg'} and {out / 'tiny-book.epub'} already match the source; nothing to do.\n"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_fast_path_is_not_taken_when_an_output_was_touched(runner, tiny, out):
    build(runner, tiny, out)
    original = (out / "tiny-book.epub").read_bytes()
    (out / "tiny-book.epub").write_bytes(b"damaged")
    assert "No card changed" in build(runner, tiny, out)
    assert (out / "tiny-book.epub").read_bytes() == original


def test_preview_shows_every_card_front_and_back(runner, tiny, tmp_path):
    page = tmp_path / "preview.html"
    result = runner.invoke(main, ["preview", str(tiny), "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text("utf-8")
    for card_id in ("landing-airport", "landing-date-cloze", "afterwards-crates", "tl-landing-card", "term-foxbat"):
        assert f'<article id="{card_id}">' in text
    assert "Hakodate Airport" in text and "[…]" in text and "Chapter 1 – The Landing" in text
    assert ".nightMode" in text  # the deck's own CSS
    assert "{{" not in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)  # nothing loaded from the network


def test_watch_rebuilds_on_save_and_survives_a_broken_save(tiny, out):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "exporter", "watch", str(tiny), "-o", str(out), "--debounce", "50"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: list[str] = []

    def wait_for(pattern: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            seen.append(line)
            if re.search(pattern, line):
                return
        raise AssertionError(f"never saw {pattern!r}; output:\n{''.join(seen)}")

    try:
        wait_for(r"^Watching ")
        good = tiny.read_text("utf-8")
        tiny.write_text(good.replace("answer: In crates", "anwser: In crates"), "utf-8")
        wait_for(r"unknown key 'anwser' \(did you mean 'answer'\?\)")
        assert (out / "tiny-book.apkg").exists()
        tiny.write_text(good.replace("answer: In crates", "answer: In boxes"), "utf-8")
        wait_for(r"^1 card changed")
        # An image the source shows is watched too: saving it rebuilds the card that shows it.
        (tiny.parent / "map.png").write_bytes(png(2, 2))
        tiny.write_text(good.replace("It was a civil airport.", "It was a civil airport. ![A map](map.png)"), "utf-8")
        wait_for(r"^  landing-airport")
        (tiny.parent / "map.png").write_bytes(png(2, 2, 255))
        wait_for(r"^  landing-airport")
        assert proc.poll() is None, "watch must keep running"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not any("Traceback" in line for line in seen)
