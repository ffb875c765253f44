"""The pipelines: source → deck + book + manifest (all or nothing), source → preview page,
collection → diagnosis. Each step lives in its own module; this one only orders them. (Source →
warnings is check.py: it needs none of what this module imports.)

Data flows one way: read → load → content → anki and epub → staging. The modification time
each note gets comes from `manifest`, which remembers what earlier builds issued.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field
from msgspec.structs import replace

from exporter import __version__, manifest
from exporter.clock import now, source_date_epoch
from exporter.errors import NoteTypeChange, UsageError, WriteError
from exporter.read import read_source
from exporter.uptodate import output_paths, sha256_file, up_to_date

if TYPE_CHECKING:
    from exporter import compat

LOCK_WAIT = 120  # seconds to wait for another build of the same book to finish


class Report(Struct):
    """What a build did, for the summary the CLI prints."""

    outputs: list[Path] = field(default_factory=list)
    unchanged: bool = False  # nothing to do: outputs already match the source
    counts: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    styling_changed: list[str] = field(default_factory=list)
    first_build: bool = False
    deck_name: str = ""
    removed_search: str = ""  # an Anki search that finds exactly the removed notes
    migrated: list[str] = field(default_factory=list)  # note types whose fields or templates changed
    decks: compat.DeckChanges | None = None  # renamed decks, a new layout
    warnings: list[str] = field(default_factory=list)


def prepare_output_dir(out_dir: Path) -> None:
    """Make the output folder if it is missing, as build tools do; refuse one that cannot be."""
    for parent in [out_dir, *out_dir.parents]:
        if parent.is_file():
            raise UsageError(str(out_dir), "is a file, not a directory" if parent == out_dir
                             else "is inside a file, not a directory", "output")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(str(out_dir), f"cannot create the output directory ({e.strerror})", "output") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(str(out_dir), "output directory is not writable (fix its permissions)", "output")


def build(source_path: str | Path, out_dir: str | Path, *, force: bool = False, migrate: bool = False) -> Report:
    """Build the deck and the book from a source file into out_dir. A build that would change
    a note type's fields or templates raises NoteTypeChange, unless `migrate`."""
    out_dir = Path(out_dir)
    source_date_epoch()  # a bad value is an error even when nothing is to be built
    raw = read_source(source_path)
    prepare_output_dir(out_dir)
    if not force:
        outputs = up_to_date(raw, Path(source_path).parent, out_dir)
        if outputs is not None:
            return Report(outputs=outputs, unchanged=True)

    from exporter.load import parse  # after the fast path: it costs msgspec and yaml

    source = parse(raw, str(source_path))
    from exporter import anki, compat, content  # only now: a broken source never pays for them

    book = content.build(source.document, media=source.media)
    paths = output_paths(out_dir, book.meta.id)
    _refuse_overwriting(Path(source_path), paths)
    deck = anki.Deck.of(book)
    note_hashes, type_hashes = anki.fingerprints(deck)
    with _issuing(book.meta.id) as report:
        from exporter.staging import remove_leftovers

        remove_leftovers(list(paths))  # ours, from a killed build: no other build is running
        previous, trusted = _previous(paths, report)
        record = _record(book.meta.id, report)
        issued_notes = {**(previous.notes if trusted and previous else {}), **(record.notes if record else {})}
        issued_types = {**(previous.note_types if trusted and previous else {}), **(record.note_types if record else {})}
        schemas = compat.schemas(deck)
        migrated = compat.schema_changes([m.schemas for m in (previous, record) if m is not None], schemas, deck,
                                         set(issued_notes))
        if migrated and not migrate:
            raise NoteTypeChange(str(paths[2]), migrated)
        latest = max(m.latest() for m in (previous, record, manifest.Manifest()) if m is not None)
        if not trusted:
            latest = max(latest, anki.newest_mod(paths[0]))
        new = max(now(), latest + 1)
        note_mods, changed = manifest.stamp_all(note_hashes, issued_notes, new)
        type_mods, styled = manifest.stamp_all(type_hashes, issued_types, new)
        same = previous is not None and previous.source_sha256 == source.sha256 and not changed and not styled
        modified = previous.modified if same and previous else new  # the book's date moves with its content

        built = manifest.Manifest(
            tool=__version__, source=Path(source.path).name, source_sha256=source.sha256, modified=modified,
            notes={k: manifest.Stamp(h, note_mods[k]) for k, h in note_hashes.items()},
            note_types={k: manifest.Stamp(h, type_mods[k]) for k, h in type_hashes.items()},
            schemas=schemas, decks={str(k): name for k, name in anki.deck_names(book).items()},
            images={path: m.sha256 for path, m in source.media.items()},
        )
        try:
            _write_all(deck, source.sha256, paths, built, lambda: _save_record(book.meta.id, record, built, report))
        except OSError as e:  # a full disk, a permission changed under us: name the folder, not a temp file
            raise WriteError(str(out_dir), e.strerror or str(e)) from None

    known = previous.notes if previous else {}
    removed = sorted(k for k in known if k not in note_hashes)
    kinds: dict[str, int] = {}
    for card in book.cards:
        kinds[card.kind] = kinds.get(card.kind, 0) + 1
    report.outputs = [paths[0], paths[1]]
    report.counts = {"chapters": len(book.chapters), **kinds, "images": len(book.media)}
    report.added = [k for k in changed if k not in issued_notes]
    report.changed = [k for k in changed if k in issued_notes]
    report.removed = removed
    report.removed_search = anki.search_for(book, removed)
    report.styling_changed = [k for k in styled if k in issued_types]
    report.first_build = previous is None and record is None
    report.migrated = [change.after.name for change in migrated]
    report.decks = compat.deck_changes(book, previous.decks if previous else {}, built.decks)
    report.deck_name = book.title
    return report


def _refuse_overwriting(source: Path, targets: tuple[Path, ...]) -> None:
    for target in targets:
        if target.exists() and source.exists() and target.samefile(source):
            raise UsageError(str(target), "is the source file itself; the build would overwrite it", "output")
        if target.is_dir():
            raise UsageError(str(target), "is a directory where the build writes a file; move it away", "output")


@contextmanager
def _issuing(book_id: str) -> Iterator[Report]:
    """This book's lock in the state folder, held for the length of a build: two builds of one
    book, into one folder or two, never interleave their outputs or their records."""
    from exporter.locking import Timeout, held

    report = Report()
    path = manifest.record_path(book_id).with_suffix(".lock")
    with ExitStack() as lock:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock.enter_context(held(path, LOCK_WAIT))
        except Timeout:
            raise WriteError(str(path), f"another build of '{book_id}' has held this lock for "
                             f"{LOCK_WAIT} s; wait for it to finish, or stop it") from None
        except OSError as e:
            report.warnings.append(
                f"{path.parent}: warning: cannot use the state folder ({e.strerror}); builds of this book "
                "are not kept apart, and a lost manifest can hold back edits from Anki. "
                "Set EXPORTER_STATE_DIR to a writable folder.")
        yield report


def _previous(paths: tuple[Path, Path, Path], report: Report) -> tuple[manifest.Manifest | None, bool]:
    """The manifest beside the outputs, and whether it describes the outputs that are there."""
    manifest_path = paths[2]
    try:
        previous = manifest.load(manifest_path)
    except manifest.Damaged as e:
        report.warnings.append(f"{manifest_path}: warning: {e}; ignoring it (edited cards still reach Anki: "
                               "every card gets a newer modification time)")
        return None, False
    if previous is None:
        return None, False
    on_disk = {p.name: sha256_file(p) for p in paths[:2] if p.is_file()}
    if any(previous.outputs.get(name) != sha for name, sha in on_disk.items()):
        report.warnings.append(f"{manifest_path}: warning: does not describe the deck and book beside it "
                               "(an interrupted build, or files copied in); not trusting its times")
        return previous, False
    return previous, True


def _record(book_id: str, report: Report) -> manifest.Manifest | None:
    try:
        return manifest.load_record(book_id)
    except manifest.Damaged as e:
        report.warnings.append(f"{manifest.record_path(book_id)}: warning: {e}; ignoring it")
        return None


def _save_record(book_id: str, record: manifest.Manifest | None, built: manifest.Manifest, report: Report) -> None:
    """Write down what this build issues, before any of it can reach Anki."""
    path = manifest.record_path(book_id)
    temp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_text(manifest.merge(record, built).dump(), "utf-8")
        os.replace(temp, path)
    except OSError as e:
        report.warnings.append(f"{path}: warning: cannot keep the record of this build ({e.strerror}); "
                               "a lost manifest can then hold back edits from Anki")


def _write_all(deck, source_sha256: str, paths: tuple[Path, Path, Path], built: manifest.Manifest, before_move) -> None:
    """Deck, book and manifest into place together, or none of them."""
    from exporter import anki, epub
    from exporter.staging import staged

    apkg_path, epub_path, manifest_path = paths
    with staged(list(paths), before_move) as (apkg_tmp, epub_tmp, manifest_tmp):
        anki.write(deck, apkg_tmp, built.notes, built.note_types)
        epub.write(deck.book, epub_tmp, modified=datetime.fromtimestamp(built.modified, timezone.utc),
                   source_sha256=source_sha256)
        outputs = {apkg_path.name: sha256_file(apkg_tmp), epub_path.name: sha256_file(epub_tmp)}
        manifest_tmp.write_text(replace(built, outputs=outputs).dump(), "utf-8")


# --- preview and doctor ---------------------------------------------------------------------


def preview(source_path: str | Path, out_file: Path | None, default_dir: Path) -> Path:
    """Write the preview page of every card; returns its path."""
    from exporter import content
    from exporter import preview as card_preview
    from exporter.load import load
    from exporter.staging import staged

    source = load(source_path)
    book = content.build(source.document, media=source.media)
    target = out_file or default_dir / f"{book.meta.id}-preview.html"
    if not target.parent.is_dir():
        raise UsageError(str(target.parent), "directory does not exist", "preview")
    if target.exists() and target.samefile(source_path):
        raise UsageError(str(target), "is the source file itself; the preview would overwrite it", "preview")
    with staged([target]) as (temp,):
        card_preview.write(book, temp)
    return target


def new_source(path: str | Path) -> list[Path]:
    """Write a small valid starter source at `path`, and the JSON Schema beside it if there is
    none (the source's first line points editors at it). Never overwrites. Returns what it wrote."""
    from importlib.resources import files

    from exporter.model import schema_json

    path = Path(path)
    if path.exists():
        raise UsageError(str(path), "already exists; the starter source never overwrites a file", "new")
    if not path.parent.is_dir():
        raise UsageError(str(path.parent), "directory does not exist", "new")
    with open(path, "x", encoding="utf-8") as out:
        out.write((files("exporter") / "assets" / "starter.yaml").read_text("utf-8"))
    written = [path]
    schema = path.parent / "schema.json"
    if not schema.exists():
        schema.write_text(schema_json() + "\n", "utf-8")
        written.append(schema)
    return written


def doctor(collection: str | Path, source_path: str | Path, out_dir: str | Path):
    """Compare a learner's collection with the deck built from the source into out_dir (a
    doctor.Diagnosis). Read-only: the collection is read from a copy."""
    from exporter import content
    from exporter import doctor as checkup
    from exporter.load import parse

    raw = read_source(source_path)
    source = parse(raw, str(source_path))
    outputs = up_to_date(raw, Path(source_path).parent, Path(out_dir))
    if outputs is None:
        raise UsageError(str(out_dir), f"holds no build of this version of {source_path}: run "
                         f"`exporter build {source_path} -o {out_dir}` first, and import the deck it writes")
    book = content.build(source.document, checkup.CardsOnly, source.media)
    built = manifest.load(output_paths(Path(out_dir), book.meta.id)[2])
    assert built is not None  # up_to_date found it
    return checkup.diagnose(Path(collection), source, book, built, outputs[0])
