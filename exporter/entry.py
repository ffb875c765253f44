"""The command's entry point. `exporter build` of an unchanged source is answered here, with
the standard library alone, before the command-line library is even imported: that import is
a third of such a run. Anything else, and anything unusual, goes to the full CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_SOURCE = "source/belenko-defection.yaml"
DEFAULT_OUTPUT = "output"


def up_to_date_line(outputs: list[Path]) -> str:
    return f"Up to date: {' and '.join(map(str, outputs))} already match the source; nothing to do."


def main() -> None:
    outputs = _unchanged(sys.argv[1:])
    if outputs is not None:
        print(up_to_date_line(outputs))
        return
    from exporter.cli import main as cli

    cli()


def _unchanged(args: list[str]) -> list[Path] | None:
    """The outputs, when `args` are a plain build (`build [SOURCE] [-o DIR]`) whose outputs are
    up to date; None whenever the full CLI should decide, errors included."""
    if not args or args[0] != "build":
        return None
    source, out_dir, rest = None, None, args[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("-o", "--output") and rest and out_dir is None:
            out_dir = rest.pop(0)
        elif arg.startswith("--output=") and out_dir is None:
            out_dir = arg[len("--output="):]
        elif not arg.startswith("-") and source is None:
            source = arg
        else:
            return None  # --force, --help, a second SOURCE, anything else: the CLI's business
    if out_dir is not None and not out_dir.strip():
        return None
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "")
    if pinned and not (pinned.isascii() and pinned.isdigit()):
        return None  # the full build says what is wrong with it
    import stat

    from exporter.uptodate import MAX_SOURCE_BYTES, up_to_date

    path, folder = Path(source or DEFAULT_SOURCE), Path(out_dir or DEFAULT_OUTPUT)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SOURCE_BYTES or not folder.is_dir():
            return None
        return up_to_date(path.read_bytes(), path.parent, folder)
    except OSError:
        return None
