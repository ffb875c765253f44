"""What several test files need: a folder's contents, and the deck read back from a package."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (hidden ones too), by relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def leftovers(directory: Path) -> list[Path]:
    """Temporary files in `directory`."""
    return sorted(directory.glob(".*.tmp")) + sorted(directory.glob("*.tmp"))


def read_deck(apkg: Path, tmp: Path) -> dict[str, dict[str, str]]:
    """Card id → the note's fields by name, as stored in the package's collection, plus the
    note type's short name (`_type`) and the tags (`_tags`)."""
    db_path = tmp / f"{apkg.stem}-collection.anki2"
    with zipfile.ZipFile(apkg) as z:
        db_path.write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(db_path)
    try:
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        notes = {}
        for mid, flds, tags in db.execute("SELECT mid, flds, tags FROM notes"):
            model = models[str(mid)]
            fields = dict(zip((f["name"] for f in model["flds"]), flds.split("\x1f")))
            fields["_type"] = model["name"].rsplit(" · ", 1)[-1]
            fields["_tags"] = tags
            notes[fields["Id"]] = fields
        return notes
    finally:
        db.close()


def built_book(loaded):
    """The book both outputs show, from a loaded source (its document and the images it read)."""
    from exporter import content

    return content.build(loaded.document, media=loaded.media)
