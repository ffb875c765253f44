"""Where things are in a source file: keys into its data, line and column of each, and the
problems found so far. Shared by every step that reports against the file."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from exporter.errors import Problem

if TYPE_CHECKING:
    from exporter.document import Document
    from exporter.media import Media, Use

Key = tuple[Any, ...]  # a path into the data: ("chapters", 3, "cards", 2, "answer")


class Source(Struct, frozen=True, dict=True):  # a __dict__ for the cached hash
    """A loaded source: the document plus what is needed to point back into the file."""

    path: str
    raw: bytes  # the file as read
    text: str
    document: Document
    positions: dict  # Key -> (line, column) of the value
    key_positions: dict  # Key -> (line, column) of the mapping key naming it
    media: dict[str, Media] = field(default_factory=dict)  # every image shown, by its path
    images: tuple[Use, ...] = ()  # where each is shown

    def where(self, key: Key) -> tuple[int, int]:
        """Line and column of the value at `key`, or of its nearest located parent."""
        return nearest(self.positions, key)

    @cached_property
    def sha256(self) -> str:
        import hashlib  # only a build needs it: check stays without

        return hashlib.sha256(self.raw).hexdigest()


def nearest(positions: dict, key: Key) -> tuple[int, int]:
    while key not in positions and key:
        key = key[:-1]
    return positions.get(key, (1, 1))


def format_key(key: Key) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class Problems:
    """Every problem found in one file, and where each value of it was written."""

    def __init__(self, path: str):
        self.path = path
        self.items: list[Problem] = []
        self.positions: dict = {}
        self.key_positions: dict = {}
        self.spans: dict = {}  # Key -> (start, end) character index of a scalar
        self.text = ""

    def add(self, key: Key, message: str, at: tuple[int, int] | None = None) -> None:
        line, col = at or self.where(key)
        self.items.append(Problem(self.path, line, col, format_key(key), message))

    def where(self, key: Key) -> tuple[int, int]:
        return nearest(self.positions, key)




def describe(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, tuple):
        return "a list"
    return f"text '{value}'" if value else "nothing"


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib  # only a broken source needs it

    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(choices)})" if choices else ""
