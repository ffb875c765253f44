"""Book → Anki package (.apkg): one deck, three note types, the same bytes for the same input.

Anki matches notes by GUID and note types by id, and updates a matched one only when the
package's `mod` is newer than its own. So every id here derives from the book id and the
card id (never from text, the clock or randomness), and each note and note type carries
the `mod` the build gives it, which moves only when its fingerprint does.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import genanki

from exporter import content, typography
from exporter.syntax import Deletion
from exporter.zips import zip_bytes_to

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


@dataclass(frozen=True)
class _Note:
    card: content.StudyCard
    fields: tuple[str, ...]  # final field values, in FIELDS order
    guid: str


@dataclass(frozen=True)
class Deck:
    """What goes into the package, made once per build: fingerprinted, then written."""

    book: content.Book
    models: dict[str, genanki.Model]  # by card kind
    notes: list[_Note]

    @classmethod
    def of(cls, book: content.Book) -> "Deck":
        return cls(book, note_types(book), deck_notes(book))


def fingerprints(deck: Deck) -> tuple[dict[str, str], dict[str, str]]:
    """Content hash per note (by card id) and per note type (by name: its fields, templates
    and CSS). A note's hash covers everything written into the note: fields, tags, deck, note type."""
    book, models = deck.book, deck.models
    deck_id = _stable_id(book, "deck")
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
    package_deck = genanki.Deck(_stable_id(book, "deck"), _deck_name(book), html.escape(book.meta.description))
    # New cards are studied in `due` order. Numbering each section apart (section × 1000 +
    # place in it) lets a card added later land in its chapter, not after the whole book.
    due = {card.id: number * 1000 + place for number, section in enumerate(book.sections)
           for place, card in enumerate(section.cards)}
    for note in deck.notes:
        package_deck.add_note(genanki.Note(models[note.card.kind], list(note.fields), tags=list(note.card.tags),
                                           guid=note.guid, due=due[note.card.id]))
    edition = datetime.fromisoformat(book.meta.edition).replace(tzinfo=timezone.utc)
    data = _collection(genanki.Package(package_deck), int(edition.timestamp()), deck.notes, notes, note_types)
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
    return f'"note:{_search_escape(book.title)} · *" ({ids})'


def _search_escape(text: str) -> str:
    # Inside a quoted Anki search term, these four are special; a backslash makes each literal.
    return "".join("\\" + c if c in '\\"*_' else c for c in text)


def _collection(package: genanki.Package, created: int, notes: list[_Note], stamps: dict, type_stamps: dict) -> bytes:
    """The package's SQLite collection. genanki stamps one time on everything and numbers note
    and card ids from it: number them from `created` (the edition date, so an edit moves no
    id), then give each note and note type its own mod."""
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
        source, extra = _literal(typography.apply(html.escape(card.label))), _literal(card.extra)
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
TAG = re.compile(r"(<[^>]*>)")


def _literal(text: str) -> str:
    # Inside a tag (an image's alt text) a character reference does; MathJax never reads there.
    return "".join(ANKI_SYNTAX.sub(_reference if i % 2 else _defused, part) for i, part in enumerate(TAG.split(text)))


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
