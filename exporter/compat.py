"""What a rebuild changes that Anki's importer does not carry into a learner's collection by itself.

- Note types. Anki matches an incoming note type by id, then compares its schema (the names of
  its fields and templates, in order). When they differ, it adds a copy ("… · Question+"), puts
  new notes on the copy and leaves every note the learner has untouched, logged "conflicting",
  at this import and every later one. So a build that would change a schema stops, unless told
  to migrate; then the learner imports with "Merge note types" (Anki 23.10 or later).
- Decks. Anki files cards by deck name and never moves a card it already has. A renamed deck
  (a new title, a renumbered chapter) or a new layout only reaches new cards; the build says
  how to move the others.
"""

from __future__ import annotations

from msgspec import Struct, field

from exporter import anki, content
from exporter.errors import SchemaChange
from exporter.manifest import Schema


def schemas(deck: anki.Deck) -> dict[str, Schema]:
    """The schema of each of the deck's note types, by note type id."""
    return {str(model.model_id): Schema(model.name, tuple(f["name"] for f in model.fields),
                                        tuple(t["name"] for t in model.templates))
            for model in deck.models.values()}


def schema_changes(issued: list[dict[str, Schema]], current: dict[str, Schema], deck: anki.Deck,
                   issued_notes: set[str]) -> list[SchemaChange]:
    """Each note type whose fields or templates differ from any schema issued for it before (by
    the manifest beside the outputs or this machine's record: learners may have either)."""
    notes = {model_id: 0 for model_id in current}
    for note in deck.notes:
        if note.card.id in issued_notes:
            notes[str(deck.models[note.card.kind].model_id)] += 1
    changes = []
    for model_id, after in current.items():
        for table in issued:
            before = table.get(model_id)
            if before and (before.fields, before.templates) != (after.fields, after.templates):
                changes.append(SchemaChange(before, after, notes[model_id]))
                break
    return changes


class DeckChanges(Struct):
    """How the deck names of a build differ from the previous build's, for the summary."""

    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old name, new name)
    layout: str = ""  # the new layout, when it changed: "one" or "chapters"
    moves: list[tuple[str, str]] = field(default_factory=list)  # (deck, search finding the cards it should hold)


def deck_changes(book: content.Book, before: dict[str, str], after: dict[str, str]) -> DeckChanges:
    """`before` and `after` map deck ids to names. A build without earlier deck names (a first
    build, or a manifest older than this record) has nothing to compare."""
    changes = DeckChanges()
    if not before:
        return changes
    changes.renamed = [(before[key], name) for key, name in after.items() if key in before and before[key] != name]
    top = str(anki.book_deck_id(book))
    split_before, split_after = set(before) - {top}, set(after) - {top}
    if bool(split_before) != bool(split_after):
        changes.layout = book.meta.decks
        changes.moves = deck_moves(book)
    return changes


def deck_moves(book: content.Book, *, from_anywhere: bool = False) -> list[tuple[str, str]]:
    """For each deck of the current layout, a search for this book's cards that belong in it:
    those still where the other layout put them, or `from_anywhere` else. In the browser,
    select them all and use Change Deck."""
    names = anki.deck_names(book)
    top = names[anki.book_deck_id(book)]
    if book.meta.decks == "chapters":
        by_section = anki.section_decks(book)
        homes = [(names[by_section[s.id]], f"tag:{s.cards[0].tags[0]}") for s in book.sections if s.cards]
        old = f"{anki.deck_search(top)} -{anki.deck_search(top, subdecks_only=True)}"  # the book's deck itself
    else:
        homes, old = [(top, "")], anki.deck_search(top, subdecks_only=True)
    return [(home, anki.search_in_book(book, " ".join(filter(None, (scope, (
        f"(-{anki.deck_search(home)} OR {anki.deck_search(home, subdecks_only=True)})" if from_anywhere else old))))))
            for home, scope in homes]
