"""Shared fixtures: sources to build, and a CLI runner that keeps stderr apart."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
REAL_SOURCE = ROOT / "source" / "belenko-defection.yaml"
TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory):
    """Each test keeps its own record of issued times, as a machine of its own would (its own
    MonkeyPatch: a test's monkeypatch.undo() must not send builds to the real state folder)."""
    path = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPORTER_STATE_DIR", str(path))
        yield path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the tiny source, free to edit."""
    path = tmp_path / "tiny.yaml"
    shutil.copy(TINY, path)
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a source file (it must be there)."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def png(width: int, height: int, grey: int = 0) -> bytes:
    """A greyscale PNG of one shade, made with the standard library."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def copy_images(source: Path, folder: Path) -> None:
    """The images a source shows (its images/ folder), copied beside a copy of it in `folder`."""
    if (source.parent / "images").is_dir():
        shutil.copytree(source.parent / "images", folder / "images", dirs_exist_ok=True)
