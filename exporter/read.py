"""Reading the source file: kept apart so the no-change fast path imports nothing heavy."""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path

from exporter import MAX_SOURCE_BYTES
from exporter.errors import UsageError
from exporter.locations import Problems, line_col

LONE_CR = re.compile(r"\r(?!\n)")
# MAX_SOURCE_BYTES: the real source is 50 KB and 10,000 cards about 3.5 MB; a file of over
# 32 MiB is not a study source (a disk image, a log), and reading it whole would exhaust memory.
# A FIFO opened for reading waits for a writer; non-blocking, the open returns at once.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def read_source(path: str | Path) -> bytes:
    """The source's bytes, or a UsageError that says what is wrong with the path.

    Only a regular file of at most MAX_SOURCE_BYTES is read, and never more than that: a
    device (/dev/zero, /dev/urandom) or a pipe would be read forever or block forever."""
    p = Path(path)
    try:
        _check_file(p, os.stat(p))  # before opening: opening some devices does something
        fd = os.open(p, OPEN_FLAGS)
    except FileNotFoundError:
        raise UsageError(str(path), "no such file", "source") from None
    except OSError as e:
        raise UsageError(str(path), f"cannot read: {e.strerror}") from None
    try:
        with open(fd, "rb", closefd=True) as f:
            _check_file(p, os.fstat(fd))  # the same file that was looked at, not one swapped in since
            raw = f.read(MAX_SOURCE_BYTES + 1)
    except OSError as e:
        raise UsageError(str(path), f"cannot read: {e.strerror}") from None
    if len(raw) > MAX_SOURCE_BYTES:  # it grew after the check
        raise _too_large(p)
    return raw


def _check_file(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(str(path), "is a directory; give the path of a source .yaml file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(str(path), "is not a regular file (a device, a pipe or a socket); "
                         "give the path of a source .yaml file")
    if info.st_size > MAX_SOURCE_BYTES:
        raise _too_large(path)


def _too_large(path: Path) -> UsageError:
    return UsageError(str(path), f"is larger than {MAX_SOURCE_BYTES // 2**20} MiB, the most a source may be; "
                      "is it the right file?")


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
