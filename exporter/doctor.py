"""`exporter doctor`: what a learner's collection holds of one book that re-importing the deck
will not put right, by card id.

Read-only. The collection is never opened where it is: a `collection.anki2` is copied first
(Anki may have it open), an exported `.colpkg` or `.apkg` is imported into a scratch collection.
Notes, cards and decks are read with one SQL query each and compared in memory, so a
collection of 10,000 notes takes about as long as opening it.

What Anki's importer does, and so what is reported (see compat.py for note types and decks):
- it updates a note only when the deck's copy is newer: a note edited in Anki after the deck
  was built keeps the edit and skips the update (a local edit);
- it replaces a note's tags with the deck's when it updates it (learner tags);
- it never deletes a note (removed cards), and never moves a card (other decks).
"""

from __future__ import annotations

import html.parser
import re
import shutil
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import genanki
import yaml
from msgspec import Struct, field
from msgspec.structs import replace

from exporter import anki, compat, content
from exporter.errors import UsageError
from exporter.locations import Source
from exporter.manifest import Manifest

FIELD_SEPARATOR = "\x1f"
# Where each field of a note comes from in the source, by card kind.
SOURCE_KEYS = {
    "question": {"Question": "question", "Answer": "answer", "Extra": "extra"},
    "cloze": {"Text": "cloze", "Extra": "extra"},
    "term": {"Term": "term", "Definition": "definition"},
}
KINDS = ("collection.anki2 (in your Anki profile folder, with Anki closed for the latest changes), "
         "or a .colpkg or an .apkg exported with scheduling")


class CardsOnly(content.Content):
    """The content step for the cards alone: the doctor compares notes, and prose is most of the
    work of rendering a book."""

    def block(self, text: str) -> str:
        return ""


class LocalEdit(Struct, frozen=True):
    card_id: str
    fields: tuple[str, ...]  # the fields that differ from the deck's
    where: str  # FILE:LINE of the card in the source
    yaml: str  # the card as it reads with the edit: paste it over the card at `where`


class Fork(Struct, frozen=True):
    """A note type of the book that no longer matches the deck's, and the cards on it."""

    name: str  # the note type in the collection
    original: str  # the deck's note type it came from
    copy: bool  # a copy Anki made on import (else the deck's own, its fields or templates not the deck's)
    merges: bool  # importing with "Merge note types" folds it back (a copy made by Anki 23.10+)
    card_ids: tuple[str, ...]
    changes: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()  # (what, the collection's, the deck's)


class Diagnosis(Struct):
    title: str
    deck: Path  # the .apkg it was compared with
    notes: int = 0  # notes of this book in the collection
    local_edits: list[LocalEdit] = field(default_factory=list)
    forks: list[Fork] = field(default_factory=list)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # card id → tags the deck does not give it
    removed: list[str] = field(default_factory=list)
    removed_search: str = ""
    other_decks: dict[str, list[str]] = field(default_factory=dict)  # deck → card ids of the book in it
    moves: list[tuple[str, str]] = field(default_factory=list)  # (deck, search for the cards that belong there)
    updates: list[str] = field(default_factory=list)  # cards the next import updates
    missing: list[str] = field(default_factory=list)  # cards the next import adds

    @property
    def needs_action(self) -> bool:
        """Anything that importing the deck as usual will not put right (other decks are fine)."""
        return bool(self.local_edits or self.forks or self.tags or self.removed)


def diagnose(collection: Path, source: Source, book: content.Book, built: Manifest, deck_path: Path) -> Diagnosis:
    """Compare a collection with the deck built from `source` (described by `built`)."""
    deck = anki.Deck.of(book)
    with opened(collection) as col:
        rows = col.db.all("SELECT id, guid, mid, mod, tags, flds FROM notes")
        card_decks: dict[int, set[int]] = {}
        for nid, did in col.db.all("SELECT nid, did FROM cards"):
            card_decks.setdefault(nid, set()).add(did)
        deck_names = {d.id: d.name for d in col.decks.all_names_and_ids()}
        types = _note_types(col, deck)
    return _compare(rows, card_decks, deck_names, types, source, deck, built, deck_path)


# --- opening a copy ---------------------------------------------------------------------------


@contextmanager
def opened(path: Path):
    """The collection at `path`, or in the package at `path`, as a scratch copy."""
    try:
        from anki.collection import Collection
    except ImportError:
        raise UsageError("anki", "doctor reads collections with the anki library: "
                         "pip install 'exporter[doctor]'") from None
    if not path.is_file():
        raise UsageError(str(path), "no such file; name " + KINDS, "collection")
    suffix = path.suffix.lower()
    with tempfile.TemporaryDirectory(prefix="exporter-doctor-") as tmp:
        scratch = Path(tmp) / "collection.anki2"
        try:
            if suffix == ".apkg":
                from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

                col = Collection(str(scratch))
                col.import_anki_package(ImportAnkiPackageRequest(
                    package_path=str(path), options=ImportAnkiPackageOptions(with_scheduling=True)))
            else:
                if suffix == ".colpkg":
                    from anki._backend import RustBackend

                    # The same call Anki's own "Import collection package" makes.
                    RustBackend().import_collection_package(
                        col_path=str(scratch), backup_path=str(path),
                        media_folder=str(Path(tmp) / "media"), media_db=str(Path(tmp) / "media.db"))
                else:
                    shutil.copyfile(path, scratch)
                    wal = path.with_name(path.name + "-wal")  # changes Anki has not yet written back
                    if wal.is_file():
                        shutil.copyfile(wal, scratch.with_name(scratch.name + "-wal"))
                col = Collection(str(scratch))
            col.models._clear_cache()
        except Exception as e:  # the anki library's errors (DBError, BackendError ...) share no base class
            raise UsageError(str(path), f"cannot be read as an Anki collection ({_first_line(e)}); name "
                             + KINDS, "collection") from None
        try:
            yield col
        finally:
            col.close(downgrade=False)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# --- note types -------------------------------------------------------------------------------


class _Type(Struct, frozen=True):
    name: str
    fields: tuple[str, ...]  # empty: not one of the book's note types
    fork: Fork | None  # None: the deck's own, as the deck has it (or not the book's)


def _note_types(col, deck: anki.Deck) -> dict[int, _Type]:
    """Every note type of the collection: the book's own (as the deck has them, or changed in
    Anki), copies of them Anki made on import, and the others (fields unknown: not the book's)."""
    ours = {model.model_id: model for model in deck.models.values()}
    schemas = compat.schemas(deck)
    out = {}
    for entry in col.models.all_names_and_ids():
        notetype = col.models.get(entry.id)
        # A copy made by Anki 23.10 or later names its original; older ones only share its name.
        original = ours.get(notetype.get("originalId")) if entry.id not in ours else ours[entry.id]
        original = original or next((m for m in ours.values() if entry.name.startswith(m.name)), None)
        if original is None:
            out[entry.id] = _Type(entry.name, (), None)
            continue
        fields = tuple(f["name"] for f in notetype["flds"])
        schema = schemas[str(original.model_id)]
        fork = None
        if entry.id != original.model_id:
            fork = Fork(entry.name, original.name, True, notetype.get("originalId") == original.model_id, ())
        else:
            templates = tuple(t["name"] for t in notetype["tmpls"])
            changes = tuple((what, mine, deck) for what, mine, deck in (
                ("fields", fields, schema.fields), ("templates", templates, schema.templates)) if mine != deck)
            fork = Fork(entry.name, original.name, False, True, (), changes) if changes else None
        out[entry.id] = _Type(entry.name, fields, fork)
    return out


# --- the comparison ---------------------------------------------------------------------------


def _compare(rows, card_decks, deck_names, types, source: Source, deck: anki.Deck, built: Manifest,
             deck_path: Path) -> Diagnosis:
    book = deck.book
    found = Diagnosis(book.title, deck_path)
    expected = {note.guid: note for note in deck.notes}
    current = {note.card.id for note in deck.notes}
    known = {genanki.guid_for(book.meta.id, card_id): card_id for card_id in built.notes if card_id not in current}
    yaml_of = _Pasting(source, book)
    names = anki.deck_names(book)
    deck_of = anki.section_decks(book)
    seen: set = set()
    forked: dict = {}
    misplaced: set = set()
    order = {note.guid: place for place, note in enumerate(deck.notes)}
    rows.sort(key=lambda row: (order.get(row[1], len(order)), row[0]))  # findings in book order
    for nid, guid, mid, mod, tags, flds in rows:
        note, notetype = expected.get(guid), types[mid]
        if note is None and notetype.fields == () and guid not in known:
            continue  # not this book's
        found.notes += 1
        values = dict(zip(notetype.fields, flds.split(FIELD_SEPARATOR)))
        if note is None:
            found.removed.append(known.get(guid) or content.plain(values.get("Id", "")) or f"note {nid}")
            continue
        card_id = note.card.id
        seen.add(card_id)
        home = names[deck_of[note.card.section_id]]
        for did in card_decks.get(nid, ()):
            where = deck_names.get(did, "")
            if where.casefold() != home.casefold() and card_id not in misplaced:
                misplaced.add(card_id)
                found.other_decks.setdefault(where, []).append(card_id)
        if notetype.fork or not notetype.fields:  # on a copy, or moved to a note type not the book's
            forked.setdefault(mid, []).append(card_id)
            if not notetype.fields:
                continue  # its fields are not the deck's to compare
        wanted = dict(zip(anki.FIELDS[note.card.kind], note.fields))
        differs = tuple(name for name, value in wanted.items() if _nfc(values.get(name, "")) != _nfc(value))
        learner_tags = _learner_tags(tags, note.card.tags)
        if learner_tags:
            found.tags[card_id] = learner_tags
        issued = built.notes[card_id].mod if card_id in built.notes else 0
        if differs and mod > issued:
            found.local_edits.append(yaml_of(note, values, differs))
        elif mod < issued and not notetype.fork and (
                differs or learner_tags or _learner_tags(" ".join(note.card.tags), tags.split())):
            found.updates.append(card_id)
    type_of = {note.card.id: deck.models[note.card.kind].name for note in deck.notes}
    for mid, card_ids in forked.items():
        fork = types[mid].fork or Fork(types[mid].name, type_of[card_ids[0]], True, False, ())
        found.forks.append(replace(fork, card_ids=tuple(card_ids)))
    found.missing = [note.card.id for note in deck.notes if note.card.id not in seen]
    found.removed.sort()
    found.removed_search = anki.search_for(book, found.removed)
    homes = {names[deck_of[n.card.section_id]] for n in deck.notes if n.card.id in misplaced}
    found.moves = [(name, search) for name, search in compat.deck_moves(book, from_anywhere=True) if name in homes]
    return found


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _learner_tags(tags: str, given: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The tags in `tags` (Anki's space-separated list) that are not in `given`; Anki's tags
    ignore case."""
    ours = {t.casefold() for t in given}
    return tuple(t for t in tags.split() if t.casefold() not in ours)


# --- a local edit, as the source would read with it -------------------------------------------


class _Pasting:
    """Local edits as the source would read with them: the card's entry with each edited field
    turned back into the source's Markdown, located in the file."""

    def __init__(self, source: Source, book: content.Book):
        self.source, self.book = source, book
        self._keys: dict | None = None
        self._facts: dict[str, str] = {}

    def __call__(self, note, values: dict[str, str], differs: tuple[str, ...]) -> LocalEdit:
        if self._keys is None:  # once, and only for a collection with local edits
            self._keys = dict(_entries(self.source.document))
            self._facts = {name: content.plain(value) for name, value in self.book.facts.items()}
        key, entry = self._keys[note.card.id]
        line, column = self.source.where(key)
        raw = _written(entry)
        for name, source_key in SOURCE_KEYS[note.card.kind].items():
            if name in differs:
                text = _source_text(values.get(name, ""))
                if text or source_key == "extra":
                    raw[source_key] = _with_facts(text, str(raw.get(source_key, "")), self._facts)
        if not raw.get("extra"):
            raw.pop("extra", None)
        if "tags" in raw:
            raw["tags"] = list(raw["tags"])
        block = yaml.dump([raw], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6)
        indent = " " * max(column - 3, 0)  # the item's "- " stands two columns before its first key
        return LocalEdit(note.card.id, differs, f"{self.source.path}:{line}",
                         "".join(indent + text for text in block.splitlines(keepends=True)))


class _Dumper(yaml.SafeDumper):
    """Lists of tags in flow style (`tags: [a, b]`), as the source writes them."""


_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=all(isinstance(x, str) for x in data)))


def _written(entry) -> dict:
    """An entry's fields as the source has them: those left at their default left out."""
    import msgspec

    return {f.name: getattr(entry, f.name) for f in msgspec.structs.fields(entry)
            if f.required or getattr(entry, f.name) != f.default}


def _entries(document):
    """(card id, (key, entry)) for every card and glossary term of the source."""
    for i, chapter in enumerate(document.chapters):
        for j, card in enumerate(chapter.cards):
            yield card.id, (("chapters", i, "cards", j), card)
    for kind in content.PART_KINDS:
        part = getattr(document, kind)
        for j, card in enumerate(part.cards if part else ()):
            yield card.id, ((kind, "cards", j), card)
        for j, term in enumerate(part.terms if part and kind == "glossary" else ()):
            yield term.id, ((kind, "terms", j), term)


def _with_facts(text: str, original: str, facts: dict[str, str]) -> str:
    """Put back the `${name}` references the source had, where their values still stand."""
    for name in re.findall(r"\$\{([a-z0-9-]+)\}", original):
        value = facts.get(name)
        if value and value in text:
            text = text.replace(value, "${" + name + "}", 1)
    return text


class _ToSource(html.parser.HTMLParser):
    """A field's HTML as the source's Markdown: emphasis, code and links kept, other markup
    dropped (the typography spans, Anki's <div> and <br> line breaks), characters as typed."""

    MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.MARKS:
            self.out.append(self.MARKS[tag])
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.out.append("[")
        elif tag in ("br", "div", "p"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in self.MARKS:
            self.out.append(self.MARKS[tag])
        elif tag == "a" and self.links:
            self.out.append(f"]({self.links.pop()})")

    def handle_data(self, data):
        self.out.append(re.sub(r"([\\*_`\[\]])", r"\\\1", data).replace("${", "$\\{"))


def _source_text(field_html: str) -> str:
    parser = _ToSource()
    parser.feed(field_html)
    parser.close()
    return " ".join("".join(parser.out).replace("\xa0", " ").split())
