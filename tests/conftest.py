"""Shared fixtures: sources to build, and a CLI runner that keeps stderr apart."""

from __future__ import annotations

import importlib.util
import random
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


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty output folder."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def _previous_build(tmp_path_factory) -> Path:
    from exporter.cli import main

    path = tmp_path_factory.mktemp("previous") / "out"
    path.mkdir()
    result = CliRunner().invoke(main, ["build", str(TINY), "-o", str(path)],
                                env={"EXPORTER_STATE_DIR": str(tmp_path_factory.mktemp("state"))})
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in path.iterdir()) == ["tiny-book.apkg", "tiny-book.epub", "tiny-book.manifest.json"]
    return path


@pytest.fixture
def previous(_previous_build: Path, tmp_path: Path) -> Path:
    """An output folder holding a good build of tiny.yaml: the previous outputs (built once, copied)."""
    copy = tmp_path / "out"
    shutil.copytree(_previous_build, copy)
    return copy


def synthetic():
    """benchmarks/synthetic.py (make_source, shape), imported by path: benchmarks/ is not a package."""
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png(width: int, height: int, grey: int = 0, noise: bool = False) -> bytes:
    """A greyscale PNG of one shade, made with the standard library; with `noise`, of random
    pixels, which do not compress: its size is then about width × height bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rng = random.Random(grey)
    rows = b"".join(b"\x00" + (rng.randbytes(width) if noise else bytes([grey]) * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0 if noise else 6))
            + chunk(b"IEND", b""))


def copy_images(source: Path, folder: Path) -> None:
    """The images a source shows (its images/ folder), copied beside a copy of it in `folder`."""
    if (source.parent / "images").is_dir():
        shutil.copytree(source.parent / "images", folder / "images", dirs_exist_ok=True)


def jpeg(width: int, height: int) -> bytes:
    """A progressive JPEG photograph-like gradient, made with Pillow."""
    import io

    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, progressive=True)
    return out.getvalue()


def illustrate(source: Path) -> dict[str, bytes]:
    """Give a copy of tiny.yaml two images: a captioned figure in the first chapter's text and a
    photograph on the back of its first card. Returns their bytes by path."""
    images = {"images/runway.png": png(40, 30, 90), "images/terminal.jpg": jpeg(60, 40)}
    for path, data in images.items():
        (source.parent / path).parent.mkdir(exist_ok=True)
        (source.parent / path).write_bytes(data)
    edit(source, "      It ran off the *end* of the runway.\n",
         "      It ran off the *end* of the runway.\n\n"
         "      ![A plan of the runway & its overrun](images/runway.png \"The runway at ${airport}\")\n")
    edit(source, "extra: It was a civil airport.",
         "extra: It was a civil airport. ![A photograph of the terminal](images/terminal.jpg)")
    return images
