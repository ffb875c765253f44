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


def synthetic():
    """benchmarks/synthetic.py (make_source, shape), imported by path: benchmarks/ is not a package."""
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
