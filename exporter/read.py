"""Reading the source file: kept apart so the no-change fast path imports nothing heavy."""

from __future__ import annotations

from pathlib import Path

from exporter.errors import UsageError


def read_source(path: str | Path) -> bytes:
    """The source's bytes, or a UsageError that says what is wrong with the path."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(str(path), "is a directory; give the path of a source .yaml file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise UsageError(str(path), "no such file; check the path (default: source/belenko-defection.yaml)") from None
    except OSError as e:
        raise UsageError(str(path), f"cannot read: {e.strerror}") from None
