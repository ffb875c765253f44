"""The source's own syntax inside text: fact references `${name}` and cloze deletions
`{{c1::hidden::hint}}`. Parsed here, once; every other module works with the pieces.

A deletion never contains '{{' or '}}' of its own (nested deletions are not supported), so
each attempt to match one stops at the next pair of braces: checking a text full of unclosed
deletions takes linear time, not quadratic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

FACT_REF = re.compile(r"\$\{([^{}]*)\}")  # not "${{c1::...}}": a dollar before a deletion
UNCLOSED_REF = re.compile(r"\$\{(?!\{)(?![^{}]*\})")  # "${name" with no "}" before the next brace
CLOZE = re.compile(r"\{\{c(\d{1,9})::((?:(?!\{\{|\}\})[\s\S])*)\}\}")
# Anki numbers a card per deletion number; a few dozen is already a long sentence.
MAX_DELETION = 99
# A Markdown code span: a run of backticks, then anything up to a run of the same length.
# What it holds is shown as typed, so a deletion written inside one is text.
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)")
# Shown as nothing, though neither white space nor format characters (Cf, e.g. U+200B): the
# Hangul and braille blanks, the combining grapheme joiner, variation selectors.
BLANKS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def blank(text: str) -> bool:
    """Whether `text` shows nothing: white space and invisible characters only."""
    return all(c.isspace() or c in BLANKS or unicodedata.category(c) == "Cf" for c in text)


@dataclass(frozen=True)
class Deletion:
    """One hidden part of a cloze sentence: {{c<number>::<answer>::<hint>}}."""

    number: int
    answer: str
    hint: str = ""


Piece = str | Deletion  # a cloze text is text and deletions, in order


def substitute(text: str, value_of: Callable[[str], str]) -> str:
    """Replace every ${name} in text with value_of(name)."""
    return FACT_REF.sub(lambda m: value_of(m.group(1)), text)


def fact_names(text: str) -> list[str]:
    return FACT_REF.findall(text)


def _deletions(text: str) -> list[re.Match]:
    """The deletions of a cloze text, but those inside code spans. A span that opens or closes
    inside a deletion is no span: text inside and around deletions is rendered apart."""
    matches = list(CLOZE.finditer(text))
    if "`" not in text:
        return matches

    def inside(i: int) -> bool:
        return any(m.start() < i < m.end() for m in matches)

    spans = [m.span() for m in CODE_SPAN.finditer(text) if not inside(m.start()) and not inside(m.end() - 1)]
    return [m for m in matches if not any(a <= m.start() < b for a, b in spans)]


def cloze_pieces(text: str) -> tuple[Piece, ...]:
    """A cloze text split into plain text and deletions (empty text pieces left out)."""
    pieces: list[Piece] = []
    last = 0
    for m in _deletions(text):
        if m.start() > last:
            pieces.append(text[last:m.start()])
        answer, _, hint = m.group(2).partition("::")
        pieces.append(Deletion(int(m.group(1)), answer, hint))
        last = m.end()
    if last < len(text):
        pieces.append(text[last:])
    return tuple(pieces)


def find_deletion(text: str) -> str | None:
    """The first thing in `text` written as a cloze deletion, if any."""
    m = CLOZE.search(text)
    return m.group() if m else None


def cloze_problem(text: str) -> str | None:
    """Why a cloze text is malformed, or None: numbered from c1 without gaps, none empty."""
    numbers = set()
    deletions = _deletions(text)
    for m in deletions:
        if blank(m.group(2).split("::")[0]):
            return f"malformed cloze: deletion '{m.group()}' hides nothing; put the hidden text after '::'"
        numbers.add(int(m.group(1)))
    rest = CODE_SPAN.sub("", "".join(p for p in cloze_pieces(text) if isinstance(p, str)))
    if "{{" in rest or "}}" in rest:
        bad = rest[rest.find("{{"):][:30] if "{{" in rest else "}}"
        return f"malformed cloze near '{bad}'; a deletion is written {{{{c1::hidden text}}}}"
    if not numbers:
        return "malformed cloze: no deletion found; mark the hidden part as {{c1::hidden text}}"
    if 0 in numbers:
        return "malformed cloze: deletions are numbered from c1, not c0"
    if max(numbers) > MAX_DELETION:  # before listing what is missing: c10000000 would list millions
        return f"malformed cloze: c{max(numbers)} is too high; number deletions from c1 up to c{MAX_DELETION}"
    missing = sorted(set(range(1, max(numbers) + 1)) - numbers)
    if missing:
        return f"malformed cloze: numbering must start at c1 with no gaps (missing {', '.join(f'c{n}' for n in missing)})"
    return None
