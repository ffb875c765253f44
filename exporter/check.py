"""The check pipeline: source → warnings. Apart from build.py so that it imports none of what
a build needs (manifest, clock, writers): `check` is meant to be quick."""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct

from exporter.errors import Problem
from exporter.lint import lint
from exporter.load import load


class Checked(Struct):
    """What `check` found: warnings, and whether they fail the check."""

    warnings: list[Problem]
    failed: bool


def check(source_path: str | Path, *, strict: bool = False) -> Checked:
    """Validate a source (SourceError on errors) and lint it; strict makes warnings fail."""
    warnings = lint(load(source_path))
    return Checked(warnings, strict and bool(warnings))
