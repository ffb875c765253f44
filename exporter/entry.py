"""The command's entry point. The plainest and commonest commands, `build [SOURCE] [-o DIR]`
and `check [--strict] [SOURCE]`, are run here without the command-line library, whose import
is a fifth of a build and a third of an unchanged one; an unchanged source is answered with
the standard library alone. Anything else, and anything unusual, goes to the full CLI, which
says everything the same way (say.py)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

DEFAULT_SOURCE = "source/belenko-defection.yaml"
DEFAULT_OUTPUT = "output"


def main() -> None:
    if sys.argv[1:2] != ["watch"]:
        # A run that ends when its one job does keeps what it makes (the source's tree, the
        # book) until it exits: the cyclic collector's passes over them free next to nothing
        # and cost a tenth of a large check. `watch` builds for hours, and keeps it.
        gc.disable()
    plain = _plain(sys.argv[1:])
    if plain is None:
        from exporter.cli import main as cli

        cli()
        return
    command, source, option = plain
    if command == "build":
        outputs = _unchanged(source, option)
        if outputs is not None:
            from exporter.say import up_to_date_line

            print(up_to_date_line(outputs))
            return
    sys.exit(_run(command, source, option))


def _plain(args: list[str]) -> tuple[str, str, str | bool] | None:
    """(command, SOURCE, -o DIR or --strict) of a plain build or check; None for anything else
    (--force, --help, a second SOURCE...): the CLI's business."""
    if not args or args[0] not in ("build", "check"):
        return None
    command, rest = args[0], args[1:]
    source: str | None = None
    option: str | bool | None = None
    while rest:
        arg = rest.pop(0)
        if command == "build" and arg in ("-o", "--output") and rest and option is None:
            option = rest.pop(0)
        elif command == "build" and arg.startswith("--output=") and option is None:
            option = arg[len("--output="):]
        elif command == "check" and arg == "--strict" and option is None:
            option = True
        elif not arg.startswith("-") and source is None:
            source = arg
        else:
            return None
    if command == "build":
        if option is not None and not str(option).strip():
            return None  # the CLI says what is wrong with an empty -o
        return command, source or DEFAULT_SOURCE, option or DEFAULT_OUTPUT
    return command, source or DEFAULT_SOURCE, bool(option)


def _unchanged(source: str, out_dir: str | bool) -> list[Path] | None:
    """The outputs, when they are up to date; None whenever the build should decide, errors
    included."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "")
    if pinned and not (pinned.isascii() and pinned.isdigit()):
        return None  # the build says what is wrong with it
    import stat

    from exporter import MAX_SOURCE_BYTES
    from exporter.uptodate import up_to_date

    path, folder = Path(source), Path(str(out_dir))
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SOURCE_BYTES or not folder.is_dir():
            return None
        return up_to_date(path.read_bytes(), path.parent, folder)
    except OSError:
        return None


def _run(command: str, source: str, option: str | bool) -> int:
    """Run a plain build or check as the CLI would, with the same words; its exit status."""
    from exporter import say

    with say.stopped_by_signals():
        try:
            if command == "build":
                from exporter.build import build

                report = build(source, str(option))
                for warning in report.warnings:
                    print(warning, file=sys.stderr)
                print(say.describe(report))
                return 0
            from exporter.check import check

            warnings, last, code = say.checked(source, check(source, strict=bool(option)))
        except BaseException as e:  # say.failure raises again what is not ours to word
            message, code = say.failure(e)
            print(message, file=sys.stderr)
            return code
    for warning in warnings:
        print(warning, file=sys.stderr)
    print(last, file=sys.stderr if code else sys.stdout)
    return code
