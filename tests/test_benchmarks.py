"""The benchmarks' own code keeps working as the exporter changes: it is not run by the suite
otherwise, and a broken benchmark only shows when someone needs its numbers."""

from __future__ import annotations

import importlib.util
import json

from conftest import REAL_SOURCE, ROOT
from exporter import content
from exporter.load import load


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_peers_inputs_hold_every_note_and_every_entry(tmp_path):
    """peers.py times other tools on these inputs: they must carry the whole book."""
    kinds = _module("peer_inputs").write_inputs(REAL_SOURCE, tmp_path)
    loaded = load(REAL_SOURCE)
    book = content.build(loaded.document, media=loaded.media)
    assert sum(kinds.values()) == len(book.cards)
    assert len(json.loads((tmp_path / "notes.json").read_text("utf-8"))["notes"]) == len(book.cards)
    markdown = (tmp_path / "book.md").read_text("utf-8")
    assert all(f"{{#{section.id}}}" in markdown for section in book.sections)  # every chapter and part
    cards = [c for deck in (tmp_path / "ankdown").glob("*/*.md") for c in deck.read_text("utf-8").split("\n---\n") if c.strip()]
    assert len(cards) == len(book.cards)
