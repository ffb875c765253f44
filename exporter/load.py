"""Source file → validated Document, with every problem located by line and column.

bytes → UTF-8 text (read) → YAML events → plain data, every scalar kept as the text the author
wrote and every position remembered (yaml_tree) → the document (document.py; if it refuses the
data, the pydantic model says why: validate) → checks that span the whole file (crosscheck).
All problems are collected and raised together.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from exporter.crosscheck import check_across
from exporter.document import validated
from exporter.errors import SourceError
from exporter.locations import Problems, Source, line_col
from exporter.media import check_images
from exporter.read import decode, read_source
from exporter.yaml_tree import FORBIDDEN, compose


def load(path: str | Path) -> Source:
    """Load and validate a source file, raising SourceError with every problem found."""
    return parse(read_source(path), str(path))


def parse(raw: bytes, path: str) -> Source:
    problems = Problems(path)
    text = decode(raw, problems)
    if text is None:
        raise SourceError(problems.items)
    problems.text = text
    for m in FORBIDDEN.finditer(text):
        line, col = line_col(text, m.start())
        kind = "control character" if unicodedata.category(m.group()) == "Cc" else "character"
        problems.add((), f"{kind} U+{ord(m.group()):04X} is not allowed "
                     "(it is invisible in most editors: delete it)", (line, col))
    if problems.items:
        raise SourceError(problems.items)
    data = compose(text, problems)
    if problems.items:
        raise SourceError(problems.items)
    document = validated(data)
    if document is None:
        from exporter.validate import validate  # pydantic: only for a source with problems

        if validate(data, problems) is not None:  # a bug: the two descriptions must agree
            raise AssertionError("document.py refused a source that model.py accepts")
    check_across(data, problems)
    media, images = check_images(data, problems, Path(path).parent)
    if problems.items or document is None:
        raise SourceError(sorted(problems.items, key=lambda p: (p.line, p.column)))
    return Source(path, raw, text, document, problems.positions, problems.key_positions, media, images)


