"""Reproducible zip archives: the same entries give the same bytes, on any machine, at any time."""

from __future__ import annotations

import zipfile
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
