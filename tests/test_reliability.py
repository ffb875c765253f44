"""Nothing lost, whatever the learner or the machine does: every edit reaches Anki after lost or
restored manifests, clocks behind, interrupted and concurrent builds; damaged manifests are
survived; Anki never reads its own syntax in our text; the output folder is treated with care."""

from __future__ import annotations

import concurrent.futures
import errno
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from anki.collection import Collection

from conftest import edit
from exporter import epub, manifest, staging
from exporter.build import build, sha256_file
from exporter.cli import main
from test_anki import import_apkg, notes_by_id

EDITED = "In wooden crates"


@pytest.fixture
def col(tmp_path: Path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def build_at(monkeypatch, when: int, source: Path, out: Path, **options):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    return build(source, out, **options)


def answer_in_anki(col: Collection, card_id: str = "afterwards-crates") -> str:
    return notes_by_id(col)[card_id]["Answer"]


# --- 1. a lost manifest while the clock is behind ---------------------------------------------


@pytest.mark.parametrize("lost", ["manifest", "manifest and record", "new output folder"])
def test_an_edit_reaches_anki_after_a_lost_manifest_with_the_clock_behind(col, tiny, tmp_path, monkeypatch,
                                                                           state_dir, lost):
    out = tmp_path / "out"
    build_at(monkeypatch, 2_000_000_000, tiny, out)
    import_apkg(col, out / "tiny-book.apkg")
    edit(tiny, "answer: In crates", f"answer: {EDITED}")
    if lost == "new output folder":
        out = tmp_path / "elsewhere"
    else:
        (out / "tiny-book.manifest.json").unlink()
        if lost == "manifest and record":  # only the deck beside it is left to say what Anki has
            shutil.rmtree(state_dir)
    build_at(monkeypatch, 1_900_000_000, tiny, out)  # the clock, or SOURCE_DATE_EPOCH, is behind
    import_apkg(col, out / "tiny-book.apkg")
    assert answer_in_anki(col) == EDITED


# --- 2. an experiment undone with git ----------------------------------------------------------


def test_an_edit_undone_by_restoring_source_and_outputs_reaches_anki(col, tiny, tmp_path, monkeypatch, runner):
    out = tmp_path / "out"
    build_at(monkeypatch, 2_000_000_000, tiny, out)
    import_apkg(col, out / "tiny-book.apkg")
    saved = {p.name: p.read_bytes() for p in [tiny, *out.iterdir()]}  # what git has
    edit(tiny, "answer: In crates", f"answer: {EDITED}")
    build_at(monkeypatch, 2_000_000_100, tiny, out)
    import_apkg(col, out / "tiny-book.apkg")
    assert answer_in_anki(col) == EDITED
    for path in [tiny, *out.iterdir()]:  # git stash / checkout / reset
        path.write_bytes(saved[path.name])

    result = runner.invoke(main, ["build", str(tiny), "-o", str(out)])
    assert result.exit_code == 0 and not result.stdout.startswith("Up to date"), result.output
    assert "1 card changed" in result.stdout
    import_apkg(col, out / "tiny-book.apkg")
    assert answer_in_anki(col) == "In crates"


# --- 3. the three outputs are one --------------------------------------------------------------


def _build_quietly(source: str, out: str, state: str) -> None:
    os.environ["EXPORTER_STATE_DIR"] = state
    build(source, out, force=True)


def test_concurrent_builds_never_leave_a_mixed_trio(tiny, tmp_path, state_dir):
    other = tmp_path / "other.yaml"
    other.write_text(tiny.read_text("utf-8").replace("answer: In crates", f"answer: {EDITED}"), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        for _ in range(100):
            pair = [pool.submit(_build_quietly, str(s), str(out), str(state_dir)) for s in (tiny, other)]
            for future in pair:
                future.result()
            written = manifest.load(out / "tiny-book.manifest.json")
            assert written.outputs == {name: sha256_file(out / name) for name in ("tiny-book.apkg", "tiny-book.epub")}
            record = manifest.load_record("tiny-book")
            assert all(record.notes[k] == s for k, s in written.notes.items())


KILLED_BETWEEN_MOVES = """
import os, sys
from exporter import staging
real = staging.os.replace
def replace(a, b):
    real(a, b)
    if str(b).endswith(".apkg"):
        os._exit(9)  # as kill -9 once the deck is in place, before the book: no clean-up runs
staging.os.replace = replace
from exporter.build import build
build(sys.argv[1], sys.argv[2])
"""


def test_an_edit_reaches_anki_after_a_build_killed_between_moves(col, tiny, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build_at(monkeypatch, 2_000_000_000, tiny, out)
    import_apkg(col, out / "tiny-book.apkg")
    edit(tiny, "answer: In crates", "answer: In boxes")
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_MOVES, str(tiny), str(out)],
                            env={**os.environ, "SOURCE_DATE_EPOCH": "2000000000"})
    assert killed.returncode == 9
    import_apkg(col, out / "tiny-book.apkg")  # the new deck beside the old manifest
    assert answer_in_anki(col) == "In boxes"
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # what the kill left

    edit(tiny, "answer: In boxes", f"answer: {EDITED}")
    report = build_at(monkeypatch, 2_000_000_000, tiny, out)  # the same pinned clock: no help from it
    assert any("does not describe the deck and book beside it" in w for w in report.warnings)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # leftovers cleaned
    import_apkg(col, out / "tiny-book.apkg")
    assert answer_in_anki(col) == EDITED


# --- 4. the removed-cards search stays inside the book ----------------------------------------


def test_the_removed_cards_search_finds_only_this_books_notes(col, tiny, tmp_path, monkeypatch):
    other = tmp_path / "other.yaml"
    other.write_text(tiny.read_text("utf-8").replace("id: tiny-book", "id: other-book")
                     .replace("title: A Tiny Book", "title: Another_Book *"), "utf-8")
    for source in (tiny, other):
        build_at(monkeypatch, 2_000_000_000, source, tmp_path / source.stem)
        import_apkg(col, tmp_path / source.stem / f"{'tiny-book' if source == tiny else 'other-book'}.apkg")
    edit(other, '      - id: landing-date-cloze\n        cloze: "The jet landed on {{c1::${landing-date}}}."\n', "")
    report = build_at(monkeypatch, 2_000_000_100, other, tmp_path / "other")
    assert report.removed == ["landing-date-cloze"]
    found = [col.get_note(n) for n in col.find_notes(report.removed_search)]
    assert [(n["Id"], n.note_type()["name"]) for n in found] == [("landing-date-cloze", "Another_Book * · Cloze")]
    assert len(col.find_notes("Id:landing-date-cloze")) == 2  # what the search used to be


# --- 5. an output path that is the source -------------------------------------------------------


def test_preview_refuses_to_overwrite_its_source(runner, tiny):
    before = tiny.read_bytes()
    result = runner.invoke(main, ["preview", str(tiny), "-o", str(tiny)])
    assert result.exit_code == 2
    assert result.stderr == f"{tiny}: error: is the source file itself; the preview would overwrite it; " \
                            "choose another file with -o\n"
    assert tiny.read_bytes() == before


def test_build_refuses_to_overwrite_its_source(runner, tiny, tmp_path):
    source = tmp_path / "tiny-book.epub"  # named as the book it builds, in the output folder
    shutil.copy(tiny, source)
    result = runner.invoke(main, ["build", str(source), "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "is the source file itself; the build would overwrite it" in result.stderr
    assert source.read_bytes() == tiny.read_bytes()


# --- 6 and 9. what the book shows as typed, Anki shows as typed --------------------------------


def test_escaped_and_code_span_deletions_stay_text(col, tiny, tmp_path, monkeypatch):
    edit(tiny, 'cloze: "The jet landed on {{c1::${landing-date}}}."',
         'cloze: "The jet landed on {{c1::${landing-date}}}, not \\\\{\\\\{c7::seven\\\\}\\\\} or `{{c2::x}}`."')
    build_at(monkeypatch, 2_000_000_000, tiny, tmp_path / "out")
    import_apkg(col, tmp_path / "out" / "tiny-book.apkg")
    note = notes_by_id(col)["landing-date-cloze"]
    assert len(note.cards()) == 1
    back = note.cards()[0].answer()
    assert "{{c7::seven}}" in _text(back) and "{{c2::x}}" in _text(back)  # shown, not hidden


def _text(card_html: str) -> str:
    from lxml import html as lhtml

    return lhtml.fragment_fromstring(card_html, create_parent="div").text_content()


ANKI_SYNTAX = r"[sound:boom.mp3] [anki:tts lang=en_US]hi[/anki:tts] [latex]x^2[/latex] [$]y[/$] \(z\) \[w\]"
# In Markdown a backslash escapes punctuation: '\\(' is how a source shows '\('.
ANKI_SYNTAX_SOURCE = ANKI_SYNTAX.replace("\\", "\\\\")


def test_anki_syntax_in_text_is_shown_not_played_or_typeset(col, tiny, tmp_path, monkeypatch):
    edit(tiny, "question: At which airport did the jet land?",
         f"question: 'At which airport did the jet land? {ANKI_SYNTAX_SOURCE}'")
    build_at(monkeypatch, 2_000_000_000, tiny, tmp_path / "out")
    import_apkg(col, tmp_path / "out" / "tiny-book.apkg")
    card = notes_by_id(col)["landing-airport"].cards()[0]
    question = card.question()
    assert card.question_av_tags() == [] and card.answer_av_tags() == []  # nothing to play or speak
    assert "latex-" not in question  # no LaTeX image
    assert ANKI_SYNTAX in " ".join(_text(question).split())  # shown as typed
    from lxml import html as lhtml

    texts = lhtml.fragment_fromstring(question, create_parent="div").xpath("//text()")
    assert not any(delim in t for t in texts for delim in ("\\(", "\\)", "\\[", "\\]"))  # MathJax finds nothing


# --- 10. a damaged manifest ---------------------------------------------------------------------


DAMAGED = {
    "notes null": lambda m: {**m, "notes": None},
    "notes a list": lambda m: {**m, "notes": []},
    "mod as text": lambda m: _every_mod(m, "1800000000"),
    "huge mod": lambda m: _every_mod(m, 10**30),
    "float mod": lambda m: _every_mod(m, 1.9e9),
    "no mod": lambda m: {**m, "notes": {k: {"hash": v["hash"]} for k, v in m["notes"].items()}},
    "no outputs": lambda m: {**m, "outputs": {}},
}


def _every_mod(m: dict, value) -> dict:
    return {**m, "notes": {k: {**v, "mod": value} for k, v in m["notes"].items()}}


@pytest.mark.parametrize("damage", [*DAMAGED, "nested 100,000 deep"])
def test_a_damaged_manifest_is_survived(col, runner, tiny, tmp_path, monkeypatch, state_dir, damage):
    out = tmp_path / "out"
    build_at(monkeypatch, 2_000_000_000, tiny, out)
    import_apkg(col, out / "tiny-book.apkg")
    path = out / "tiny-book.manifest.json"
    if damage == "nested 100,000 deep":
        path.write_text("[" * 100_000 + "]" * 100_000)
    else:
        path.write_text(json.dumps(DAMAGED[damage](json.loads(path.read_text()))))
    shutil.rmtree(state_dir)  # the worst case: nothing else remembers
    if damage == "no outputs":
        for name in ("tiny-book.apkg", "tiny-book.epub"):
            (out / name).unlink()
    else:
        edit(tiny, "answer: In crates", f"answer: {EDITED}")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")  # behind: only the deck on disk can help
    result = runner.invoke(main, ["build", str(tiny), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not result.stdout.startswith("Up to date"), result.output
    if damage not in ("no outputs",):
        assert result.stderr.startswith(f"{path}: warning: "), result.stderr
    import_apkg(col, out / "tiny-book.apkg")
    assert answer_in_anki(col) == ("In crates" if damage == "no outputs" else EDITED)
    assert runner.invoke(main, ["build", str(tiny), "-o", str(out)]).stdout.startswith("Up to date")


# --- 14, 18, 19, 20. the output folder ---------------------------------------------------------


def test_builds_work_where_hard_links_do_not(runner, tiny, tmp_path, monkeypatch):
    """FAT and exFAT (USB sticks, SD cards) have no hard links: link() fails with EPERM."""
    def no_links(*_args):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(staging.os, "link", no_links)
    out = tmp_path / "out"
    for answer in ("In crates", "In boxes", EDITED):
        edit(tiny, "answer: In crates", f"answer: {answer}") if answer != "In crates" else None
        result = runner.invoke(main, ["build", str(tiny), "-o", str(out)])
        assert result.exit_code == 0, result.output
        tiny.write_text(tiny.read_text("utf-8").replace(f"answer: {answer}", "answer: In crates"), "utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["tiny-book.apkg", "tiny-book.epub", "tiny-book.manifest.json"]


def test_leftovers_of_a_killed_build_are_cleaned_and_others_kept(runner, tiny, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    ours = [out / ".tiny-book.apkg.x1.tmp", out / ".tiny-book.epub.old.y2.tmp", out / ".tiny-book.manifest.json.z.tmp"]
    theirs = [out / ".notes.txt.a.tmp", out / "tiny-book.apkg.bak"]
    for path in ours + theirs:
        path.write_bytes(b"x" * 100)
    assert runner.invoke(main, ["build", str(tiny), "-o", str(out)]).exit_code == 0
    assert not any(p.exists() for p in ours) and all(p.exists() for p in theirs)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_a_build_like_ctrl_c(runner, tiny, tmp_path, monkeypatch, name):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(tiny), "-o", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit(tiny, "answer: In crates", f"answer: {EDITED}")
    number = getattr(signal, name)

    def killed(*_args, **_kwargs):
        os.kill(os.getpid(), number)

    monkeypatch.setattr(epub, "write", killed)
    result = runner.invoke(main, ["build", str(tiny), "-o", str(out)])
    assert result.exit_code == 128 + number
    assert result.stderr == f"stopped by signal {number}; previous outputs are unchanged.\n"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file either


def test_outputs_respect_the_umask_and_keep_their_mode(runner, tiny, tmp_path):
    out = tmp_path / "out"
    old = os.umask(0o027)
    try:
        assert runner.invoke(main, ["build", str(tiny), "-o", str(out)]).exit_code == 0
    finally:
        os.umask(old)
    assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()} == {
        "tiny-book.apkg": 0o640, "tiny-book.epub": 0o640, "tiny-book.manifest.json": 0o640}
    (out / "tiny-book.epub").chmod(0o600)
    edit(tiny, "answer: In crates", f"answer: {EDITED}")
    assert runner.invoke(main, ["build", str(tiny), "-o", str(out)]).exit_code == 0
    assert (out / "tiny-book.epub").stat().st_mode & 0o777 == 0o600


def test_an_output_path_that_is_a_directory_is_named(runner, tiny, tmp_path):
    out = tmp_path / "out"
    (out / "tiny-book.apkg").mkdir(parents=True)
    result = runner.invoke(main, ["build", str(tiny), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"{out / 'tiny-book.apkg'}: error: is a directory where the build writes a file; "
                             "move it away; choose an output directory with -o\n")


@pytest.mark.parametrize("value", ["1e9", "²", "-1", "1700000000000000"])
def test_a_malformed_source_date_epoch_is_a_clear_error(runner, tiny, tmp_path, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = runner.invoke(main, ["build", str(tiny), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"SOURCE_DATE_EPOCH: error: {value!r} is ")
    assert not (tmp_path / "out").exists()


# --- 11. huge deletion numbers ------------------------------------------------------------------


@pytest.mark.parametrize(("number", "message"), [
    ("100", "malformed cloze: c100 is too high; number deletions from c1 up to c99"),
    ("10000000", "malformed cloze: c10000000 is too high; number deletions from c1 up to c99"),
    ("1000000000", "malformed cloze near '{{c1000000000::x}}.'; a deletion is written {{c1::hidden text}}"),
    ("9" * 5000, "malformed cloze near '{{c" + "9" * 27 + "'; a deletion is written {{c1::hidden text}}"),
])
def test_huge_deletion_numbers_are_a_short_located_error(runner, tiny, number, message):
    edit(tiny, "{{c1::${landing-date}}}", f"{{{{c1::${{landing-date}}}}}} {{{{c{number}::x}}}}")
    result = runner.invoke(main, ["check", str(tiny)])
    assert result.exit_code == 1
    assert result.stderr == f"{tiny}:33:16: error: chapters[0].cards[1].cloze: {message}\n1 problem found.\n"


def test_the_build_lock_keeps_out_another_process_and_dies_with_its_holder(tmp_path):
    from exporter import locking

    path = tmp_path / "book.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path\n"
                               "from exporter.locking import held\n"
                               "with held(Path(sys.argv[1]), 5):\n    print('held', flush=True); time.sleep(60)",
                               str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(locking.Timeout):
            with locking.held(path, 0.2):
                pass
    finally:
        holder.kill()  # as kill -9: no clean-up runs, and the lock goes with the process
        holder.wait()
    with locking.held(path, 5):
        pass
