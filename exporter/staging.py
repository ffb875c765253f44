"""All-or-nothing replacement of a set of files: the new ones are written beside them and moved
into place only when every one is complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".tmp"


@contextmanager
def staged(targets: list[Path], before_move=None) -> Iterator[list[Path]]:
    """Yield temporary paths beside `targets`; move them all into place only if the block succeeds.

    `before_move`, if given, runs after the block and before the first move: whatever it
    records is in place before any output can be seen. On any exception (a renderer's, a full
    disk, Ctrl-C), while writing or while moving into place, the temporary files are removed
    and the targets are left exactly as they were.
    """
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(_temporary(target))
        yield temps
        for temp, target in zip(temps, targets):
            os.chmod(temp, _mode_for(target))
        if before_move is not None:
            before_move()
        _move_all(temps, targets)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def remove_leftovers(targets: list[Path]) -> None:
    """Delete temporary files a killed build left beside `targets` (only ours: named after them).
    Call it only while no other build of the same targets can be running."""
    for target in targets:
        for leftover in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)


def _temporary(target: Path, kind: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{kind}", suffix=TEMP_SUFFIX, dir=target.parent)
    os.close(fd)
    return Path(name)


def _mode_for(target: Path) -> int:
    """A replaced file keeps its mode; a new one gets what the umask allows, as any new file."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _move_all(temps: list[Path], targets: list[Path]) -> None:
    """Replace every target, or, if one move fails, put back the ones already moved.

    A directory offers no atomic swap of several files, so the old targets are kept aside
    until all the new ones are in place: as hard links, or, where the file system has none
    (FAT and exFAT: USB sticks and SD cards), as copies.
    """
    backups: dict[Path, Path | None] = {}
    try:
        for target in targets:
            backups[target] = None
            if target.exists():
                backup = _temporary(target, "old.")
                backup.unlink()
                try:
                    os.link(target, backup)
                except OSError:
                    shutil.copy2(target, backup)
                backups[target] = backup
        moved: list[Path] = []
        try:
            for temp, target in zip(temps, targets):
                os.replace(temp, target)
                moved.append(target)
        except BaseException:
            for target in reversed(moved):
                kept = backups[target]
                if kept is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(kept, target)
            raise
    finally:
        for kept in backups.values():
            if kept is not None:
                kept.unlink(missing_ok=True)
