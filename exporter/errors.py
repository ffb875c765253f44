"""Domain errors. Library code raises them; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from msgspec import Struct

if TYPE_CHECKING:
    from exporter.manifest import Schema


class Problem(Struct, frozen=True):
    """One located problem in a source file."""

    path: str
    line: int
    column: int
    key: str
    message: str
    severity: str = "error"
    rule: str = ""  # warnings only: the lint rule that found it, for the count per rule

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {self.severity}: {key}{self.message}"


class SourceError(Exception):
    """The source has problems; every one of them is listed."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class UsageError(Exception):
    """A path or setting that cannot be used. `subject` says which one, so the CLI can say
    how to choose another."""

    def __init__(self, path: str, message: str,
                 subject: Literal["source", "output", "preview", "new", "collection", ""] = ""):
        super().__init__(f"{path}: {message}")
        self.path, self.message, self.subject = path, message, subject


class WriteError(Exception):
    """The outputs could not be written; the previous ones are untouched."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


class SchemaChange(Struct, frozen=True):
    """One note type whose field or template names a build would change."""

    before: Schema
    after: Schema
    notes: int  # notes of it that learners may already have


class NoteTypeChange(Exception):
    """A build would change what Anki matches note types by; it stops unless told to migrate."""

    def __init__(self, manifest_path: str, changes: list[SchemaChange]):
        super().__init__(", ".join(c.after.name for c in changes))
        self.path, self.changes = manifest_path, changes


class Interrupted(Exception):
    """A signal stopped the work (Ctrl-C, SIGTERM, SIGHUP); the previous outputs are untouched."""

    def __init__(self, signal_number: int):
        super().__init__(f"signal {signal_number}")
        self.signal_number = signal_number
