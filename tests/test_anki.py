"""The deck, read back through Anki's own importer and renderer (the `anki` library, no mocks)."""

from __future__ import annotations

import html
import itertools
import subprocess
import sys
import json
import os
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import genanki
import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition
from hypothesis import given, settings, strategies as st
from lxml import html as lhtml
from msgspec.structs import replace

from conftest import REAL_SOURCE, TINY, edit, illustrate, jpeg
from exporter import anki, content, load
from exporter.manifest import Stamp
from exporter.syntax import Deletion

HOSTILE = Path(__file__).resolve().parent / "data" / "anki" / "hostile.yaml"
LOG_KINDS = ("new", "updated", "duplicate", "conflicting", "first_field_match",
             "missing_notetype", "missing_deck", "empty_first_field")


# --- helpers ----------------------------------------------------------------------------------


def book_of(path: Path) -> content.Book:
    loaded = load.load(path)
    return content.build(loaded.document, media=loaded.media)


def write_apkg(book: content.Book, path: Path, mod: int = 1_800_000_000, **mods: int) -> Path:
    """The package with every note (by card id) and note type (by name) at `mod`, except those in `mods`."""
    deck = anki.Deck.of(book)
    notes, types = anki.fingerprints(deck)
    anki.write(deck, path, *({k: Stamp(h, mods.get(k, mod)) for k, h in table.items()} for table in (notes, types)))
    return path


def import_apkg(col: Collection, path: Path) -> dict[str, list[str]]:
    """Import as Anki desktop does by default; the log's notes as card ids, per outcome."""
    response = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    )
    col.models._clear_cache()
    return {kind: sorted(col.get_note(n.id.nid)["Id"] if n.id.nid else "?" for n in getattr(response.log, kind))
            for kind in LOG_KINDS}


def log(**outcomes: list[str]) -> dict[str, list[str]]:
    return {kind: sorted(outcomes.get(kind, [])) for kind in LOG_KINDS}


def notes_by_id(col: Collection) -> dict:
    return {note["Id"]: note for note in map(col.get_note, col.find_notes(""))}


def without_css(card_html: str) -> str:
    """A rendered side minus the <style> element Anki puts first."""
    return re.sub(r"(?s)^<style>.*?</style>", "", card_html)


def shown(card_html: str) -> dict[str, str]:
    """What a rendered side shows: the visible text of each part, by its first class."""
    root = lhtml.fragment_fromstring(without_css(card_html), create_parent="div")
    return {div.get("class").split()[0]: " ".join(div.text_content().split())
            for div in root.iter("div") if div.get("class")}


def cloze_side(card: content.StudyCard, ordinal: int, answer: bool) -> str:
    """The cloze sentence as Anki shows it on card `ordinal`: that deletion blank (or its
    hint) on the front, every other deletion open."""
    return content.plain("".join(
        p if isinstance(p, str) else p.answer if answer or p.number != ordinal else f"[{p.hint or '...'}]"
        for p in card.cloze
    ))


def cards_expected(card: content.StudyCard) -> int:
    if card.kind == "cloze":
        return len(content.cloze_numbers(card))
    return 2 if card.kind == "term" else 1


def check_rendering(col: Collection, book: content.Book) -> None:
    """Every card of every note shows its text, label and extra, and no template syntax."""
    cards = {card.id: card for card in book.cards}
    for card_id in col.find_cards(""):
        anki_card = col.get_card(card_id)
        card = cards[anki_card.note()["Id"]]
        question, answer = anki_card.question(), anki_card.answer()
        assert "{{" not in without_css(question) + without_css(answer)  # nothing left unrendered
        front, back = shown(question), shown(answer)
        if card.kind == "cloze":
            assert front["prompt"] == nfc(cloze_side(card, anki_card.ord + 1, answer=False))
            assert back["prompt"] == nfc(cloze_side(card, anki_card.ord + 1, answer=True))
        elif card.kind == "term" and anki_card.ord == 1:  # definition → term
            assert (front["prompt"], back["answer"]) == (plain(card.back), plain(card.front))
        else:
            assert (front["prompt"], back["answer"]) == (plain(card.front), plain(card.back))
        assert back["source"] == nfc(" ".join(card.label.split()))
        assert back.get("extra", "") == plain(card.extra)


def plain(fragment: str) -> str:
    return nfc(content.plain(fragment))


def nfc(text: str) -> str:
    """Anki stores note text NFC-normalised (e.g. U+F900 becomes U+8C48, the same glyph)."""
    return unicodedata.normalize("NFC", text)


@pytest.fixture
def col(tmp_path: Path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def restyle(monkeypatch, tmp_path: Path, rule: str) -> str:
    """Make the module read a copy of the assets whose card.css ends with `rule`; the new CSS."""
    assets = tmp_path / "assets"
    shutil.copytree(Path(anki.__file__).parent / "assets", assets)
    css = (assets / "card.css").read_text("utf-8") + rule
    (assets / "card.css").write_text(css, "utf-8")
    monkeypatch.setattr(anki, "ASSETS", assets)
    return css


def build_at(monkeypatch, when: int, source: Path, out_dir: Path, **options):
    """Build as if the clock said `when`."""
    from exporter.build import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    return build(source, out_dir, **options)


# --- the package itself -----------------------------------------------------------------------


def test_default_import_options_are_anki_desktops():
    options = ImportAnkiPackageOptions()
    if_newer = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
    assert (options.update_notes, options.update_notetypes) == (if_newer, if_newer)
    assert not (options.merge_notetypes or options.with_scheduling or options.with_deck_configs)


def test_same_book_and_mods_give_identical_bytes_and_no_temp_files(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    book = book_of(TINY)
    first = write_apkg(book, tmp_path / "a.apkg").read_bytes()
    assert write_apkg(book, tmp_path / "b.apkg").read_bytes() == first
    assert list(scratch.iterdir()) == []
    with zipfile.ZipFile(tmp_path / "a.apkg") as z:
        assert [(i.filename, i.compress_type) for i in z.infolist()] == [
            ("collection.anki2", zipfile.ZIP_DEFLATED), ("media", zipfile.ZIP_DEFLATED)]
        assert z.read("media") == b"{}"


def test_mods_are_written_per_note_and_note_type(tmp_path):
    book = book_of(TINY)
    question_type = f"{book.title} · Question"
    later = {"afterwards-crates": 1_800_000_500, question_type: 1_800_000_700}
    path = write_apkg(book, tmp_path / "a.apkg", 1_800_000_000, **later)
    db_path = tmp_path / "collection.anki2"
    with zipfile.ZipFile(path) as z:
        db_path.write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(db_path)
    guid = genanki.guid_for(book.meta.id, "afterwards-crates")
    note_mods = dict(db.execute("SELECT guid, mod FROM notes"))
    card_mods = dict(db.execute("SELECT n.guid, c.mod FROM cards c JOIN notes n ON n.id = c.nid"))
    assert note_mods.pop(guid) == card_mods.pop(guid) == 1_800_000_500
    assert set(note_mods.values()) == set(card_mods.values()) == {1_800_000_000}
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0]).values()
    assert {m["name"]: m["mod"] for m in models} == {
        f"{book.title} · Question": 1_800_000_700,
        f"{book.title} · Cloze": 1_800_000_000,
        f"{book.title} · Term": 1_800_000_000,
    }
    db.close()


def test_ids_derive_from_book_and_card_ids_only(tiny, tmp_path):
    before = book_of(tiny)
    edit(tiny, "title: A Tiny Book", "title: Another Title")
    edit(tiny, "answer: In crates", "answer: In wooden crates")
    edit(tiny, "edition: \"2026-01-15\"", "edition: \"2027-03-01\"")
    after = book_of(tiny)

    def ids(book: content.Book, path: Path) -> tuple:
        db_path = path.with_suffix(".anki2")
        with zipfile.ZipFile(write_apkg(book, path)) as z:
            db_path.write_bytes(z.read("collection.anki2"))
        db = sqlite3.connect(db_path)
        guids = sorted(db.execute("SELECT guid FROM notes"))
        model_ids = sorted(json.loads(db.execute("SELECT models FROM col").fetchone()[0]))
        deck_ids = sorted(json.loads(db.execute("SELECT decks FROM col").fetchone()[0]))
        db.close()
        return guids, model_ids, deck_ids

    assert ids(before, tmp_path / "before.apkg") == ids(after, tmp_path / "after.apkg")


def test_fingerprints_cover_fields_tags_and_styling(tiny, monkeypatch, tmp_path):
    def differing(before: tuple[dict, dict], after: tuple[dict, dict]) -> tuple[set, set]:
        return tuple({k for k, h in new.items() if old.get(k) != h} for old, new in zip(before, after))

    base = anki.fingerprints(anki.Deck.of(book_of(tiny)))
    edit(tiny, "tags: [places]", "tags: [places, airports]")
    edit(tiny, "answer: In crates", "answer: In wooden crates")
    changed = differing(base, anki.fingerprints(anki.Deck.of(book_of(tiny))))
    assert changed == ({"landing-airport", "afterwards-crates"}, set())

    restyle(monkeypatch, tmp_path, ".extra { color: red; }\n")
    restyled = differing(base, anki.fingerprints(anki.Deck.of(book_of(tiny))))
    assert restyled == (changed[0], set(base[1]))


# --- 1. a fresh import ------------------------------------------------------------------------


def test_fresh_import_matches_the_source(col, tmp_path):
    book = book_of(TINY)
    assert import_apkg(col, write_apkg(book, tmp_path / "tiny.apkg")) == log(new=[c.id for c in book.cards])

    notes = notes_by_id(col)
    assert sorted(notes) == sorted(card.id for card in book.cards)
    assert len(col.find_cards("")) == sum(map(cards_expected, book.cards)) == 6
    deck_id = col.decks.id_for_name(book.title)
    assert {col.get_card(cid).did for cid in col.find_cards("")} == {deck_id}
    for card in book.cards:
        note = notes[card.id]
        assert note.guid == genanki.guid_for(book.meta.id, card.id)
        assert sorted(note.tags) == sorted(card.tags)
        assert len(note.cards()) == cards_expected(card)
        kind = {"question": "Question", "cloze": "Cloze", "term": "Term"}[card.kind]
        notetype = note.note_type()
        assert notetype["name"] == f"{book.title} · {kind}"
        assert [f["name"] for f in notetype["flds"]] == list(anki.FIELDS[card.kind])
        text = [anki.cloze_field(card)] if card.kind == "cloze" else [card.front, card.back]
        assert list(note.values()) == text + [card.extra, card.label, card.id]
    assert sorted(notes["landing-airport"].tags) == ["places", "tiny::chapter::the-landing"]
    assert notes["term-foxbat"].tags == ["tiny::glossary"]
    check_rendering(col, book)


def test_real_source_imports_and_renders(col, tmp_path):
    book = book_of(REAL_SOURCE)
    assert import_apkg(col, write_apkg(book, tmp_path / "real.apkg")) == log(new=[c.id for c in book.cards])
    assert len(col.find_cards("")) == sum(map(cards_expected, book.cards))
    check_rendering(col, book)
    # The map, on the back of the landing card: in the media folder, and shown from it.
    (name,) = [n for n in book.media if any(f'src="{n}"' in card.extra for card in book.cards)]
    assert (Path(col.media.dir()) / name).read_bytes() == (REAL_SOURCE.parent / "images" / "flight-map.png").read_bytes()
    card = notes_by_id(col)["brief-landing-airport"].cards()[0]
    assert f'<img src="{name}" alt="Map: ' in card.answer() and "<img" not in card.question()


# --- images -----------------------------------------------------------------------------------


def test_images_reach_the_media_folder_and_show_on_the_back(col, tiny, tmp_path):
    images = illustrate(tiny)
    book = book_of(tiny)
    assert import_apkg(col, write_apkg(book, tmp_path / "illustrated.apkg")) == log(new=[c.id for c in book.cards])
    photo, = [name for name in book.media if name.endswith(".jpg")]
    # Only what a note shows: the figure in the chapter's text is the book's alone.
    assert os.listdir(col.media.dir()) == [photo]
    assert (Path(col.media.dir()) / photo).read_bytes() == images["images/terminal.jpg"]
    note = notes_by_id(col)["landing-airport"]
    assert note["Extra"] == f'It was a civil airport. <img src="{photo}" alt="A photograph of the terminal" />'
    card = note.cards()[0]
    assert f'<img src="{photo}" alt="A photograph of the terminal" />' in card.answer()
    assert "<img" not in card.question()
    check_rendering(col, book)


def test_a_changed_image_updates_exactly_the_notes_that_show_it(col, tiny, out, monkeypatch):
    illustrate(tiny)
    apkg = build_at(monkeypatch, 1_800_000_000, tiny, out).outputs[0]
    import_apkg(col, apkg)
    (tiny.parent / "images" / "terminal.jpg").write_bytes(jpeg(61, 40))
    report = build_at(monkeypatch, 1_800_000_100, tiny, out)
    assert (report.changed, report.added, report.removed) == (["landing-airport"], [], [])
    book = book_of(tiny)
    others = [c.id for c in book.cards if c.id != "landing-airport"]
    assert import_apkg(col, apkg) == log(updated=["landing-airport"], duplicate=others)
    photo, = [name for name in book.media if name.endswith(".jpg")]
    assert f'<img src="{photo}"' in notes_by_id(col)["landing-airport"]["Extra"]
    assert (Path(col.media.dir()) / photo).read_bytes() == jpeg(61, 40)


def test_new_cards_come_in_book_order_even_when_added_later(col, tiny, tmp_path):
    import_apkg(col, write_apkg(book_of(tiny), tmp_path / "first.apkg"))
    # Last in chapter 2: by its place in the whole book it would tie with the timeline's card.
    edit(tiny, "        answer: In crates\n", "        answer: In crates\n"
         "      - id: afterwards-flight\n        question: Did it fly again?\n        answer: No\n")
    book = book_of(tiny)
    import_apkg(col, write_apkg(book, tmp_path / "second.apkg", **{"afterwards-flight": 1_800_000_100}))

    col.decks.select(col.decks.id_for_name(book.title))
    queue = [col.get_card(q.card.id).note()["Id"] for q in col.sched.get_queued_cards(fetch_limit=50).cards]
    assert list(dict.fromkeys(queue)) == [card.id for card in book.cards]


# --- 2-5. rebuilds and re-imports -------------------------------------------------------------


def study(col: Collection, deck_name: str) -> None:
    """Answer every card Anki offers today as 'easy', so each gets a review interval."""
    col.decks.select(col.decks.id_for_name(deck_name))
    while queued := col.sched.get_queued_cards().cards:
        card = col.get_card(queued[0].card.id)
        card.start_timer()
        col.sched.answerCard(card, 4)


def history(col: Collection, note) -> list:
    return [(card.id, card.ivl, card.type, col.db.list("SELECT id FROM revlog WHERE cid = ? ORDER BY id", card.id))
            for card in note.cards()]


def test_edited_card_updates_in_place_keeping_its_history(col, tiny, out, monkeypatch):
    first = build_at(monkeypatch, 1_800_000_000, tiny, out)
    apkg = first.outputs[0]
    book = book_of(tiny)
    import_apkg(col, apkg)
    study(col, book.title)
    note = notes_by_id(col)["afterwards-crates"]
    before = history(col, note)
    assert all(ivl > 0 and revlog for _, ivl, _, revlog in before)

    edit(tiny, "answer: In crates", "answer: In wooden crates")
    report = build_at(monkeypatch, 1_800_000_100, tiny, out)
    assert (report.changed, report.added, report.removed) == (["afterwards-crates"], [], [])
    others = [c.id for c in book.cards if c.id != "afterwards-crates"]
    assert import_apkg(col, apkg) == log(updated=["afterwards-crates"], duplicate=others)

    after = notes_by_id(col)
    assert len(after) == len(book.cards)
    assert after["afterwards-crates"].id == note.id
    assert after["afterwards-crates"]["Answer"] == "In wooden crates"
    assert history(col, after["afterwards-crates"]) == before


def test_unchanged_rebuild_is_identical_and_updates_nothing(col, tiny, out, monkeypatch):
    apkg = build_at(monkeypatch, 1_800_000_000, tiny, out).outputs[0]
    first = apkg.read_bytes()
    import_apkg(col, apkg)
    report = build_at(monkeypatch, 1_900_000_000, tiny, out, force=True)
    assert (report.changed, report.added, report.removed, report.styling_changed) == ([], [], [], [])
    assert apkg.read_bytes() == first
    assert import_apkg(col, apkg) == log(duplicate=[c.id for c in book_of(tiny).cards])


def test_restyled_cards_update_the_note_types_only(col, tiny, out, monkeypatch, tmp_path):
    apkg = build_at(monkeypatch, 1_800_000_000, tiny, out).outputs[0]
    book = book_of(tiny)
    import_apkg(col, apkg)
    mods = {note["Id"]: note.mod for note in notes_by_id(col).values()}

    css = restyle(monkeypatch, tmp_path, ".source { font-style: italic; }\n")
    report = build_at(monkeypatch, 1_800_000_100, tiny, out, force=True)
    names = [f"{book.title} · {kind}" for kind in ("Question", "Cloze", "Term")]
    assert sorted(report.styling_changed) == sorted(names)
    assert (report.changed, report.added) == ([], [])

    assert import_apkg(col, apkg) == log(duplicate=[c.id for c in book.cards])
    assert [col.models.by_name(name)["css"] for name in names] == [css] * 3
    assert {note["Id"]: note.mod for note in notes_by_id(col).values()} == mods


def test_added_card_is_new_and_removed_card_is_reported(col, tiny, out, monkeypatch):
    apkg = build_at(monkeypatch, 1_800_000_000, tiny, out).outputs[0]
    import_apkg(col, apkg)
    old = [c.id for c in book_of(tiny).cards]
    # First in the book, so every later note's id in the package moves: Anki matches by GUID.
    new_card = ("    cards:\n      - id: landing-runway\n"
                "        question: Where did the jet stop?\n        answer: Past the runway\n")
    edit(tiny, "    cards:\n", new_card)
    report = build_at(monkeypatch, 1_800_000_100, tiny, out)
    assert (report.added, report.changed, report.removed) == (["landing-runway"], [], [])
    assert import_apkg(col, apkg) == log(new=["landing-runway"], duplicate=old)
    assert sorted(notes_by_id(col)) == sorted(old + ["landing-runway"])

    edit(tiny, new_card, "    cards:\n")
    report = build_at(monkeypatch, 1_800_000_200, tiny, out)
    assert (report.added, report.changed, report.removed) == ([], [], ["landing-runway"])
    # Anki never deletes on import: the learner removes the note by hand (search Id:landing-runway).
    assert import_apkg(col, apkg) == log(duplicate=old)
    assert len(col.find_notes("Id:landing-runway")) == 1


# --- 6. hostile text --------------------------------------------------------------------------


def test_hostile_text_imports_and_shows_literally(col, tmp_path):
    book = book_of(HOSTILE)
    assert import_apkg(col, write_apkg(book, tmp_path / "hostile.apkg")) == log(new=[c.id for c in book.cards])
    check_rendering(col, book)

    notes = notes_by_id(col)
    # '{{c3::' inside a deletion is text, not a third deletion; Extra's '{{c4::' is not one either.
    assert len(notes["hostile-cloze"].cards()) == 2
    back = shown(col.get_card(notes["hostile-question"].cards()[0].id).answer())
    assert back["answer"] == "{{Front}} and {{c1::x}} :: {{FrontSide}}"
    assert back["extra"] == "Extra {{Extra}} with :: and {single} braces"
    assert back["source"] == "Chapter 1 – Markup <b>not</b> {{Source}} & more"
    front = shown(col.get_card(notes["hostile-question"].cards()[0].id).question())
    assert front["prompt"] == "Is <script>alert(1)</script> shown, and &amp; too, if a < b?"
    rtl = shown(col.get_card(notes["hostile-rtl"].cards()[0].id).answer())
    assert rtl["prompt"] == "What does שלום or مرحبا mean?"
    assert rtl["answer"] == "Hello 👋 👩\u200d🚀 (a zero-width joiner: a\u200db)"
    assert col.decks.id_for_name("Hostile & <Book> : {{Front}}")  # '::' would have nested it


# Any text the loader lets through: no control characters, surrogates or non-characters.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
               min_size=1, max_size=40).filter(str.strip)


def test_any_text_shows_literally(tmp_path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    mods = itertools.count(1_800_000_000)  # each example newer, so each import updates the notes
    tiny = book_of(TINY)

    @settings(max_examples=40, deadline=None)
    @given(question=TEXT, answer=TEXT, extra=TEXT, label=TEXT, before=TEXT, hidden=TEXT, after=TEXT)
    def shows_literally(question, answer, extra, label, before, hidden, after):
        cloze = (f"{html.escape(before)} ", Deletion(1, html.escape(hidden)), f" {html.escape(after)}")
        escaped = {"front": html.escape(question), "back": html.escape(answer), "extra": html.escape(extra)}
        replaced = {"question": {**escaped, "label": label}, "cloze": {"cloze": cloze, "label": label}, "term": {}}
        sections = tuple(
            replace(s, cards=tuple(replace(c, **replaced[c.kind]) for c in s.cards))
            for s in tiny.sections
        )
        book = replace(tiny, sections=sections)
        import_apkg(collection, write_apkg(book, tmp_path / "any.apkg", next(mods)))
        check_rendering(collection, book)

    try:
        shows_literally()
    finally:
        collection.close()


def test_genanki_is_imported_without_asyncio_and_leaves_cached_property_to_others():
    code = ("import sys; import exporter.anki; "
            "print('asyncio' in sys.modules, 'cached_property' in sys.modules); "
            "import cached_property; print(cached_property.__file__ is not None)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "True"]
