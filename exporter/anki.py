"""Book → Anki package (.apkg): one deck, three note types, the same bytes for the same input.

Anki matches notes by GUID and note types by id, and updates a matched one only when the
package's `mod` is newer than its own. So every id here derives from the book id and the
card id (never from text, the clock or randomness), and each note and note type carries
the `mod` the build gives it, which moves only when its fingerprint does.
"""

from __future__ import annotations

import errno
import hashlib
import html
import itertools
import json
import re
import sqlite3
import tempfile
import zipfile
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from exporter import content, typography
from exporter.errors import WriteError
from exporter.syntax import Deletion
from exporter.zips import zip_bytes_to


def _import_genanki():
    """genanki, without the `cached-property` package's import of asyncio and ssl (about 40 ms,
    a tenth of a build). genanki uses it on two plain methods (Model._req, Note.cards), for
    which the standard library's functools.cached_property is the same; so it is lent that,
    for genanki's import only. Where the package is already loaded, genanki gets it as usual."""
    import functools
    import sys
    import types

    if "cached_property" in sys.modules or "genanki" in sys.modules:
        import genanki
        return genanki
    stand_in = types.ModuleType("cached_property")
    stand_in.cached_property = functools.cached_property  # type: ignore[attr-defined]
    sys.modules["cached_property"] = stand_in
    try:
        import genanki
    finally:
        del sys.modules["cached_property"]  # anyone else importing it gets the real package
    return genanki


if TYPE_CHECKING:
    import genanki
else:
    genanki = _import_genanki()

ASSETS = files("exporter") / "assets"

# Fields are fixed forever: adding, renaming or reordering one forks the note type in every
# learner's collection. `Source` is the card's place in the book, `Id` its stable id.
FIELDS = {
    "question": ("Question", "Answer", "Extra", "Source", "Id"),
    "cloze": ("Text", "Extra", "Source", "Id"),
    "term": ("Term", "Definition", "Extra", "Source", "Id"),
}
# Note type name suffix, and its templates: (name, asset stem → card-<stem>-front/back.html).
# Template names and order are as fixed as the fields.
NOTE_TYPES = {
    "question": ("Question", (("Question → Answer", "question"),)),
    "cloze": ("Cloze", (("Cloze", "cloze"),)),
    "term": ("Term", (("Term → Definition", "term"), ("Definition → Term", "term-reverse"))),
}


class _Note(Struct, frozen=True):
    card: content.StudyCard
    fields: tuple[str, ...]  # final field values, in FIELDS order
    guid: str


class Deck(Struct, frozen=True):
    """What goes into the package, made once per build: fingerprinted, then written."""

    book: content.Book
    models: dict[str, genanki.Model]  # by card kind
    notes: list[_Note]

    @classmethod
    def of(cls, book: content.Book) -> "Deck":
        return cls(book, note_types(book), deck_notes(book))


def fingerprints(deck: Deck) -> tuple[dict[str, str], dict[str, str]]:
    """Content hash per note (by card id) and per note type (by name: its fields, templates
    and CSS). A note's hash covers everything written into the note: fields, tags, deck, note type.
    The deck is the book's, whatever the layout: Anki never moves a card it has, so a card filed
    under another chapter deck is no update."""
    book, models = deck.book, deck.models
    deck_id = book_deck_id(book)
    # A note type as written, with time 0: its mod is the one value in it that is not content.
    types = {model.name: _hash(model.to_json(0, deck_id)) for model in models.values()}
    notes = {}
    for note in deck.notes:
        model = models[note.card.kind]
        parts = [note.fields, note.card.tags, _deck_name(book), deck_id, note.guid, model.model_id, model.name]
        # The images it shows, whole (a note without any hashes as it always did).
        shown = [book.media[name].sha256 for name in shows(note, book)]
        notes[note.card.id] = _hash(parts + [shown] if shown else parts)
    return notes, types


def shows(note: _Note, book: content.Book) -> list[str]:
    """The names of the images a note's fields show, in the order they appear."""
    return [name for name in book.media if any(f'src="{name}"' in value for value in note.fields)]


def write(deck: Deck, path: Path, notes: dict, note_types: dict) -> None:
    """Write the .apkg to `path` (a temp file the caller moves into place). `notes` and
    `note_types` give each card id and note type name a stamp whose `mod` it is written with."""
    book, models = deck.book, deck.models
    top = book_deck_id(book)
    decks = {did: genanki.Deck(did, name, html.escape(book.meta.description) if did == top else "")
             for did, name in deck_names(book).items()}
    deck_of = section_decks(book)
    # New cards are studied in `due` order. Numbering each section apart (section × 1000 +
    # place in it) lets a card added later land in its chapter, not after the whole book.
    due = {card.id: number * 1000 + place for number, section in enumerate(book.sections)
           for place, card in enumerate(section.cards)}
    for note in deck.notes:
        decks[deck_of[note.card.section_id]].add_note(genanki.Note(
            models[note.card.kind], list(note.fields), tags=list(note.card.tags), guid=note.guid, due=due[note.card.id]))
    edition = datetime.fromisoformat(book.meta.edition).replace(tzinfo=timezone.utc)
    data = _collection(genanki.Package(list(decks.values())), int(edition.timestamp()), deck.notes, notes, note_types)
    # Media as genanki and Anki write it: files named 0, 1, ... and a map from those to the
    # names the fields use. Only the images some note shows; PNG and JPEG are compressed already.
    shown = {name for note in deck.notes for name in shows(note, book)}
    names = [name for name in book.media if name in shown]
    index = json.dumps({str(i): name for i, name in enumerate(names)}).encode()
    files = [(str(i), book.media[name].data, False) for i, name in enumerate(names)]
    zip_bytes_to(path, [("collection.anki2", data, True), ("media", index, True), *files])


def newest_mod(path: Path) -> int:
    """The newest modification time in a deck this tool wrote earlier, or 0 if there is none to
    read: what Anki may hold, when the manifest cannot say."""
    try:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory(prefix="exporter-anki-") as tmp:
            db_path = Path(tmp) / "collection.anki2"
            db_path.write_bytes(z.read("collection.anki2"))
            db = sqlite3.connect(db_path)
            try:
                (notes,) = db.execute("SELECT max(mod) FROM notes").fetchone()
                (models,) = db.execute("SELECT models FROM col").fetchone()
            finally:
                db.close()
        return max([notes or 0, *(m.get("mod", 0) for m in json.loads(models).values())])
    except (OSError, KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile, sqlite3.Error):
        return 0


def search_for(book: content.Book, card_ids: list[str]) -> str:
    """An Anki search that finds exactly these cards' notes of this book, never another book's."""
    if not card_ids:
        return ""
    ids = " OR ".join(f"Id:{card_id}" for card_id in card_ids)
    return search_in_book(book, f"({ids})")


def search_in_book(book: content.Book, term: str) -> str:
    """An Anki search for `term` among this book's notes only (on any copy of its note types)."""
    return f'"note:{_search_escape(book.title)} · *" {term}'


def notetype_search(name: str) -> str:
    return f'"note:{_search_escape(name)}"'


def deck_search(name: str, *, subdecks_only: bool = False) -> str:
    """An Anki search for the cards in a deck (and its subdecks), or in its subdecks only."""
    return f'"deck:{_search_escape(name)}{"::*" if subdecks_only else ""}"'


def _search_escape(text: str) -> str:
    # Inside a quoted Anki search term, these four are special; a backslash makes each literal.
    return "".join("\\" + c if c in '\\"*_' else c for c in text)


def _collection(package: genanki.Package, created: int, notes: list[_Note], stamps: dict, type_stamps: dict) -> bytes:
    """The package's SQLite collection. genanki stamps one time on everything and numbers note
    and card ids from it: number them from `created` (the edition date, so an edit moves no
    id), then give each note and note type its own mod."""
    try:
        return _write_collection(package, created, notes, stamps, type_stamps)
    except (sqlite3.OperationalError, OSError) as e:  # the scratch file's folder is full, gone or read-only
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        full = "full" in str(e) or getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
        fix = "free space there, or set TMPDIR to a folder with room" if full else "set TMPDIR to a folder you can write to"
        raise WriteError(tempfile.gettempdir(), f"cannot write the deck's scratch database in the temporary "
                         f"folder ({reason}); {fix}") from None


def _write_collection(package: genanki.Package, created: int, notes: list[_Note], stamps: dict, type_stamps: dict) -> bytes:
    with tempfile.TemporaryDirectory(prefix="exporter-anki-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        db = sqlite3.connect(db_path)
        try:
            # A scratch file: durability is worthless here, and fsyncs made writing it 10x slower.
            db.execute("PRAGMA journal_mode = MEMORY")
            db.execute("PRAGMA synchronous = OFF")
            package.write_to_db(db.cursor(), created, itertools.count(created * 1000))
            ids = dict(db.execute("SELECT guid, id FROM notes"))  # guid has no index: look up once
            db.executemany("UPDATE notes SET mod = ? WHERE id = ?", [(stamps[n.card.id].mod, ids[n.guid]) for n in notes])
            db.execute("UPDATE cards SET mod = (SELECT mod FROM notes WHERE notes.id = cards.nid)")
            (models_json,) = db.execute("SELECT models FROM col").fetchone()
            models = json.loads(models_json)
            for model in models.values():
                model["mod"] = type_stamps[model["name"]].mod
            db.execute("UPDATE col SET models = ?", (json.dumps(models),))
            db.commit()
        finally:
            db.close()
        return db_path.read_bytes()


# --- what goes into the deck ------------------------------------------------------------------


def deck_notes(book: content.Book) -> list[_Note]:
    book_id = book.meta.id
    notes = []
    for card in book.cards:
        source, extra = _literal(content.title_html(card.label)), _literal(card.extra)
        fields: tuple[str, ...]
        if card.kind == "cloze":
            fields = (cloze_field(card), extra, source, card.id)
        else:
            fields = (_literal(card.front), _literal(card.back), extra, source, card.id)
        notes.append(_Note(card, fields, genanki.guid_for(book_id, card.id)))
    return notes


def note_types(book: content.Book) -> dict[str, genanki.Model]:
    css = asset("card.css")
    # Every back side runs the same script; written once, in its own file.
    script = f"<script>\n{asset('card-back.js')}</script>\n"
    return {
        kind: genanki.Model(
            model_id=_stable_id(book, f"notetype:{kind}"),
            name=_notetype_name(book, kind),
            fields=[{"name": name} for name in FIELDS[kind]],
            templates=[
                {"name": name, "qfmt": asset(f"card-{stem}-front.html"), "afmt": asset(f"card-{stem}-back.html") + script}
                for name, stem in templates
            ],
            css=css,
            model_type=genanki.Model.CLOZE if kind == "cloze" else genanki.Model.FRONT_BACK,
        )
        for kind, (_, templates) in NOTE_TYPES.items()
    }


def _notetype_name(book: content.Book, kind: str) -> str:
    # The title keeps two books' note types apart in one collection.
    return f"{book.title} · {NOTE_TYPES[kind][0]}"


def _deck_name(book: content.Book) -> str:
    return book.title.replace("::", ":")  # '::' would make Anki nest the deck


def deck_names(book: content.Book) -> dict[int, str]:
    """Every deck of the package by id: the book's, then (with `decks: chapters`) a subdeck for
    each section that has cards. Chapter numbers are zero-padded so that Anki, which sorts decks
    by name, lists them in book order; the ids derive from section ids, so renaming or
    renumbering a chapter keeps its deck's id (Anki itself matches decks by name)."""
    top = _deck_name(book)
    names = {book_deck_id(book): top}
    if book.meta.decks == "chapters":
        width = max(2, len(str(len(book.chapters))))
        for section in book.sections:
            if section.cards:
                title = section.title.replace("::", ":")
                names[_section_deck_id(book, section)] = (
                    f"{top}::{section.number:0{width}d} {title}" if section.number else f"{top}::{title}")
    return names


def book_deck_id(book: content.Book) -> int:
    return _stable_id(book, "deck")


def section_decks(book: content.Book) -> dict[str, int]:
    """The deck id of each section (by section id)."""
    top = book_deck_id(book)
    return {section.id: _section_deck_id(book, section) if book.meta.decks == "chapters" else top
            for section in book.sections}


def _section_deck_id(book: content.Book, section: content.Section) -> int:
    # A chapter may be called "glossary": chapter ids and part kinds never share a deck id.
    return _stable_id(book, f"deck:{section.kind}:{section.id}")


def _stable_id(book: content.Book, what: str) -> int:
    """An id in genanki's range for deck and note type ids, the same for every build."""
    low, high = 1 << 30, 1 << 31
    digest = hashlib.sha256(f"{book.meta.id}:{what}".encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low)


def asset(name: str) -> str:
    return (ASSETS / name).read_text("utf-8")


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# --- escaping ---------------------------------------------------------------------------------

# The content step escapes HTML; this keeps the text of a field from ever meeting Anki's own
# syntax: template and cloze braces, [sound:…], [anki:tts], [latex] and [$] (read in the field's
# HTML, so a character reference defeats them) and MathJax's \( \) \[ \] (read in the text a
# browser shows, so the backslash gets an empty element after it: MathJax never finds a
# delimiter that an HTML tag splits). All of it still shows exactly as typed.
ANKI_SYNTAX = re.compile(r"[{}]|\[(?=sound:|anki:|/anki:|/?latex\]|/?\$\$?\])|\\(?=[()[\]])")


def _literal(text: str) -> str:
    if not ANKI_SYNTAX.search(text):  # most text: nothing to defuse, in its tags or out of them
        return text
    # Inside a tag (an image's alt text) a character reference does; MathJax never reads there.
    return "".join(ANKI_SYNTAX.sub(_reference if i % 2 else _defused, part) for i, part in enumerate(typography.TAG.split(text)))


def _reference(m: re.Match) -> str:
    return m.group() if m.group() == "\\" else f"&#{ord(m.group())};"


def _defused(m: re.Match) -> str:
    return "\\<span></span>" if m.group() == "\\" else f"&#{ord(m.group())};"


def cloze_field(card: content.StudyCard) -> str:
    """The cloze sentence in Anki's syntax: all of it literal but the real deletions' delimiters."""
    return "".join(
        f"{{{{c{p.number}::{_literal(p.answer).replace('::', ':&#58;')}"
        f"{'::' + _literal(p.hint) if p.hint else ''}}}}}"
        if isinstance(p, Deletion) else _literal(p)
        for p in card.cloze
    )
