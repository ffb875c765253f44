"""Whether a build can stop at once: the outputs beside a manifest were built from exactly
this source by this version, and this machine has issued nothing newer for them.

Standard library only, and nothing of the pipeline: an unchanged build then costs little more
than starting Python. The manifest and the record are read leniently here (anything unexpected
means "not up to date", and the full build says what is wrong)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from exporter import __version__

SUFFIX = ".manifest.json"
LEGACY_NOTETYPE_PREFIX = "notetype:"  # manifests before note types had their own table


def state_dir() -> Path:
    """Where records live: EXPORTER_STATE_DIR, or the platform's per-user state folder."""
    configured = os.environ.get("EXPORTER_STATE_DIR")
    if configured:
        return Path(configured)
    if sys.platform.startswith("linux"):  # what platformdirs says there, without its import
        return Path(os.environ.get("XDG_STATE_HOME", "").strip() or Path.home() / ".local" / "state") / "exporter"
    from platformdirs import user_state_dir

    return Path(user_state_dir("exporter", appauthor=False))


def record_path(book_id: str) -> Path:
    return state_dir() / "issued" / f"{book_id}.json"


def output_paths(out_dir: Path, book_id: str) -> tuple[Path, Path, Path]:
    """The deck, the book and the manifest."""
    return out_dir / f"{book_id}.apkg", out_dir / f"{book_id}.epub", out_dir / f"{book_id}{SUFFIX}"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def up_to_date(raw: bytes, folder: Path, out_dir: Path) -> list[Path] | None:
    """The deck and the book, if they need no build from these source bytes and the images the
    manifest lists below the source's `folder`; else None."""
    source_sha = hashlib.sha256(raw).hexdigest()
    for manifest_path in sorted(out_dir.glob("*" + SUFFIX)):
        book_id = manifest_path.name[: -len(SUFFIX)]
        outputs = list(output_paths(out_dir, book_id)[:2])
        try:
            previous = _json(manifest_path)
            if (not isinstance(previous, dict) or previous.get("source_sha256") != source_sha
                    or previous.get("tool") != __version__
                    or previous.get("outputs") != {p.name: sha256_file(p) if p.is_file() else None for p in outputs}
                    or not isinstance(previous.get("images", {}), dict)
                    or any(sha256_file(folder / path) != sha for path, sha in previous.get("images", {}).items())):
                continue
            built = stamps(previous)
            record = _json(record_path(book_id))
        except FileNotFoundError:
            record = None
        except (OSError, ValueError, RecursionError):
            continue
        if built is None:
            continue
        issued = stamps(record) if record is not None else built
        if issued is not None and all(issued[kind].get(k) == s for kind in built for k, s in built[kind].items()):
            return outputs
    return None


def stamps(data: object) -> dict[str, dict[str, tuple[str, int]]] | None:
    """The (hash, mod) of each note and note type, or None if they are not well formed."""
    if not isinstance(data, dict):
        return None
    out: dict[str, dict[str, tuple[str, int]]] = {"notes": {}, "note_types": {}}
    for kind in out:
        table = data.get(kind, {})
        if not isinstance(table, dict):
            return None
        for key, value in table.items():
            if not (isinstance(value, dict) and isinstance(value.get("hash"), str) and type(value.get("mod")) is int):
                return None
            if kind == "notes" and key.startswith(LEGACY_NOTETYPE_PREFIX):
                out["note_types"][key[len(LEGACY_NOTETYPE_PREFIX):]] = (value["hash"], value["mod"])
            else:
                out[kind][key] = (value["hash"], value["mod"])
    return out


def _json(path: Path) -> object:
    with open(path, "rb") as f:
        return json.loads(f.read())
