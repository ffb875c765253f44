"""A chapter's sections: each top-level heading of its text starts one, named by its words.

They are the way back from a card to the passage that teaches it: the book lists them in its
contents and anchors them, the card's Source names one ("Chapter 5 – The Flight › The
landing"). A section's id derives from its heading's words alone, made unique within its
chapter, so an edit moves ids, and the sections cards are tied to, only in the chapter it
touches: the cards of every other chapter stay unchanged.

Headings are found by their lines, without a Markdown parser (`check` validates `section:`
keys without one): a line that starts with '#' (up to six, then a space), outside a fenced
code block. The chapter's highest level of such headings starts sections; deeper ones stay
inside them.
"""

from __future__ import annotations

import re
import unicodedata

from msgspec import Struct

from exporter import rules

ATX = re.compile(r"(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


class Chunk(Struct, frozen=True):
    """A chapter's text from one section heading to the next (Markdown, facts unfilled)."""

    id: str  # "" for the opening, the text before the first heading
    title: str  # the heading's text; "" for the opening
    level: int  # the heading's level (1 for '#'); 0 for the opening
    text: str  # the text after the heading


def split(text: str) -> list[Chunk]:
    """The opening (maybe empty), then one chunk per section, in order."""
    lines = text.splitlines(keepends=True)
    headings = _headings(lines)
    top = min((level for _, level, _ in headings), default=0)
    starts = [(i, level, title) for i, level, title in headings if level == top]
    chunks = [Chunk("", "", 0, "".join(lines[: starts[0][0] if starts else len(lines)]))]
    ids: set[str] = set()
    for n, (i, level, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        chunks.append(Chunk(_unique(slug(title) or f"section-{n + 1}", ids), title, level, "".join(lines[i + 1:end])))
    return chunks


def anchor(section_id: str) -> str:
    """The id of a section's heading in the book."""
    return f"sec-{section_id}"


def section_ids(text: str) -> list[str]:
    return [chunk.id for chunk in split(text)[1:]]


def slug(title: str) -> str:
    """An id from a heading's words: 'The MiG-25's Landing' → 'the-mig-25s-landing'."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", folded)))


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of each heading line with text, outside fenced code."""
    found, fence = [], ""
    for i, line in enumerate(lines):
        line = line.rstrip("\r\n")
        if fence:
            closing = FENCE.match(line)
            if closing and closing.group(1).startswith(fence) and not line[closing.end():].strip():
                fence = ""
            continue
        opening = FENCE.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end():]):
            fence = opening.group(1)
            continue
        m = ATX.fullmatch(line)
        title = (m.group(2) or "").strip() if m else ""
        if m and title.strip("#"):  # "# #" is an empty heading
            found.append((i, len(m.group(1)), title))
    return found


def teaching(answers: list[str], question: str, sections: list[str]) -> int:
    """Which of a chapter's sections (their plain text, the opening first) teaches a card:
    the one holding most of its answers' key words, then most of its question's; the
    earliest of equals. 0, the opening, when none holds any."""
    wanted, asked = rules.stems(" ".join(answers)), rules.stems(question)
    scores = [(len(wanted & words), len(asked & words)) for words in map(rules.stems, sections)]
    best = max(scores, default=(0, 0))
    return scores.index(best) if best > (0, 0) else 0
