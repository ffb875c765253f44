"""Rebuilding after edits: the summary, the no-change fast path, watch and preview."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, TINY, edit, png, synthetic
from exporter.cli import main


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
    assert stdout == (f"Up to date: {out / 'tiny-book.apkg'} and {out / 'tiny-book.epub'} already match the source; "
                      "nothing to do.\n")
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


class Watch:
    """`exporter watch` in a process of its own, its output (stdout and stderr) read line by
    line; every wait has a deadline, and the process is stopped on the way out."""

    def __init__(self, *args: str, cwd: Path = ROOT, debounce: int = 50):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "exporter", "watch", *args, "--debounce", str(debounce)]
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            self.seen.append(line)
            if re.search(pattern, line):
                return
        raise AssertionError(f"never saw {pattern!r}; output:\n{''.join(self.seen)}")

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        assert not any("Traceback" in line for line in self.seen)


def test_watch_rebuilds_on_save_and_survives_a_broken_save(tiny, out):
    with Watch(str(tiny), "-o", str(out)) as watch:
        watch.wait_for(r"^Watching ")
        good = tiny.read_text("utf-8")
        tiny.write_text(good.replace("answer: In crates", "anwser: In crates"), "utf-8")
        watch.wait_for(r"unknown key 'anwser' \(did you mean 'answer'\?\)")
        assert (out / "tiny-book.apkg").exists()
        tiny.write_text(good.replace("answer: In crates", "answer: In boxes"), "utf-8")
        watch.wait_for(r"^1 card changed")
        # An image the source shows is watched too: saving it rebuilds the card that shows it.
        (tiny.parent / "map.png").write_bytes(png(2, 2))
        tiny.write_text(good.replace("It was a civil airport.", "It was a civil airport. ![A map](map.png)"), "utf-8")
        watch.wait_for(r"^  landing-airport")
        (tiny.parent / "map.png").write_bytes(png(2, 2, 255))
        watch.wait_for(r"^  landing-airport")
        assert watch.proc.poll() is None, "watch must keep running"
    assert not any("Traceback" in line for line in watch.seen)


@pytest.mark.parametrize("where", ["a-missing-folder", "default-outside-the-project"])
def test_watch_without_the_source_folder_exits_2(tmp_path, where):
    """watchfiles cannot watch a folder that does not exist: it used to end in its traceback."""
    args, folder = ([str(tmp_path / "nope" / "notes.yaml")], tmp_path / "nope") if where == "a-missing-folder" \
        else ([], tmp_path / "source")
    source = args[0] if args else "source/belenko-defection.yaml"
    result = subprocess.run([sys.executable, "-m", "exporter", "watch", *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"{source}: error: the folder {folder} does not exist; check the path "
                             "(default: source/belenko-defection.yaml, from the project's root folder)\n")


def _rm_mkdir_write(folder: Path, text: str) -> None:
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / "tiny.yaml").write_text(text, "utf-8")


def _mv_away_mkdir_write(folder: Path, text: str) -> None:
    folder.rename(folder.with_name("old"))
    folder.mkdir()
    (folder / "tiny.yaml").write_text(text, "utf-8")


def _mv_new_folder_in(folder: Path, text: str) -> None:
    new = folder.with_name("new")
    new.mkdir()
    (new / "tiny.yaml").write_text(text, "utf-8")
    folder.rename(folder.with_name("old"))
    new.rename(folder)


@pytest.mark.parametrize("replace", [_rm_mkdir_write, _mv_away_mkdir_write, _mv_new_folder_in],
                         ids=["rm-mkdir-write", "mv-away-mkdir-write", "mv-new-folder-in"])
def test_watch_keeps_building_after_the_source_folder_is_replaced(tmp_path, out, replace):
    """A watch dies with its folder: after `rm -rf dir; mkdir dir` the outputs used to stay stale."""
    folder = tmp_path / "src"
    folder.mkdir()
    source = folder / "tiny.yaml"
    good = TINY.read_text("utf-8")
    source.write_text(good, "utf-8")
    with Watch(str(source), "-o", str(out)) as watch:
        watch.wait_for(r"^Watching ")
        replace(folder, good.replace("answer: In crates", "answer: In boxes"))
        watch.wait_for(r"^1 card changed")
        source.write_text(good.replace("answer: In crates", "answer: In barrels"), "utf-8")  # the new folder is watched
        watch.wait_for(r"^1 card changed")
        assert watch.proc.poll() is None, "watch must keep running"
    assert sum(line.startswith("Watching ") for line in watch.seen) == 1


def test_watch_waits_for_a_removed_source_folder_to_come_back(tmp_path, out):
    folder = tmp_path / "src"
    folder.mkdir()
    good = TINY.read_text("utf-8")
    (folder / "tiny.yaml").write_text(good, "utf-8")
    with Watch(str(folder / "tiny.yaml"), "-o", str(out)) as watch:
        watch.wait_for(r"^Watching ")
        shutil.rmtree(folder)
        watch.wait_for(rf"^Waiting for the folder {re.escape(str(folder))} to appear\.$")
        folder.mkdir()
        (folder / "tiny.yaml").write_text(good.replace("answer: In crates", "answer: In boxes"), "utf-8")
        watch.wait_for(r"^1 card changed")


def test_watch_stops_at_once_when_the_output_folder_cannot_be_used(tiny, tmp_path):
    """As build does (exit 2), rather than repeat the error at every save."""
    a_file = tmp_path / "out.txt"
    a_file.write_text("not a folder\n")
    result = subprocess.run([sys.executable, "-m", "exporter", "watch", str(tiny), "-o", str(a_file)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{a_file}: error: is a file, not a directory; choose an output directory with -o\n"


def _cpu_ticks(pid: int) -> int:
    """User and system CPU time of a process, in clock ticks (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to see a build running")
def test_ctrl_c_during_a_rebuild_stops_watching(tmp_path, out):
    """It was turned into 'interrupted' by the build and swallowed: watching went on. A build
    is seen running by the CPU time it takes (watching idles); Ctrl-C is sent then."""
    source = tmp_path / "big.yaml"
    source.write_text(synthetic().make_source(5_000), "utf-8")  # about a second to rebuild
    with Watch(str(source), "-o", str(out)) as watch:
        watch.wait_for(r"^Watching ")
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        idle = _cpu_ticks(watch.proc.pid)
        with source.open("a", encoding="utf-8") as f:
            f.write("# edited\n")
        deadline = time.monotonic() + 60
        while _cpu_ticks(watch.proc.pid) < idle + os.sysconf("SC_CLK_TCK") // 7 and time.monotonic() < deadline:
            time.sleep(0.005)
        watch.proc.send_signal(signal.SIGINT)
        watch.wait_for(r"^interrupted; previous outputs are unchanged\.$")
        watch.wait_for(r"^Stopped watching\.$")
        assert watch.proc.wait(timeout=30) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_unchanged_build_is_answered_before_the_cli_library_loads(tiny, tmp_path):
    """The no-change build is a third cheaper without importing click (or anything of the pipeline)."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys; sys.argv = ['exporter', 'build', sys.argv[1], '-o', sys.argv[2]]\n"
            "from exporter.entry import main; main()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'yaml', 'pydantic', 'genanki')"
            " or m in ('exporter.load', 'exporter.build', 'exporter.errors', 'dataclasses')))")
    first = subprocess.run([sys.executable, "-c", code, str(tiny), str(out)], capture_output=True, text=True, env=env)
    assert first.returncode == 0 and "First build" in first.stdout, first.stderr
    again = subprocess.run([sys.executable, "-c", code, str(tiny), str(out)], capture_output=True, text=True, env=env)
    lines = again.stdout.splitlines()
    assert lines[0].startswith("Up to date: ") and lines[1] == "[]", again.stdout + again.stderr
