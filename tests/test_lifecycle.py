"""Keeping a learner's collection in step over months, in a real collection (the `anki` library):
each claim of the README's "Keeping your collection in step" is shown here.

Times: a build pinned before the real clock (BEFORE) is a deck built before the learner's edit;
one pinned after it (AFTER) is a deck built after. Anki stamps a local edit with the real clock.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from anki.collection import (Collection, ExportAnkiPackageOptions, ImportAnkiPackageOptions,
                             ImportAnkiPackageRequest)
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

from conftest import edit
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
    note.tags += ["mine", "marked"]
    col.update_note(note)
    col.set_user_flag_for_cards(2, [note.cards()[0].id])
    report = doctor(runner, col_path(col), tiny, out, code=1)
    assert "\n  landing-airport: marked mine\n" in report

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
        dataclasses.replace(n, fields=n.fields + (f"map of {n.card.id}",)) if n.card.kind == "question" else n
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
            'Import with "Merge note types" (Anki 23.10 or later), which keeps the fields of both and your '
            "reviews.\n") in report
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
