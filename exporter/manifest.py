"""What a build remembers between runs, and the rule that turns it into modification times.

Anki updates a note on import only when the package's `mod` for it is newer than its own. So
each note (and note type) keeps a content hash and the `mod` it was given: the `mod` moves only
when the hash does. Two copies are kept:

- the manifest, next to the outputs (`<book-id>.manifest.json`, committed with them), which makes
  an unchanged source rebuild to identical bytes, on any machine;
- the record, in the user's state folder (one per book id), of the newest (hash, mod) this
  machine ever issued for each note. The manifest can be lost, restored from git, or stand beside
  outputs it does not describe; the record makes sure a note's `mod` never goes backwards
  relative to anything already handed to Anki from here.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
from msgspec import Struct, field

from exporter.uptodate import LEGACY_NOTETYPE_PREFIX, record_path

# Anki keeps times as 64-bit integers; anything past the year 9999 is a damaged file.
MAX_TIME = 253_402_300_799
MAX_BYTES = 64 * 1024 * 1024  # a manifest of 10,000 cards is about 1.5 MB


class Stamp(Struct, frozen=True):
    hash: str
    mod: int


class Schema(Struct, frozen=True):
    """What Anki compares to tell whether an incoming note type is the one it has: the names of
    its fields and of its templates, in order. Any other change (CSS, template HTML, the name)
    is an update; a change here makes a copy of the note type in every collection."""

    name: str
    fields: tuple[str, ...]
    templates: tuple[str, ...]


class Manifest(Struct, frozen=True):
    tool: str = ""
    source: str = ""
    source_sha256: str = ""
    modified: int = 0
    outputs: dict[str, str] = field(default_factory=dict)  # file name → SHA-256
    notes: dict[str, Stamp] = field(default_factory=dict)  # card id → stamp
    note_types: dict[str, Stamp] = field(default_factory=dict)  # note type name → stamp
    schemas: dict[str, Schema] = field(default_factory=dict)  # note type id → schema
    decks: dict[str, str] = field(default_factory=dict)  # deck id → name
    # The images the source showed, by their path from its folder → SHA-256: inputs too, so
    # an edited image is never taken for an unchanged source.
    images: dict[str, str] = field(default_factory=dict)

    def latest(self) -> int:
        """The newest time in it."""
        return max([self.modified, *(s.mod for s in self.notes.values()), *(s.mod for s in self.note_types.values())])

    def dump(self) -> str:
        data = {"tool": self.tool, "source": self.source, "source_sha256": self.source_sha256,
                "modified": self.modified, "outputs": self.outputs, "notes": self.notes,
                "note_types": self.note_types, "schemas": self.schemas, "decks": self.decks}
        if self.images:  # written only when there are some: a manifest without stays as it was
            data["images"] = self.images
        return dumps(data)


def dumps(data: object) -> str:
    """JSON as `json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)` writes it, at a
    tenth of the time (that is pure Python once indented: 70 ms for 10,000 cards)."""
    return msgspec.json.format(msgspec.json.encode(data, order="sorted"), indent=1).decode() + "\n"


class Damaged(ValueError):
    """A manifest or record that cannot be trusted; the message says why."""


def load(path: Path) -> Manifest | None:
    """The manifest at `path`, None if there is none, or Damaged if it is not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise Damaged(f"cannot be read ({e.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise Damaged(f"is larger than {MAX_BYTES // 2**20} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise Damaged("is not valid JSON") from None
    return parse(data)


def parse(data: object) -> Manifest:
    if not isinstance(data, dict):
        raise Damaged("is not a JSON object")
    notes = _stamps(data.get("notes", {}), "notes")
    note_types = _stamps(data.get("note_types", {}), "note_types")
    for key in [k for k in notes if k.startswith(LEGACY_NOTETYPE_PREFIX)]:
        note_types[key[len(LEGACY_NOTETYPE_PREFIX):]] = notes.pop(key)
    outputs, images = data.get("outputs", {}), data.get("images", {})
    for name, table in (("outputs", outputs), ("images", images)):
        if not isinstance(table, dict) or not all(isinstance(k, str) and _is_sha256(v) for k, v in table.items()):
            raise Damaged(f"'{name}' must map file names to SHA-256 hashes")
    text = {name: data.get(name, "") for name in ("tool", "source", "source_sha256")}
    if not all(isinstance(v, str) for v in text.values()):
        raise Damaged("'tool', 'source' and 'source_sha256' must be text")
    decks = data.get("decks", {})  # manifests before decks and schemas were kept have neither
    if not isinstance(decks, dict) or not all(isinstance(v, str) for v in decks.values()):
        raise Damaged("'decks' must map deck ids to names")
    return Manifest(**text, modified=_time(data.get("modified", 0), "modified"), outputs=outputs,
                    notes=notes, note_types=note_types, schemas=_schemas(data.get("schemas", {})), decks=decks, images=images)


def _schemas(table: object) -> dict[str, Schema]:
    if not isinstance(table, dict):
        raise Damaged("'schemas' must be an object")
    out = {}
    for key, value in table.items():
        names = [value.get(k) if isinstance(value, dict) else None for k in ("fields", "templates")]
        if not (isinstance(value, dict) and isinstance(value.get("name"), str)
                and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in names)):
            raise Damaged(f"'schemas.{key}' must have a text 'name' and lists of text 'fields' and 'templates'")
        out[key] = Schema(value["name"], tuple(names[0] or ()), tuple(names[1] or ()))
    return out


def _stamps(table: object, name: str) -> dict[str, Stamp]:
    if not isinstance(table, dict):
        raise Damaged(f"'{name}' must be an object")
    out = {}
    for key, value in table.items():
        if not isinstance(value, dict) or not isinstance(value.get("hash"), str):
            raise Damaged(f"'{name}.{key}' must have a text 'hash' and a whole-number 'mod'")
        out[key] = Stamp(value["hash"], _time(value.get("mod"), f"{name}.{key}.mod"))
    return out


def _time(value: object, name: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_TIME:
        raise Damaged(f"'{name}' must be a whole number of seconds, found {json.dumps(value)[:40]}")
    return value


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


# --- the mod-time policy ----------------------------------------------------------------------


def stamp_all(hashes: dict[str, str], issued: dict[str, Stamp], new: int) -> tuple[dict[str, int], list[str]]:
    """The `mod` of every key of `hashes`, and the keys whose content is new or changed.

    `issued` is the newest stamp handed out for each key. Unchanged content keeps its time;
    new or changed content gets `new`, which the caller makes later than every time issued
    before (even when the clock is behind): `max(now, latest + 1)`.
    """
    changed = [key for key, h in hashes.items() if key not in issued or issued[key].hash != h]
    return {key: issued[key].mod if key in issued and key not in changed else new for key in hashes}, changed


# --- the record in the user's state folder ----------------------------------------------------


def load_record(book_id: str) -> Manifest | None:
    """What this machine last issued for the book (only its times and hashes count)."""
    return load(record_path(book_id))


def merge(record: Manifest | None, built: Manifest) -> Manifest:
    """The record after a build: every stamp it issued, and every older one it did not replace."""
    if record is None:
        return Manifest(modified=built.modified, notes=dict(built.notes), note_types=dict(built.note_types),
                        schemas=dict(built.schemas))
    return Manifest(
        modified=max(record.modified, built.modified),
        notes={**record.notes, **built.notes},
        note_types={**record.note_types, **built.note_types},
        schemas={**record.schemas, **built.schemas},
    )
