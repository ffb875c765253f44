"""Reading the source file: kept apart so the no-change fast path imports nothing heavy."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from exporter.errors import UsageError
from exporter.locations import Problems, line_col

LONE_CR = re.compile(r"\r(?!\n)")


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


def decode(raw: bytes, problems: Problems) -> str | None:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start].decode("utf-8", "replace")
        line, col = line_col(before, len(before))
        problems.add((), f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x}); "
                     "save it as UTF-8 in your editor", (line, col))
        return None
    # A lone CR (classic Mac OS) ends a line for YAML and for editors; as LF it does for our
    # line counting too. One character for one: every index into the text stays valid.
    text = LONE_CR.sub("\n", text)
    if text.count("\x00") > 10:  # binary or UTF-16: one problem, not one per NUL byte
        line, col = line_col(text, text.index("\x00"))
        problems.add((), "the file holds NUL bytes: it is binary, or not saved as UTF-8; "
                     "save it as UTF-8 text in your editor", (line, col))
        return None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        problems.add((), "the file is empty; start from the example in README.md", (1, 1))
        return None
    return text
