"""What the CLI tells a learner about their collection: a build's note-type and deck changes,
and the doctor's report, each finding with what to do about it in Anki."""

from __future__ import annotations

from pathlib import Path

WITHOUT_MERGE = ("Without it, Anki adds a copy of each (\"… · Question+\"), puts new cards on the copy and "
                 "never again updates the cards you have.")


def migrated(names: list[str]) -> list[str]:
    if not names:
        return []
    return [f"Note types changed ({', '.join(names)}): import with \"Merge note types\" checked (File > Import, "
            f"Anki 23.10 or later). {WITHOUT_MERGE}"]


def schema_change(error, unchanged: str) -> str:
    """Why a build stopped before changing the note types, and the two ways on."""
    lines = [f"{error.path}: error: this build changes the fields or templates of note types learners have:"]
    for change in error.changes:
        before, after = change.before, change.after
        lines.append(f"  \"{after.name}\" ({counted(change.notes, 'note')} already issued):")
        for what, old, new in (("fields", before.fields, after.fields), ("templates", before.templates, after.templates)):
            if old != new:
                lines.append(f"    {what}: {', '.join(old)} → {', '.join(new)}")
    lines.append(f"Imported as usual, Anki would not recognise them as the note types it has. {WITHOUT_MERGE}")
    lines.append("To go ahead, build with --migrate and tell learners to import with \"Merge note types\" "
                 f"(Anki 23.10 or later), which keeps their reviews; {unchanged}")
    return "\n".join(lines)


def deck_changes(changes) -> list[str]:
    """What to do in Anki about renamed decks and a new deck layout."""
    lines = []
    for old, new in changes.renamed:
        lines.append(f"Deck renamed: \"{old}\" → \"{new}\". Anki files cards by deck name and never moves "
                     "the cards you have: rename the deck in Anki too (Browse, right-click it, Rename) before you "
                     "import, or new cards go to a deck of their own.")
    if changes.layout:
        layout = "a deck per chapter" if changes.layout == "chapters" else "one deck for the whole book"
        lines.append(f"Deck layout changed to {layout}. Anki files new cards that way but never moves the cards "
                     "you have: to move them, search the browser for each line, select all and use Cards > "
                     "Change Deck" + ("; then delete the emptied chapter decks." if changes.layout == "one" else "."))
        lines += [f"  {deck}: {search}" for deck, search in changes.moves]
    return lines


def diagnosis(found, collection: Path) -> str:
    """The doctor's report: each finding by card id, with what to do about it."""
    from exporter.anki import notetype_search  # doctor has loaded it already; check never does

    lines = [f"{collection}: {counted(found.notes, 'note')} of \"{found.title}\", compared with {found.deck}."]
    if found.local_edits:
        lines += ["", f"Edited in Anki: {counted(len(found.local_edits), 'card')} changed in Anki after this deck was "
                  "built, so importing it keeps your edit and skips the deck's version. Either import with "
                  "\"Update notes: Always\" (Anki 2.1.67 or later) to take the deck's version, or keep "
                  "your edit: paste it into the source over the card and build again."]
        for edit in found.local_edits:
            lines += [f"  {edit.card_id} ({', '.join(edit.fields)}): at {edit.where}:", edit.yaml.rstrip("\n")]
    if found.forks:
        lines += ["", "Note types that no longer match the deck's: importing never updates their cards."]
        for fork in found.forks:
            cards = f"{counted(len(fork.card_ids), 'card')}: {', '.join(fork.card_ids)}"
            if not fork.copy:
                differ = "; ".join(f"{what} here: {', '.join(mine)}; in the deck: {', '.join(deck)}"
                                   for what, mine, deck in fork.changes)
                own = [name for what, mine, deck in fork.changes if what == "fields" for name in mine if name not in deck]
                how = (f"{differ}. Import with \"Merge note types\" (Anki 23.10 or later), which keeps your reviews"
                       + (f"; an update then empties the fields the deck does not have ({', '.join(own)})." if own
                          else "."))
            elif fork.merges:
                how = (f"a copy of \"{fork.original}\" made on import. Import the deck with \"Merge note types\" "
                       "(Anki 23.10 or later) to fold it back.")
            else:
                how = (f"not \"{fork.original}\". In the browser, search {notetype_search(fork.name)}, select all, "
                       f"Notes > Change Note Type to \"{fork.original}\", then import again.")
            lines.append(f"  \"{fork.name}\" ({cards}): {how}")
    if found.tags:
        lines += ["", "Your tags: Anki replaces a note's tags with the deck's whenever it updates the note, so these "
                  "go at the card's next update. Keep them by adding them to the card's tags in the source; "
                  "flags, which are on cards, stay."]
        lines += [f"  {card_id}: {' '.join(tags)}" for card_id, tags in found.tags.items()]
    if found.removed:
        lines += ["", f"Removed from the source: {counted(len(found.removed), 'card')} ({', '.join(found.removed)}). "
                  f"Anki never deletes cards on import; to delete them, search the browser for: {found.removed_search}"]
    if found.other_decks:
        lines += ["", "In other decks (fine: importing never moves a card):"]
        lines += [f"  \"{deck}\": {', '.join(ids)}" for deck, ids in sorted(found.other_decks.items())]
        if found.moves:
            lines.append("  To move them where the deck puts them, search the browser for each line, select all "
                         "and use Cards > Change Deck:")
            lines += [f"    {deck}: {search}" for deck, search in found.moves]
    if found.updates or found.missing:
        pending = [f"updates {counted(len(found.updates), 'card')}" if found.updates else "",
                   f"adds {counted(len(found.missing), 'card')}" if found.missing else ""]
        lines += ["", f"Importing {found.deck.name} {' and '.join(p for p in pending if p)}."]
    lines += ["", "Something to do: see above." if found.needs_action
              else "Nothing to do: importing the deck keeps this collection in step with the source."]
    return "\n".join(lines)


def counted(count: int, word: str) -> str:
    """'1 card', '2 cards'."""
    return f"{count} {word}{'' if count == 1 else 's'}"
