"""Domain errors. Library code raises them; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
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
    """A path given on the command line cannot be used (exit status 2)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: error: {message}")


class WriteError(Exception):
    """The outputs could not be written (exit status 1); the previous ones are untouched."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: error: {message}; previous outputs are unchanged.")
