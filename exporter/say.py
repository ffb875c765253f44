"""What the commands say: build summaries, check results and errors, each with its exit status.

Kept apart from the command-line library, so that the plainest `build` and `check` can be run
without importing it (entry.py); cli.py says the same through it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from exporter import wording
from exporter.wording import counted
from exporter.entry import DEFAULT_SOURCE

UNCHANGED = "previous outputs are unchanged."
# How to choose another, for each thing a UsageError can be about.
CHOOSE_ANOTHER = {
    "source": f"check the path (default: {DEFAULT_SOURCE})",
    "output": "choose an output directory with -o",
    "preview": "choose another file with -o",
    "new": "choose another path",
    "collection": "",
}


def failure(error: BaseException) -> tuple[str, int]:
    """The message and exit status for an error a command ran into. A bug (anything not a domain
    error) is said briefly rather than as a traceback, unless EXPORTER_DEBUG is set: then it
    is raised again."""
    from exporter.errors import Interrupted, NoteTypeChange, SourceError, UsageError, WriteError

    if isinstance(error, SourceError):
        return f"{error}\n{counted(len(error.problems), 'problem')} found.", 1
    if isinstance(error, UsageError):
        hint = CHOOSE_ANOTHER.get(error.subject)
        return f"{error.path}: error: {error.message}" + (f"; {hint}" if hint else ""), 2
    if isinstance(error, WriteError):
        return f"{error.path}: error: {error.message}; {UNCHANGED}", 1
    if isinstance(error, NoteTypeChange):
        return wording.schema_change(error, UNCHANGED), 1
    if isinstance(error, KeyboardInterrupt):
        return f"interrupted; {UNCHANGED}", 130
    if isinstance(error, Interrupted):
        return f"stopped by signal {error.signal_number}; {UNCHANGED}", 128 + error.signal_number
    if isinstance(error, OSError):
        return f"{error.filename or 'output'}: error: {error.strerror or error}; {UNCHANGED}", 1
    if os.environ.get("EXPORTER_DEBUG") or not isinstance(error, Exception):
        raise error
    return (f"error: internal error ({type(error).__name__}: {error}); {UNCHANGED} "
            "Run with EXPORTER_DEBUG=1 for details and please report it."), 3


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the work as Ctrl-C does: temporary files go, outputs stay."""
    from exporter.errors import Interrupted

    def stop(number, _frame):
        raise Interrupted(number)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            previous[number] = signal.signal(number, stop)
        except ValueError:  # not the main thread (a test, a caller's worker): theirs to handle
            pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def up_to_date_line(outputs: list[Path]) -> str:
    return f"Up to date: {' and '.join(map(str, outputs))} already match the source; nothing to do."


def describe(report) -> str:
    """The build summary, in words a learner understands."""
    if report.unchanged:
        return up_to_date_line(report.outputs)
    lines = [f"Wrote {p} ({_size(p.stat().st_size)})" for p in report.outputs]
    c = report.counts
    total = c.get("question", 0) + c.get("cloze", 0) + c.get("term", 0)
    images = f"; {counted(c['images'], 'image')}" if c.get("images") else ""
    lines.append(
        f"{counted(c.get('chapters', 0), 'chapter')}; {counted(total, 'note')}: {c.get('question', 0)} question, "
        f"{c.get('cloze', 0)} cloze, {c.get('term', 0)} glossary (studied both ways){images}."
    )
    if report.first_build:
        lines.append(f"First build: import the .apkg into Anki (File > Import) to get the deck \"{report.deck_name}\".")
        return "\n".join(lines)
    if report.changed:
        lines.append(f"{counted(len(report.changed), 'card')} changed: re-import the deck and Anki updates "
                     f"{'it' if len(report.changed) == 1 else 'them'} in place, keeping your reviews.")
        lines.append("  " + ", ".join(report.changed))
    if report.added:
        lines.append(f"{counted(len(report.added), 'card')} added: re-import the deck to get "
                     f"{'it' if len(report.added) == 1 else 'them'}.")
        lines.append("  " + ", ".join(report.added))
    if report.removed:
        lines.append(f"{counted(len(report.removed), 'card')} removed from the source: "
                     f"{', '.join(report.removed)}. Anki keeps removed cards on import; to delete them, "
                     f"search the browser for: {report.removed_search}")
    if report.styling_changed:
        lines.append(f"Card styling changed ({', '.join(report.styling_changed)}): re-import to update it.")
    lines += wording.migrated(report.migrated) + wording.deck_changes(report.decks)
    if not (report.changed or report.added or report.removed or report.styling_changed or report.migrated
            or report.decks.renamed or report.decks.layout):
        lines.append("No card changed since the last build: re-importing the deck changes nothing.")
    return "\n".join(lines)


def checked(source, result) -> tuple[list[str], str, int]:
    """What `check` says of a checked source: the warnings (standard error), the closing line
    (standard output when it passed, standard error when it failed), and the exit status."""
    warnings = [str(w) for w in result.warnings]
    count = counted(len(warnings), "warning")
    if result.failed:
        return warnings, f"{count} (--strict makes them errors): {by_rule(result.warnings)}.", 1
    return warnings, f"{source}: ok with {count} ({by_rule(result.warnings)})" if warnings else f"{source}: ok", 0


def by_rule(warnings) -> str:
    """How many warnings each rule gave, most first: 'long-answer 2, no-subject 1'."""
    from collections import Counter

    counts = Counter(w.rule for w in warnings)
    return ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"
