"""Writing outputs safely: reproducible zips, and all-or-nothing replacement of outputs."""

from __future__ import annotations

import os
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

# 1980-01-01, the earliest time a zip entry can carry: fixed so equal input gives equal bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_bytes_to(path: Path, entries: list[tuple[str, bytes, bool]]) -> None:
    """Write a zip whose bytes depend only on `entries`: (name, data, compress) in order."""
    with zipfile.ZipFile(path, "w") as out:
        for name, data, compress in entries:
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever machine builds it
            out.writestr(info, data, compresslevel=6 if compress else None)


@contextmanager
def staged(targets: list[Path]):
    """Yield temporary paths beside `targets`; move them all into place only if the block succeeds.

    On any exception (a renderer's, a full disk, Ctrl-C), while writing or while moving into
    place, the temporary files are removed and the targets are left exactly as they were.
    """
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(_temporary(target))
        yield temps
        for temp in temps:
            os.chmod(temp, 0o644)
        _move_all(temps, targets)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _temporary(target: Path, kind: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{kind}", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _move_all(temps: list[Path], targets: list[Path]) -> None:
    """Replace every target, or, if one move fails, put back the ones already moved.

    A directory offers no atomic swap of several files, so the old targets are kept as hard
    links until all the new ones are in place.
    """
    backups: dict[Path, Path | None] = {}
    try:
        for target in targets:
            backups[target] = None
            if target.exists():
                backup = _temporary(target, "old.")
                backup.unlink()
                os.link(target, backup)
                backups[target] = backup
        moved: list[Path] = []
        try:
            for temp, target in zip(temps, targets):
                os.replace(temp, target)
                moved.append(target)
        except BaseException:
            for target in reversed(moved):
                backup = backups[target]
                if backup is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(backup, target)
            raise
    finally:
        for backup in backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)
