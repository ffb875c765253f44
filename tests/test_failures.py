"""Failures mid-build (issue #6): the previous outputs survive, byte for byte.

Both outputs and the manifest are written to temporary files beside their targets and moved
into place only when all three are complete (exporter.staging.staged). Here a renderer raises,
the disk fills up, or the user presses Ctrl-C part-way; each time the previous build must be
left exactly as it was, with no temporary file behind, a non-zero exit and one clear line on
stderr instead of a traceback.
"""

from __future__ import annotations

import errno
import os
import pathlib
import subprocess
import tempfile
from pathlib import Path

import genanki
import pytest
from ebooklib import epub as ebooklib_epub

from conftest import TINY, edit
from helpers import leftovers, snapshot
from exporter import anki, epub, staging
from exporter.cli import main

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what a write() on a full disk raises
INTERNAL = ("error: internal error ({}); previous outputs are unchanged. "
            "Run with EXPORTER_DEBUG=1 for details and please report it.")


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path, monkeypatch) -> Path:
    """The renderers' own scratch space (anki's sqlite file), so leftovers can be seen."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.delenv("EXPORTER_DEBUG", raising=False)
    return scratch


@pytest.fixture
def edited(tiny) -> Path:
    """tiny.yaml with one answer changed: a build of it must write new outputs."""
    edit(tiny, "answer: In crates", "answer: In boxes")
    return tiny


# --- ways to fail ----------------------------------------------------------------------------


def _partial_then(exc, path_arg: int):
    """A writer that leaves half a file at its path (positional argument path_arg), then fails."""
    def writer(*args, **kwargs):
        Path(args[path_arg]).write_bytes(b"PK\x03\x04 half a zip")
        raise exc
    return writer


def _raise(exc):
    def fail(*args, **kwargs):
        raise exc
    return fail


def _manifest_write_fails(exc, monkeypatch):
    real = pathlib.Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name.endswith(".tmp") and ".manifest.json." in self.name:
            real(self, '{"half": ', "utf-8")
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)


FAILURES = {
    # name: (install the failure, exit status, the one stderr line)
    "anki-renderer-raises": (
        lambda mp: mp.setattr(anki, "write", _partial_then(RuntimeError("renderer exploded"), 1)),
        3, INTERNAL.format("RuntimeError: renderer exploded")),
    "anki-inside-genanki-raises": (
        lambda mp: mp.setattr(genanki.Package, "write_to_db", _raise(ValueError("bad note"))),
        3, INTERNAL.format("ValueError: bad note")),
    "epub-renderer-raises": (
        lambda mp: mp.setattr(epub, "write", _partial_then(RuntimeError("page not well formed"), 1)),
        3, INTERNAL.format("RuntimeError: page not well formed")),
    "disk-full-writing-apkg": (
        lambda mp: mp.setattr(anki, "zip_bytes_to", _partial_then(ENOSPC, 0)),
        1, "error: No space left on device; previous outputs are unchanged."),
    "disk-full-writing-epub": (
        lambda mp: mp.setattr(epub, "zip_bytes_to", _partial_then(ENOSPC, 0)),
        1, "error: No space left on device; previous outputs are unchanged."),
    "disk-full-writing-manifest": (
        lambda mp: _manifest_write_fails(ENOSPC, mp),
        1, "error: No space left on device; previous outputs are unchanged."),
    "interrupt-in-anki-database": (
        lambda mp: mp.setattr(genanki.Package, "write_to_db", _raise(KeyboardInterrupt())),
        130, "interrupted; previous outputs are unchanged."),
    "interrupt-in-epub-packaging": (
        lambda mp: mp.setattr(ebooklib_epub, "write_epub", _raise(KeyboardInterrupt())),
        130, "interrupted; previous outputs are unchanged."),
    "interrupt-writing-manifest": (
        lambda mp: _manifest_write_fails(KeyboardInterrupt(), mp),
        130, "interrupted; previous outputs are unchanged."),
}


def assert_one_line_failure(result, status: int, line: str) -> None:
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code == status, result.output
    assert result.stdout == ""
    [printed] = result.stderr.splitlines()
    if line.startswith("error: No space"):
        # "PATH: error: ...": the OSError of a write() names no file, so PATH is a fallback.
        assert printed.endswith(": " + line), printed
    else:
        assert printed == line


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_build_keeps_previous_outputs(runner, previous, edited, monkeypatch, private_tempdir, failure):
    install, status, line = FAILURES[failure]
    before = snapshot(previous)
    install(monkeypatch)
    result = runner.invoke(main, ["build", str(edited), "-o", str(previous)])
    monkeypatch.undo()
    assert_one_line_failure(result, status, line)
    assert snapshot(previous) == before
    assert leftovers(previous) == []
    assert list(private_tempdir.iterdir()) == []


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_first_build_writes_nothing(runner, tmp_path, edited, monkeypatch, failure):
    empty = tmp_path / "empty-out"
    empty.mkdir()
    install, status, line = FAILURES[failure]
    install(monkeypatch)
    result = runner.invoke(main, ["build", str(edited), "-o", str(empty)])
    monkeypatch.undo()
    assert_one_line_failure(result, status, line)
    assert list(empty.iterdir()) == []


def test_after_a_failure_the_next_builds_are_right(runner, previous, edited, monkeypatch):
    """The manifest was not touched: the old source is still up to date, the new one builds."""
    before = snapshot(previous)
    monkeypatch.setattr(epub, "write", _raise(KeyboardInterrupt()))
    assert runner.invoke(main, ["build", str(edited), "-o", str(previous)]).exit_code == 130
    monkeypatch.undo()

    again = runner.invoke(main, ["build", str(TINY), "-o", str(previous)])
    assert again.exit_code == 0 and again.stdout.startswith("Up to date:"), again.output
    assert snapshot(previous) == before

    rebuilt = runner.invoke(main, ["build", str(edited), "-o", str(previous)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 card changed" in rebuilt.stdout
    assert snapshot(previous) != before
    assert leftovers(previous) == []


def test_debug_mode_shows_the_traceback_of_an_internal_error(runner, previous, edited, monkeypatch):
    """EXPORTER_DEBUG=1 re-raises (for a bug report); outputs are still kept."""
    before = snapshot(previous)
    monkeypatch.setattr(anki, "write", _raise(RuntimeError("renderer exploded")))
    result = runner.invoke(main, ["build", str(edited), "-o", str(previous)], env={"EXPORTER_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError)
    assert snapshot(previous) == before
    assert leftovers(previous) == []


def test_output_directory_unwritable_after_the_check(runner, previous, edited, monkeypatch):
    """The temporary file cannot be created (permissions changed under us): exit 1, one line."""
    before = snapshot(previous)

    def mkstemp(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(previous / ".tiny-book.apkg.x.tmp"))

    monkeypatch.setattr(staging.tempfile, "mkstemp", mkstemp)
    result = runner.invoke(main, ["build", str(edited), "-o", str(previous)])
    monkeypatch.undo()
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.endswith("error: Permission denied; previous outputs are unchanged."), line
    assert snapshot(previous) == before


# --- staging.staged itself ---------------------------------------------------------------------


@pytest.fixture
def targets(tmp_path) -> list[Path]:
    paths = [tmp_path / "a.apkg", tmp_path / "a.epub", tmp_path / "a.manifest.json"]
    for path in paths:
        path.write_bytes(b"old " + path.name.encode())
    return paths


def test_staged_yields_empty_temporaries_beside_the_targets(targets):
    with staging.staged(targets) as temps:
        assert len(temps) == len(targets)
        for temp, target in zip(temps, targets):
            assert temp.parent == target.parent
            assert temp.name.startswith(f".{target.name}.") and temp.name.endswith(".tmp")
            assert temp.read_bytes() == b""
        assert len(set(temps)) == len(temps)
        for temp in temps:
            temp.write_bytes(b"new " + temp.name.encode())
        names = {target: temp.name for temp, target in zip(temps, targets)}
    for target in targets:
        assert target.read_bytes() == b"new " + names[target].encode()
        assert target.stat().st_mode & 0o777 == 0o644  # mkstemp's 0600 would hide it from others
    assert leftovers(targets[0].parent) == []


def test_staged_creates_targets_that_did_not_exist(tmp_path):
    targets = [tmp_path / "x.apkg", tmp_path / "x.epub"]
    with staging.staged(targets) as temps:
        for temp in temps:
            temp.write_text("new")
    assert [t.read_text() for t in targets] == ["new", "new"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), ENOSPC, KeyboardInterrupt()], ids=["error", "enospc", "interrupt"])
def test_staged_leaves_targets_alone_when_the_block_fails(targets, exc):
    before = [t.read_bytes() for t in targets]
    with pytest.raises(type(exc)):
        with staging.staged(targets) as temps:
            temps[0].write_bytes(b"complete")
            temps[1].write_bytes(b"half")
            raise exc
    assert [t.read_bytes() for t in targets] == before
    assert leftovers(targets[0].parent) == []


def test_staged_leaves_no_target_when_a_first_build_fails(tmp_path):
    (tmp_path / "out").mkdir()
    targets = [tmp_path / "out" / "x.apkg", tmp_path / "out" / "x.epub"]
    with pytest.raises(RuntimeError):
        with staging.staged(targets) as temps:
            temps[0].write_text("new")
            raise RuntimeError("boom")
    assert list((tmp_path / "out").iterdir()) == []


def test_staged_cleans_up_when_a_temporary_cannot_be_created(tmp_path, targets):
    before = [t.read_bytes() for t in targets]
    missing = tmp_path / "no-such-dir" / "a.manifest.json"
    with pytest.raises(FileNotFoundError):
        with staging.staged(targets[:2] + [missing]):
            pytest.fail("the block must not run")
    assert [t.read_bytes() for t in targets] == before
    assert leftovers(tmp_path) == []


def test_staged_tolerates_a_block_that_removed_its_temporary(targets):
    with pytest.raises(RuntimeError):
        with staging.staged(targets) as temps:
            temps[0].unlink()
            raise RuntimeError("boom")
    assert leftovers(targets[0].parent) == []


@pytest.mark.parametrize("exc", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_staged_is_all_or_nothing_even_while_moving_into_place(targets, monkeypatch, exc):
    before = [t.read_bytes() for t in targets]
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise exc
        real(src, dst)

    monkeypatch.setattr(staging.os, "replace", replace)
    with pytest.raises(type(exc)):
        with staging.staged(targets) as temps:
            for temp in temps:
                temp.write_bytes(b"new")
    monkeypatch.undo()
    assert leftovers(targets[0].parent) == []
    assert [t.read_bytes() for t in targets] == before


# --- the temporary folder ----------------------------------------------------------------------


@pytest.fixture
def full_tempdir(tmp_path, monkeypatch) -> Path:
    """A real, nearly full file system as the temporary folder: a 64 KiB tmpfs with 16 KiB left,
    room for a small file but not for the deck's scratch database."""
    mount = tmp_path / "full"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}")
    try:
        (mount / "fill").write_bytes(b"\0" * 48 * 1024)
        monkeypatch.setattr(tempfile, "tempdir", str(mount))
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize(("folder", "reason"), [
    ("full", "(database or disk is full); free space there, or set TMPDIR to a folder with room"),
    ("gone", "(No such file or directory); set TMPDIR to a folder you can write to"),
])
def test_a_temporary_folder_that_cannot_be_written_is_a_write_error_naming_it(request, runner, previous, edited,
                                                                               monkeypatch, tmp_path, folder, reason):
    """Full: a real, nearly full file system. Gone: the folder tempfile chose at a first build
    was cleaned away while the process (`watch`) kept running."""
    if folder == "full":
        temp = request.getfixturevalue("full_tempdir")
    else:
        temp = tmp_path / "gone"
        monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = snapshot(previous)
    result = runner.invoke(main, ["build", str(edited), "-o", str(previous)])
    assert_one_line_failure(result, 1, f"{temp}: error: cannot write the deck's scratch database in the "
                                       f"temporary folder {reason}; previous outputs are unchanged.")
    assert snapshot(previous) == before
    assert leftovers(previous) == []
    if folder == "full":
        assert [p.name for p in temp.iterdir()] == ["fill"]
