"""Source → deck + book + manifest, all or nothing.

The manifest next to the outputs remembers, per note and note type, a content hash and the
modification time it was given. A note's time moves only when its hash does, which is what
makes Anki update exactly the edited notes on re-import while an unchanged source rebuilds
to identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from exporter import __version__
from exporter.errors import UsageError, WriteError
from exporter.read import read_source

MANIFEST_SUFFIX = ".manifest.json"


@dataclass
class Report:
    """What a build did, for the summary the CLI prints."""

    outputs: list[Path] = field(default_factory=list)
    unchanged: bool = False  # nothing to do: outputs already match the source
    counts: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    styling_changed: list[str] = field(default_factory=list)
    first_build: bool = False
    deck_name: str = ""


def check_output_dir(out_dir: Path) -> None:
    if any(parent.is_file() for parent in out_dir.parents):
        raise UsageError(str(out_dir), "is inside a file, not a directory; choose an output directory with -o")
    if not out_dir.exists():
        raise UsageError(str(out_dir), f"output directory does not exist; create it (mkdir -p {out_dir}) or choose another with -o")
    if not out_dir.is_dir():
        raise UsageError(str(out_dir), "is a file, not a directory; choose an output directory with -o")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(str(out_dir), "output directory is not writable; fix its permissions or choose another with -o")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def up_to_date(raw: bytes, out_dir: Path) -> list[Path] | None:
    """The outputs, if a manifest in out_dir says they were built from exactly these bytes
    by this version and they are still in place unchanged. Cheap: parses nothing."""
    source_sha = hashlib.sha256(raw).hexdigest()
    for manifest_path in sorted(out_dir.glob("*" + MANIFEST_SUFFIX)):
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
            if manifest.get("source_sha256") != source_sha or manifest.get("tool") != __version__:
                continue
            outputs = [out_dir / name for name in manifest["outputs"]]
            if all(p.is_file() and sha256_file(p) == manifest["outputs"][p.name] for p in outputs):
                return outputs
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


def build(source_path: str | Path, out_dir: str | Path, *, force: bool = False) -> Report:
    """Build the deck and the book from a source file into out_dir."""
    out_dir = Path(out_dir)
    raw = read_source(source_path)
    check_output_dir(out_dir)
    if not force:
        outputs = up_to_date(raw, out_dir)
        if outputs is not None:
            return Report(outputs=outputs, unchanged=True)

    from exporter.load import parse  # after the fast path: it costs pydantic and yaml

    source = parse(raw, str(source_path))
    from exporter import anki, content  # only now: a broken source never pays for them

    book = content.build(source.document)
    book_id = source.document.book.id
    manifest_path = out_dir / f"{book_id}{MANIFEST_SUFFIX}"
    previous = _read_manifest(manifest_path)
    old_notes: dict = previous.get("notes", {})

    deck = anki.Deck.of(book)
    fingerprints = anki.fingerprints(deck)
    changed_keys = [k for k, h in fingerprints.items() if old_notes.get(k, {}).get("hash") != h]
    content_changed = bool(changed_keys) or previous.get("source_sha256") != source.sha256
    latest = max([previous.get("modified", 0)] + [n.get("mod", 0) for n in old_notes.values()])
    stamp = max(_now(), latest + 1) if content_changed else latest
    changed = set(changed_keys)
    mods = {k: stamp if k in changed else old_notes[k]["mod"] for k in fingerprints}
    modified = stamp if content_changed else previous["modified"]

    apkg_path, epub_path = out_dir / f"{book_id}.apkg", out_dir / f"{book_id}.epub"
    try:
        _write_all(deck, source, (apkg_path, epub_path, manifest_path), mods, modified, fingerprints)
    except OSError as e:  # a full disk, a permission changed under us: name the folder, not a temp file
        raise WriteError(str(out_dir), e.strerror or str(e)) from None

    card_ids = {card.id for card in book.cards}
    kinds: dict[str, int] = {}
    for card in book.cards:
        kinds[card.kind] = kinds.get(card.kind, 0) + 1
    return Report(
        outputs=[apkg_path, epub_path],
        counts={"chapters": len(book.chapters), **kinds},
        added=[k for k in changed_keys if k in card_ids and k not in old_notes],
        changed=[k for k in changed_keys if k in card_ids and k in old_notes],
        removed=sorted(k for k in old_notes if k not in fingerprints and not k.startswith(anki.NOTETYPE_PREFIX)),
        styling_changed=[k[len(anki.NOTETYPE_PREFIX):] for k in changed_keys
                         if k.startswith(anki.NOTETYPE_PREFIX) and k in old_notes],
        first_build=not previous,
        deck_name=book.title,
    )


def _write_all(deck, source, paths: tuple[Path, Path, Path], mods: dict, modified: int, fingerprints: dict) -> None:
    """Deck, book and manifest into place together, or none of them."""
    from exporter import anki, epub
    from exporter.write import staged

    apkg_path, epub_path, manifest_path = paths
    with staged(list(paths)) as (apkg_tmp, epub_tmp, manifest_tmp):
        anki.write(deck, apkg_tmp, mods)
        epub.write(
            deck.book, epub_tmp,
            modified=datetime.fromtimestamp(modified, timezone.utc),
            source_sha256=source.sha256,
        )
        manifest = {
            "tool": __version__,
            "source": Path(source.path).name,
            "source_sha256": source.sha256,
            "modified": modified,
            "outputs": {apkg_path.name: sha256_file(apkg_tmp), epub_path.name: sha256_file(epub_tmp)},
            "notes": {k: {"hash": fingerprints[k], "mod": mods[k]} for k in sorted(fingerprints)},
        }
        manifest_tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", "utf-8")


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text("utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("notes"), dict) else {}
    except (OSError, ValueError):
        return {}


def _now() -> int:
    """Seconds since the epoch; SOURCE_DATE_EPOCH pins it for reproducible builds and tests."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    return int(pinned) if pinned and pinned.isdigit() else int(time.time())
