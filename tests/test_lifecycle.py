"""Keeping a learner's collection in step over months, in a real collection (the `anki` library):
each claim of the README's "Keeping your collection in step" is shown here.

Times: a build pinned before the real clock (BEFORE) is a deck built before the learner's edit;
one pinned after it (AFTER) is a deck built after. Anki stamps a local edit with the real clock.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from anki.collection import (Collection, ExportAnkiPackageOptions, ImportAnkiPackageOptions,
                             ImportAnkiPackageRequest)
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition
from msgspec.structs import replace

from conftest import REAL_SOURCE, copy_images, edit
from helpers import built_book
from exporter import anki, manifest
from exporter.cli import main
from test_anki import history, notes_by_id, study

BEFORE = 1_700_000_000  # 2023: a deck built before the edits these tests make in Anki
AFTER = 2_000_000_000  # 2033: a deck built after them
ALWAYS = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
CRATES = "      - id: afterwards-crates\n        question: How was the aircraft returned?\n        answer: In crates\n"
CLOZE = '      - id: landing-date-cloze\n        cloze: "The jet landed on {{c1::${landing-date}}}."\n'
QUESTION_TYPE = "A Tiny Book · Question"


@pytest.fixture
def col(tmp_path: Path):
    folder = tmp_path / "learner"
    folder.mkdir()
    collection = Collection(str(folder / "collection.anki2"))
    yield collection
    collection.close()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def build(runner, source: Path, out: Path, *args: str, when: int = BEFORE, code: int = 0):
    result = runner.invoke(main, ["build", str(source), "-o", str(out), *args], env={"SOURCE_DATE_EPOCH": str(when)})
    assert result.exit_code == code, result.output
    return result


def imported(col: Collection, path: Path, **options) -> dict[str, list[str]]:
    """Import as Anki desktop does, with the options given; the outcome of each note, by card id."""
    response = col.import_anki_package(ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(**options)))
    col.models._clear_cache()
    ids = {guid: card_id for card_id, guid in _guids(col).items()}
    by_guid = {n.id: n for n in map(col.get_note, col.find_notes(""))}
    outcome = {}
    for kind in ("new", "updated", "duplicate", "conflicting"):
        notes = getattr(response.log, kind)
        outcome[kind] = sorted(ids.get(by_guid[n.id.nid].guid, "?") if n.id.nid in by_guid else n.fields[-1]
                               for n in notes)
    return {kind: ids for kind, ids in outcome.items() if ids}


def _guids(col: Collection) -> dict[str, str]:
    return {note["Id"]: note.guid for note in notes_by_id(col).values()}


def edit_in_anki(col: Collection, card_id: str, **fields: str) -> None:
    """What a learner does in Anki's editor: the note gets the real clock as its mod."""
    note = notes_by_id(col)[card_id]
    for name, value in fields.items():
        note[name] = value
    col.update_note(note)


def doctor(runner, collection: Path, source: Path, out: Path, code: int):
    result = runner.invoke(main, ["doctor", str(collection), str(source), "-o", str(out)])
    assert result.exit_code == code, result.output
    return result.stdout


def col_path(col: Collection) -> Path:
    return Path(col.path)


# --- local edits ------------------------------------------------------------------------------


def test_an_edit_in_anki_holds_back_updates_built_before_it(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "afterwards-crates", Answer="In wooden crates")
    edit(tiny, "answer: In crates", "answer: In sealed crates")  # a fix built before the learner's edit
    edit(tiny, "answer: ${airport}", "answer: Hakodate")
    build(runner, tiny, out, when=BEFORE + 100)
    assert imported(col, out / "tiny-book.apkg") == {
        "updated": ["landing-airport"],
        "duplicate": ["afterwards-crates", "landing-date-cloze", "term-foxbat", "tl-landing-card"]}
    assert notes_by_id(col)["afterwards-crates"]["Answer"] == "In wooden crates"


def test_update_notes_always_takes_the_decks_version_keeping_reviews(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    study(col, "A Tiny Book")
    before = history(col, notes_by_id(col)["afterwards-crates"])
    edit_in_anki(col, "afterwards-crates", Answer="In wooden crates")
    assert imported(col, out / "tiny-book.apkg", update_notes=ALWAYS)["updated"] == ["afterwards-crates"]
    note = notes_by_id(col)["afterwards-crates"]
    assert note["Answer"] == "In crates"
    assert history(col, note) == before


def test_the_doctors_yaml_pasted_into_the_source_keeps_the_edit(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "afterwards-crates", Answer="In <b>wooden</b>&nbsp;crates")
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert "afterwards-crates (Answer): at " + f"{tiny}:39:" in report
    block = report.split(f"{tiny}:39:\n")[1].split("\n\n")[0] + "\n"
    assert yaml.safe_load(block) == [{"id": "afterwards-crates", "question": "How was the aircraft returned?",
                                      "answer": "In **wooden** crates"}]
    edit(tiny, CRATES, block)  # pasted over the card, at its indentation
    build(runner, tiny, out, when=AFTER)
    assert imported(col, out / "tiny-book.apkg")["updated"] == ["afterwards-crates"]
    assert notes_by_id(col)["afterwards-crates"]["Answer"] == "In <strong>wooden</strong> crates"
    assert doctor(runner, col_path(col), tiny, out, code=0).endswith("Nothing to do: importing the deck keeps "
                                                                      "this collection in step with the source.\n")


def test_the_doctors_yaml_puts_facts_back_where_their_values_stand(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "landing-date-cloze", Text="The MiG landed on {{c1::6 September 1976}}.")
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert ("      - id: landing-date-cloze\n"
            "        cloze: The MiG landed on {{c1::${landing-date}}}.\n") in report


def test_a_build_after_the_edit_that_changes_the_card_replaces_the_edit(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "afterwards-crates", Answer="In wooden crates")
    edit(tiny, "answer: In crates", "answer: In sealed crates")
    build(runner, tiny, out, when=AFTER)
    assert imported(col, out / "tiny-book.apkg")["updated"] == ["afterwards-crates"]
    assert notes_by_id(col)["afterwards-crates"]["Answer"] == "In sealed crates"


# --- tags and flags ---------------------------------------------------------------------------


def test_an_update_replaces_the_notes_tags_and_keeps_its_cards_flags(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    note = notes_by_id(col)["landing-airport"]
    note.tags += ["mine", "marked", "leech"]
    col.update_note(note)
    col.set_user_flag_for_cards(2, [note.cards()[0].id])
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert "\n  landing-airport: leech marked mine\n" in report

    edit(tiny, "answer: ${airport}", "answer: Hakodate")
    build(runner, tiny, out, when=AFTER)
    assert imported(col, out / "tiny-book.apkg")["updated"] == ["landing-airport"]
    note = notes_by_id(col)["landing-airport"]
    assert sorted(note.tags) == ["places", "tiny::chapter::the-landing"]
    assert note.cards()[0].user_flag() == 2


# --- removed cards ----------------------------------------------------------------------------


def test_removed_cards_stay_until_deleted_with_the_search_shown(runner, col, tiny, out, tmp_path):
    other = tmp_path / "other.yaml"  # another book with a card of the same id, in the same collection
    other.write_text(tiny.read_text("utf-8").replace("id: tiny-book", "id: other-book")
                     .replace("title: A Tiny Book", "title: Other"), "utf-8")
    build(runner, other, tmp_path / "other")
    imported(col, tmp_path / "other" / "other-book.apkg")
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit(tiny, CLOZE, "")
    build(runner, tiny, out, when=AFTER)
    assert "landing-date-cloze" not in str(imported(col, out / "tiny-book.apkg"))
    assert len(col.find_notes("Id:landing-date-cloze")) == 2  # never deleted on import

    report = doctor(runner, col_path(col), tiny, out, code=1)
    search = re.search(r"Removed from the source: 1 card \(landing-date-cloze\)\. .*search the browser for: (.*)",
                       report).group(1)
    assert search == '"note:A Tiny Book · *" (Id:landing-date-cloze)'
    (found,) = col.find_notes(search)
    assert col.get_note(found).note_type()["name"] == "A Tiny Book · Cloze"
    col.remove_notes([found])
    assert "Removed" not in doctor(runner, col_path(col), tiny, out, code=0)


# --- renamed decks ----------------------------------------------------------------------------


NEW_CARD = "      - id: afterwards-port\n        question: From which port?\n        answer: Hitachi\n"


@pytest.mark.parametrize("rename_in_anki", [False, True])
def test_a_renamed_deck_takes_new_cards_only(runner, col, tiny, out, rename_in_anki):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit(tiny, "title: A Tiny Book", "title: A Small Book")
    edit(tiny, CRATES, CRATES + NEW_CARD)
    summary = build(runner, tiny, out, when=AFTER).stdout
    assert 'Deck renamed: "A Tiny Book" → "A Small Book". Anki files cards by deck name' in summary
    if rename_in_anki:  # as the summary says: rename the deck in Anki before importing
        col.decks.rename(col.decks.id_for_name("A Tiny Book"), "A Small Book")
    imported(col, out / "tiny-book.apkg")
    decks = {note["Id"]: {col.decks.name(c.did) for c in note.cards()} for note in notes_by_id(col).values()}
    old_home = "A Small Book" if rename_in_anki else "A Tiny Book"
    assert decks.pop("afterwards-port") == {"A Small Book"}
    assert set().union(*decks.values()) == {old_home}


# --- note types -------------------------------------------------------------------------------


def add_image_field(monkeypatch) -> None:
    """A later version of the deck: question notes get an Image field (a schema change)."""
    monkeypatch.setitem(anki.FIELDS, "question", anki.FIELDS["question"] + ("Image",))
    made = anki.deck_notes
    monkeypatch.setattr(anki, "deck_notes", lambda book: [
        replace(n, fields=n.fields + (f"map of {n.card.id}",)) if n.card.kind == "question" else n
        for n in made(book)])


QUESTIONS = ["afterwards-crates", "landing-airport", "tl-landing-card"]


def test_without_the_merge_a_changed_field_list_forks_the_note_type_and_stops_updates(
        runner, col, tiny, out, monkeypatch):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    add_image_field(monkeypatch)
    build(runner, tiny, out, "--migrate", "--force", when=AFTER)
    for _ in range(2):  # this import and every later one
        assert imported(col, out / "tiny-book.apkg") == {
            "conflicting": QUESTIONS, "duplicate": ["landing-date-cloze", "term-foxbat"]}
    assert [nt.name for nt in col.models.all_names_and_ids() if nt.name.startswith(QUESTION_TYPE)] == [
        QUESTION_TYPE, f"{QUESTION_TYPE}+"]  # the copy Anki made
    assert all("Image" not in notes_by_id(col)[card_id].keys() for card_id in QUESTIONS)


def test_the_guard_stops_a_build_that_changes_a_note_types_fields(runner, tiny, out, monkeypatch):
    build(runner, tiny, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    add_image_field(monkeypatch)
    result = build(runner, tiny, out, "--force", when=AFTER, code=1)
    assert result.stderr == (
        f"{out / 'tiny-book.manifest.json'}: error: this build changes the fields or templates of note types "
        "learners have:\n"
        f'  "{QUESTION_TYPE}" (3 notes already issued):\n'
        "    fields: Question, Answer, Extra, Source, Id → Question, Answer, Extra, Source, Id, Image\n"
        "Imported as usual, Anki would not recognise them as the note types it has. Without it, Anki adds a copy "
        'of each ("… · Question+"), puts new cards on the copy and never again updates the cards you have.\n'
        'To go ahead, build with --migrate and tell learners to import with "Merge note types" (Anki 23.10 or '
        "later), which keeps their reviews; previous outputs are unchanged.\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_guard_also_knows_what_this_machine_issued_when_the_manifest_is_gone(runner, tiny, out, monkeypatch):
    build(runner, tiny, out)
    (out / "tiny-book.manifest.json").unlink()
    add_image_field(monkeypatch)
    assert "fields: Question, Answer" in build(runner, tiny, out, "--force", when=AFTER, code=1).stderr


def test_a_renamed_template_is_a_schema_change_too(runner, tiny, out, monkeypatch):
    build(runner, tiny, out)
    monkeypatch.setitem(anki.NOTE_TYPES, "term", ("Term", (("Term → Definition", "term"), ("Reverse", "term-reverse"))))
    stopped = build(runner, tiny, out, "--force", when=AFTER, code=1).stderr
    assert "    templates: Term → Definition, Definition → Term → Term → Definition, Reverse\n" in stopped


def test_rendering_changes_are_not_schema_changes(runner, tiny, out, monkeypatch, tmp_path):
    build(runner, tiny, out)
    assets = tmp_path / "assets"
    shutil.copytree(Path(anki.__file__).parent / "assets", assets)
    for name, addition in (("card.css", ".extra { color: red; }\n"), ("card-question-front.html", "<hr>\n")):
        (assets / name).write_text((assets / name).read_text("utf-8") + addition, "utf-8")
    monkeypatch.setattr(anki, "ASSETS", assets)
    summary = build(runner, tiny, out, "--force", when=AFTER).stdout
    assert "Card styling changed (A Tiny Book · Question, A Tiny Book · Cloze, A Tiny Book · Term)" in summary


def test_with_migrate_and_the_merge_notes_update_and_keep_their_reviews(runner, col, tiny, out, monkeypatch):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    study(col, "A Tiny Book")
    before = {card_id: history(col, notes_by_id(col)[card_id]) for card_id in QUESTIONS}
    add_image_field(monkeypatch)
    summary = build(runner, tiny, out, "--migrate", "--force", when=AFTER).stdout
    assert ('Note types changed (A Tiny Book · Question): import with "Merge note types" checked '
            "(File > Import, Anki 23.10 or later).") in summary
    assert imported(col, out / "tiny-book.apkg", merge_notetypes=True)["updated"] == QUESTIONS
    notes = notes_by_id(col)
    assert {card_id: notes[card_id]["Image"] for card_id in QUESTIONS} == {c: f"map of {c}" for c in QUESTIONS}
    assert {card_id: history(col, notes[card_id]) for card_id in QUESTIONS} == before
    assert [nt.name for nt in col.models.all_names_and_ids() if nt.name.startswith(QUESTION_TYPE)] == [QUESTION_TYPE]
    # and the next build, with the new fields recorded, goes ahead without --migrate
    edit(tiny, "answer: In crates", "answer: In sealed crates")
    build(runner, tiny, out, when=AFTER + 100)


def test_the_merge_folds_back_a_copy_made_by_an_earlier_import(runner, col, tiny, out, monkeypatch):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    add_image_field(monkeypatch)
    build(runner, tiny, out, "--migrate", "--force", when=AFTER)
    imported(col, out / "tiny-book.apkg")  # without the merge: a copy
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert (f'  "{QUESTION_TYPE}" (3 cards: landing-airport, afterwards-crates, tl-landing-card): fields here: '
            "Question, Answer, Extra, Source, Id; in the deck: Question, Answer, Extra, Source, Id, Image. "
            'Import with "Merge note types" (Anki 23.10 or later), which keeps your reviews.\n') in report
    assert "Importing tiny-book.apkg" not in report  # no update gets through
    imported(col, out / "tiny-book.apkg", merge_notetypes=True)
    assert [nt.name for nt in col.models.all_names_and_ids() if nt.name.startswith(QUESTION_TYPE)] == [QUESTION_TYPE]
    assert doctor(runner, col_path(col), tiny, out, code=0)


def test_an_old_manifest_without_schemas_or_decks_is_read(tmp_path):
    old = {"tool": "0.1", "notes": {"a": {"hash": "h", "mod": 5}}, "note_types": {"T": {"hash": "h", "mod": 5}}}
    parsed = manifest.parse(old)
    assert (parsed.schemas, parsed.decks, parsed.notes["a"].mod) == ({}, {}, 5)
    with pytest.raises(manifest.Damaged, match="'schemas.1' must have a text 'name'"):
        manifest.parse({**old, "schemas": {"1": {"name": "T", "fields": "Front"}}})


# --- a deck per chapter -----------------------------------------------------------------------


def by_chapter(source: Path) -> None:
    edit(source, "  edition:", "  decks: chapters\n  edition:")


def decks_of(col: Collection) -> dict[str, set[str]]:
    """The decks each note's cards are in, by card id."""
    return {note["Id"]: {col.decks.name(card.did) for card in note.cards()} for note in notes_by_id(col).values()}


def test_a_fresh_import_files_each_chapter_and_part_in_a_subdeck(runner, col, tiny, out):
    by_chapter(tiny)
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    assert decks_of(col) == {
        "landing-airport": {"A Tiny Book::01 The Landing"}, "landing-date-cloze": {"A Tiny Book::01 The Landing"},
        "afterwards-crates": {"A Tiny Book::02 Afterwards"}, "tl-landing-card": {"A Tiny Book::Timeline"},
        "term-foxbat": {"A Tiny Book::Glossary"}}
    assert "A Tiny Book" in [d.name for d in col.decks.all_names_and_ids()]  # their parent, holding the rest


def test_chapter_decks_sort_in_book_order(tmp_path):
    source = tmp_path / "real.yaml"
    shutil.copy(REAL_SOURCE, source)
    copy_images(REAL_SOURCE, tmp_path)
    by_chapter(source)
    book = _book(source)
    names = list(anki.deck_names(book).values())
    chapters = [f"Belenko’s Defection::{s.number:02d} {s.title}" for s in book.chapters if s.cards]
    assert names[1:len(chapters) + 1] == chapters == sorted(chapters)
    assert names[0] == "Belenko’s Defection" and "Belenko’s Defection::Glossary" in names
    assert chapters[0] == "Belenko’s Defection::01 The Event in Brief"  # as the README says
    wide = replace(book, sections=tuple(
        replace(book.chapters[0], id=f"c{n}", number=n) for n in range(1, 13)))
    assert [name.split("::")[1][:3] for name in list(anki.deck_names(wide).values())[1:]] == [
        f"{n:02d} " for n in range(1, 13)]


def _book(source: Path):
    from exporter import load

    return built_book(load.load(source))


def test_switching_layout_leaves_the_cards_you_have_where_they_are(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    study(col, "A Tiny Book")
    before = {card_id: history(col, note) for card_id, note in notes_by_id(col).items()}
    by_chapter(tiny)
    edit(tiny, CRATES, CRATES + NEW_CARD)
    summary = build(runner, tiny, out, when=AFTER).stdout
    assert ("Deck layout changed to a deck per chapter. Anki files new cards that way but never moves the cards "
            "you have: to move them, search the browser for each line, select all and use Cards > Change Deck.\n"
            '  A Tiny Book::01 The Landing: "note:A Tiny Book · *" tag:tiny::chapter::the-landing {in_top}\n'
            '  A Tiny Book::02 Afterwards: "note:A Tiny Book · *" tag:tiny::chapter::afterwards {in_top}\n'
            '  A Tiny Book::Timeline: "note:A Tiny Book · *" tag:tiny::timeline {in_top}\n'
            '  A Tiny Book::Glossary: "note:A Tiny Book · *" tag:tiny::glossary {in_top}\n'
            ).format(in_top='"deck:A Tiny Book" -"deck:A Tiny Book::*"') in summary
    imported(col, out / "tiny-book.apkg")
    decks = decks_of(col)
    assert decks.pop("afterwards-port") == {"A Tiny Book::02 Afterwards"}
    assert set().union(*decks.values()) == {"A Tiny Book"}
    assert {card_id: history(col, notes_by_id(col)[card_id]) for card_id in before} == before

    report = doctor(runner, col_path(col), tiny, out, code=0)
    assert ('  "A Tiny Book": landing-airport, landing-date-cloze, afterwards-crates, tl-landing-card, term-foxbat\n'
            in report)
    assert ('    A Tiny Book::01 The Landing: "note:A Tiny Book · *" tag:tiny::chapter::the-landing '
            '(-"deck:A Tiny Book::01 The Landing" OR "deck:A Tiny Book::01 The Landing::*")\n') in report

    moves = re.findall(r"^  (A Tiny Book::.*?): (.*)$", summary, re.M)
    for deck, search in moves:  # what the summary says to do, as Browse's Change Deck does it
        col.set_deck(col.find_cards(search), col.decks.id(deck))
    assert decks_of(col) == {"landing-airport": {"A Tiny Book::01 The Landing"},
                             "landing-date-cloze": {"A Tiny Book::01 The Landing"},
                             "afterwards-crates": {"A Tiny Book::02 Afterwards"},
                             "afterwards-port": {"A Tiny Book::02 Afterwards"},
                             "tl-landing-card": {"A Tiny Book::Timeline"}, "term-foxbat": {"A Tiny Book::Glossary"}}

    edit(tiny, "  decks: chapters\n", "")  # and back to one deck
    edit(tiny, NEW_CARD, NEW_CARD + NEW_CARD.replace("port", "ship").replace("Hitachi", "The Gagarin"))
    summary = build(runner, tiny, out, when=AFTER + 100).stdout
    (deck, search), = re.findall(r"^  (A Tiny Book.*?): (.*)$", summary, re.M)
    assert "Deck layout changed to one deck for the whole book." in summary and "delete the emptied" in summary
    imported(col, out / "tiny-book.apkg")
    decks = decks_of(col)
    assert decks["afterwards-ship"] == {"A Tiny Book"} and decks["afterwards-port"] == {"A Tiny Book::02 Afterwards"}
    col.set_deck(col.find_cards(search), col.decks.id(deck))
    assert set().union(*decks_of(col).values()) == {"A Tiny Book"}


def test_a_new_chapter_renumbers_the_decks_after_it_and_the_summary_says_so(runner, tiny, out):
    by_chapter(tiny)
    build(runner, tiny, out)
    edit(tiny, "  - id: afterwards\n", "  - id: before\n    title: Before\n    text: Earlier.\n"
         "    cards:\n      - id: before-card\n        question: What came first?\n        answer: The plan\n"
         "  - id: afterwards\n")
    summary = build(runner, tiny, out, when=AFTER).stdout
    assert 'Deck renamed: "A Tiny Book::02 Afterwards" → "A Tiny Book::03 Afterwards".' in summary
    assert "Deck layout changed" not in summary


def test_a_renumbered_chapter_deck_takes_new_cards_only(runner, col, tiny, out):
    by_chapter(tiny)
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit(tiny, "  - id: afterwards\n", "  - id: before\n    title: Before\n    text: Earlier.\n"
         "    cards:\n      - id: before-card\n        question: What came first?\n        answer: The plan\n"
         "  - id: afterwards\n")
    edit(tiny, CRATES, CRATES + NEW_CARD)
    build(runner, tiny, out, when=AFTER)
    imported(col, out / "tiny-book.apkg")
    decks = decks_of(col)
    assert (decks["afterwards-crates"], decks["afterwards-port"]) == (
        {"A Tiny Book::02 Afterwards"}, {"A Tiny Book::03 Afterwards"})


# --- the doctor -------------------------------------------------------------------------------


def test_doctor_finds_nothing_to_do_after_an_import_and_says_what_the_next_one_brings(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    report = doctor(runner, col_path(col), tiny, out, code=0)
    assert report == (f'{col_path(col)}: 5 notes of "A Tiny Book", compared with {out / "tiny-book.apkg"}.\n\n'
                      "Nothing to do: importing the deck keeps this collection in step with the source.\n")
    edit(tiny, "answer: ${airport}", "answer: Hakodate")
    edit(tiny, CRATES, CRATES + NEW_CARD)
    build(runner, tiny, out, when=AFTER)
    report = doctor(runner, col_path(col), tiny, out, code=0)
    assert "\nImporting tiny-book.apkg updates 1 card and adds 1 card.\n" in report


def test_doctor_reads_a_copy_and_never_changes_the_collection(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "afterwards-crates", Answer="In wooden crates")  # in the WAL: the collection is open
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in col_path(col).parent.iterdir() if p.is_file()}
    assert "afterwards-crates (Answer)" in doctor(runner, col_path(col), tiny, out, code=1)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in col_path(col).parent.iterdir() if p.is_file()} == files


def test_doctor_reads_exported_packages_as_the_collection(runner, col, tiny, out, tmp_path):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    edit_in_anki(col, "afterwards-crates", Answer="In wooden crates")
    note = notes_by_id(col)["landing-airport"]
    note.tags.append("mine")
    col.update_note(note)
    expected = doctor(runner, col_path(col), tiny, out, code=1)
    apkg = tmp_path / "exported.apkg"
    col.export_anki_package(out_path=str(apkg), options=ExportAnkiPackageOptions(with_scheduling=True), limit=None)
    colpkg = tmp_path / "exported.colpkg"
    col.export_collection_package(str(colpkg), include_media=False, legacy=False)  # this closes the collection
    col.reopen()
    for package in (apkg, colpkg):
        assert doctor(runner, package, tiny, out, code=1) == expected.replace(str(col_path(col)), str(package), 1)


def test_doctor_reports_copies_of_the_note_types_and_how_to_fold_them_back(runner, col, tiny, out, monkeypatch):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    add_image_field(monkeypatch)
    edit(tiny, CRATES, CRATES + NEW_CARD)  # a card added after the fork goes onto the copy
    build(runner, tiny, out, "--migrate", when=AFTER)
    imported(col, out / "tiny-book.apkg")
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert (f'  "{QUESTION_TYPE}+" (1 card: afterwards-port): a copy of "{QUESTION_TYPE}" made on import. Import the '
            'deck with "Merge note types" (Anki 23.10 or later) to fold it back.\n') in report
    imported(col, out / "tiny-book.apkg", merge_notetypes=True)
    assert doctor(runner, col_path(col), tiny, out, code=0)
    assert notes_by_id(col)["afterwards-port"].note_type()["name"] == QUESTION_TYPE


def test_doctor_says_how_to_fold_back_a_copy_an_older_anki_made(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    # Before 23.10, Anki's copies did not name their original: only the name tells.
    original = col.models.by_name(QUESTION_TYPE)
    copy = col.models.copy(original, add=False)
    copy["name"] = f"{QUESTION_TYPE}+"
    copy.pop("originalId")
    col.models.add_dict(copy)
    change_notetype(col, "Id:afterwards-crates", QUESTION_TYPE, f"{QUESTION_TYPE}+")
    report = doctor(runner, col_path(col), tiny, out, code=1)
    search = f'"note:{QUESTION_TYPE}+"'
    assert (f'  "{QUESTION_TYPE}+" (1 card: afterwards-crates): not "{QUESTION_TYPE}". In the browser, search '
            f'{search}, select all, Notes > Change Note Type to "{QUESTION_TYPE}", then import again.\n') in report
    change_notetype(col, search, f"{QUESTION_TYPE}+", QUESTION_TYPE)
    assert doctor(runner, col_path(col), tiny, out, code=0)


def change_notetype(col: Collection, search: str, old: str, new: str) -> None:
    """Browse's Notes > Change Note Type, fields matched by name."""
    request = col.models.change_notetype_info(old_notetype_id=col.models.id_for_name(old),
                                              new_notetype_id=col.models.id_for_name(new)).input
    request.note_ids.extend(col.find_notes(search))
    col.models.change_notetype_of_notes(request)


def test_doctor_reports_a_note_type_changed_in_anki_and_the_merge_keeps_both(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    notetype = col.models.by_name(QUESTION_TYPE)
    col.models.add_field(notetype, col.models.new_field("My notes"))
    col.models.update_dict(notetype)
    for card_id in ("afterwards-crates", "landing-airport"):
        edit_in_anki(col, card_id, **{"My notes": f"about {card_id}"})
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert (f'  "{QUESTION_TYPE}" (3 cards: landing-airport, afterwards-crates, tl-landing-card): fields here: '
            "Question, Answer, Extra, Source, Id, My notes; in the deck: Question, Answer, Extra, Source, Id. Import "
            'with "Merge note types" (Anki 23.10 or later), which keeps your reviews; an update then empties the '
            "fields the deck does not have (My notes).\n") in report

    edit(tiny, "answer: In crates", "answer: In sealed crates")
    build(runner, tiny, out, when=AFTER)
    assert imported(col, out / "tiny-book.apkg")["conflicting"] == QUESTIONS  # as the doctor said
    assert imported(col, out / "tiny-book.apkg", merge_notetypes=True)["updated"] == ["afterwards-crates"]
    notes = notes_by_id(col)
    assert (notes["afterwards-crates"]["Answer"], notes["afterwards-crates"]["My notes"]) == ("In sealed crates", "")
    assert notes["landing-airport"]["My notes"] == "about landing-airport"  # not updated, kept


def test_doctor_reports_cards_in_other_decks_as_fine(runner, col, tiny, out):
    build(runner, tiny, out)
    imported(col, out / "tiny-book.apkg")
    note = notes_by_id(col)["term-foxbat"]
    col.set_deck([card.id for card in note.cards()], col.decks.id("Vocabulary"))
    col.set_deck(notes_by_id(col)["afterwards-crates"].card_ids(), col.decks.id("A Tiny Book::Hard"))
    report = doctor(runner, col_path(col), tiny, out, code=0)
    search = '"note:A Tiny Book · *" (-"deck:A Tiny Book" OR "deck:A Tiny Book::*")'
    assert ('In other decks (fine: importing never moves a card):\n'
            '  "A Tiny Book::Hard": afterwards-crates\n  "Vocabulary": term-foxbat\n'
            "  To move them where the deck puts them, search the browser for each line, select all and use "
            f"Cards > Change Deck:\n    A Tiny Book: {search}\n") in report
    col.set_deck(col.find_cards(search), col.decks.id("A Tiny Book"))
    assert "In other decks" not in doctor(runner, col_path(col), tiny, out, code=0)


@pytest.mark.parametrize("problem", ["missing", "not a collection", "no build"])
def test_doctor_names_what_it_cannot_use(runner, col, tiny, out, tmp_path, problem):
    build(runner, tiny, out)
    target = {"missing": tmp_path / "nowhere.anki2", "not a collection": tiny, "no build": col_path(col)}[problem]
    result = runner.invoke(main, ["doctor", str(target), str(tiny), "-o", str(tmp_path / "elsewhere"
                                                                              if problem == "no build" else out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert {"missing": f"{target}: error: no such file; name collection.anki2",
            "not a collection": f"{target}: error: cannot be read as an Anki collection (",
            "no build": f"{tmp_path / 'elsewhere'}: error: holds no build of this version of {tiny}: run "
                        f"`exporter build {tiny} -o {tmp_path / 'elsewhere'}` first"}[problem] in result.stderr


def test_doctor_without_the_anki_library_says_how_to_get_it(runner, tiny, out, monkeypatch, tmp_path):
    build(runner, tiny, out)
    monkeypatch.setitem(sys.modules, "anki.collection", None)  # as if not installed: importing it fails
    result = runner.invoke(main, ["doctor", str(tmp_path / "collection.anki2"), str(tiny), "-o", str(out)])
    assert (result.exit_code, result.stderr) == (
        2, "anki: error: doctor reads collections with the anki library: pip install 'exporter[doctor]'\n")


def test_the_readme_example_is_what_the_doctor_prints(runner, col, monkeypatch):
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)  # the default source and output folder, as in the README
    imported(col, root / "output" / "belenko-defection.apkg")
    edit_in_anki(col, "brief-landing-airport",
                 Extra="A civil airport, not <b>Chitose</b>, the air base he had been aiming for.")
    note = notes_by_id(col)["fl-low-reason"]
    note.tags.append("hard")
    col.update_note(note)
    col.set_deck(notes_by_id(col)["term-foxbat"].card_ids(), col.decks.id("Vocabulary"))
    result = runner.invoke(main, ["doctor", str(col_path(col))])
    assert result.exit_code == 1, result.output
    readme = (root / "README.md").read_text("utf-8")
    example = readme.split("```\n…/collection.anki2", 1)[1].split("```", 1)[0]
    line = re.compile(r"(?<=source/belenko-defection\.yaml:)\d+")  # the card's line moves as the source grows
    assert line.sub("N", result.stdout.split("collection.anki2", 1)[1]) == line.sub("N", example)


# --- the README section and these tests -------------------------------------------------------

# Each paragraph of the README's "Keeping your collection in step", by its opening words, and
# the tests above that show what it says.
CLAIMS = {
    "Anki's importer is careful": [
        test_an_edit_in_anki_holds_back_updates_built_before_it, test_an_update_replaces_the_notes_tags_and_keeps_its_cards_flags,
        test_removed_cards_stay_until_deleted_with_the_search_shown, test_a_renamed_deck_takes_new_cards_only,
        test_without_the_merge_a_changed_field_list_forks_the_note_type_and_stops_updates],
    "- **An edit you make in Anki": [
        test_an_edit_in_anki_holds_back_updates_built_before_it,
        test_update_notes_always_takes_the_decks_version_keeping_reviews,
        test_the_doctors_yaml_pasted_into_the_source_keeps_the_edit,
        test_the_doctors_yaml_puts_facts_back_where_their_values_stand,
        test_a_build_after_the_edit_that_changes_the_card_replaces_the_edit],
    "- **Tags are the deck's.**": [test_an_update_replaces_the_notes_tags_and_keeps_its_cards_flags],
    "- **Removed cards stay**": [test_removed_cards_stay_until_deleted_with_the_search_shown],
    "- **Renamed decks.**": [test_a_renamed_deck_takes_new_cards_only, test_a_renumbered_chapter_deck_takes_new_cards_only,
                             test_a_new_chapter_renumbers_the_decks_after_it_and_the_summary_says_so],
    "- **Note types.**": [
        test_without_the_merge_a_changed_field_list_forks_the_note_type_and_stops_updates,
        test_doctor_reports_copies_of_the_note_types_and_how_to_fold_them_back,
        test_the_guard_stops_a_build_that_changes_a_note_types_fields,
        test_a_renamed_template_is_a_schema_change_too,
        test_with_migrate_and_the_merge_notes_update_and_keep_their_reviews,
        test_the_merge_folds_back_a_copy_made_by_an_earlier_import,
        test_the_guard_also_knows_what_this_machine_issued_when_the_manifest_is_gone,
        test_rendering_changes_are_not_schema_changes],
    "- **A deck per chapter.**": [
        test_a_fresh_import_files_each_chapter_and_part_in_a_subdeck, test_chapter_decks_sort_in_book_order,
        test_switching_layout_leaves_the_cards_you_have_where_they_are],
    "`exporter doctor` finds all of this": [test_the_readme_example_is_what_the_doctor_prints],
    "It reports cards edited in Anki": [
        test_the_doctors_yaml_pasted_into_the_source_keeps_the_edit,
        test_doctor_reports_copies_of_the_note_types_and_how_to_fold_them_back,
        test_doctor_says_how_to_fold_back_a_copy_an_older_anki_made,
        test_doctor_reports_a_note_type_changed_in_anki_and_the_merge_keeps_both,
        test_an_update_replaces_the_notes_tags_and_keeps_its_cards_flags,
        test_removed_cards_stay_until_deleted_with_the_search_shown, test_doctor_reports_cards_in_other_decks_as_fine,
        test_doctor_finds_nothing_to_do_after_an_import_and_says_what_the_next_one_brings,
        test_doctor_reads_a_copy_and_never_changes_the_collection, test_doctor_reads_exported_packages_as_the_collection,
        test_doctor_names_what_it_cannot_use],
    "[`tests/test_lifecycle.py`]": [],
}


def test_every_paragraph_of_the_readme_section_is_shown_by_a_test():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme[readme.index("## Keeping your collection in step"):readme.index("## Reading the book")]
    prose = re.sub(r"(?s)```.*?```", "", section)  # the example output is the doctor's own
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n(?=- \*\*)", prose.split("\n", 1)[1]) if p.strip()]
    openings = [next((c for c in CLAIMS if p.startswith(c)), p[:40]) for p in paragraphs]
    assert openings == list(CLAIMS), "a paragraph of the section was added or changed: show it in a test here"
