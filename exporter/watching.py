"""Saves of the source, as `watch` needs them: whatever the editor's way of saving, and after
the source's folder is removed, moved or replaced (a watch dies with the folder it was on)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

LIVE = "live"  # the first watch is in place: build now, and no later save is missed
SAVED = "saved"  # the source may have changed: build again
WAITING = "waiting"  # the source's folder is gone; watching resumes when it is back


def saves(source: Path, debounce: int) -> Iterator[str]:
    """LIVE once, then SAVED after each save and WAITING while the folder is gone, until the
    caller stops (or Ctrl-C)."""
    from watchfiles import Change, watch

    live = replaced = False
    while True:
        target = source.resolve()
        folder = target.parent
        if not folder.is_dir():
            yield WAITING
            while not folder.is_dir():
                time.sleep(0.1)
            replaced = True
            continue
        identity = _identity(folder)
        try:
            # The folder, not the file: editors often save by replacing the file. The folder's
            # own deletion event says when it is removed or moved away.
            watched = (target, folder)

            def ours(_change: object, path: str, watched: tuple[Path, Path] = watched) -> bool:
                # The source, its folder, or an image it may show: a PNG or JPEG below the folder
                # (the build reads only those it shows, and rebuilds only if one of them changed).
                return Path(path) in watched or Path(path).suffix.lower() in (".png", ".jpg", ".jpeg")

            # A short step: a save is built 10 ms after the editor is done with the file, not 50.
            for changes in watch(folder, debounce=debounce, step=10, rust_timeout=200, yield_on_timeout=True,
                                 recursive=True, watch_filter=ours):
                if not live:
                    live = True
                    yield LIVE
                elif changes or replaced:  # after a new folder: whatever was saved into it meanwhile
                    yield SAVED
                replaced = False
                gone = any(change == Change.deleted and Path(path) == folder for change, path in changes)
                if gone or _identity(folder) != identity:
                    replaced = True
                    break
        except FileNotFoundError:  # removed between the look and the watch
            replaced = True


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path: a new one made in place of the old has another inode."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino
