"""Shared fixtures: sources to build, and a CLI runner that keeps stderr apart."""

from __future__ import annotations

import importlib.util
import shutil
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
