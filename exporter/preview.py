"""One static HTML page showing every card, front and back, with the deck's own templates and
CSS, grouped by chapter: a way to review the cards without Anki. No server, no network."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path

from msgspec import Struct

from exporter import anki, content
from exporter.syntax import CLOZE

SECTION = re.compile(r"\{\{#(\w+)\}\}(.*?)\{\{/\1\}\}", re.S)
FIELD = re.compile(r"\{\{(?:(cloze):)?(\w+)\}\}")


def render(template: str, fields: dict[str, str], ordinal: int = 1, answer: bool = False, front: str = "") -> str:
    """The subset of Anki's template language the deck's templates use."""
    template = SECTION.sub(lambda m: m.group(2) if fields.get(m.group(1)) else "", template)

    def field(m: re.Match) -> str:
        if m.group(2) == "FrontSide":
            return front
        value = fields[m.group(2)]
        return _cloze(value, ordinal, answer) if m.group(1) else value

    return FIELD.sub(field, template)


def _cloze(text: str, ordinal: int, answer: bool) -> str:
    def one(m: re.Match) -> str:
        hidden, _, hint = m.group(2).partition("::")
        if int(m.group(1)) != ordinal:
            return hidden
        return f'<span class="cloze">{hidden if answer else "[" + (hint or "…") + "]"}</span>'

    return CLOZE.sub(one, text)


# What the apps themselves add around a card, for a page that shows one as they do: Anki
# desktop's reviewer (ts/reviewer/reviewer.scss, its theme variables written out as colours)
# and AnkiDroid (assets/flashcard.css).
APP_CSS = """hr { background-color: #a9a9a9; }
body.nightMode { background-color: #2c2c2c; color: #fcfcfc; }
body.night_mode { color: white; background-color: black; }"""


class Side(Struct, frozen=True):
    """One card of a note, front and back, rendered as Anki renders them."""

    card: content.StudyCard
    template: str  # the template's name
    front: str
    back: str


def sides(book: content.Book) -> Iterator[Side]:
    """Every card of the deck, in book order."""
    deck = anki.Deck.of(book)
    for note in deck.notes:
        fields = dict(zip(anki.FIELDS[note.card.kind], note.fields))
        ordinals = content.cloze_numbers(note.card) if note.card.kind == "cloze" else [1]
        for template in deck.models[note.card.kind].templates:
            for ordinal in ordinals:
                front = render(template["qfmt"], fields, ordinal)
                yield Side(note.card, template["name"], front, render(template["afmt"], fields, ordinal, True, front))


def with_images(book: content.Book, page: str) -> str:
    """The page with each image in it as a data: URI: one file that shows everything, wherever
    it is moved, with no folder of media beside it."""
    for name, image in book.media.items():
        if f'src="{name}"' in page:
            uri = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode()}"
            page = page.replace(f'src="{name}"', f'src="{uri}"')
    return page


def card_page(book: content.Book, side_html: str, night: bool = False) -> str:
    """One side as a page of its own, laid out as Anki's apps lay it out (the body is the card)."""
    night_classes = " nightMode night_mode" if night else ""
    return _page(book, book.title, [APP_CSS, anki.asset("card.css")], f"card card1{night_classes}", side_html)


def write(book: content.Book, path: Path) -> None:
    parts, label = [], None
    for side in sides(book):
        if side.card.label != label:
            label = side.card.label
            parts.append(f"<h2>{html.escape(label)}</h2>")
        parts.append(
            f'<article id="{side.card.id}"><p class="meta">{html.escape(side.card.id)} · '
            f'{html.escape(side.template)}</p><div class="pair">'
            f'<div class="card">{side.front}</div><div class="card">{side.back}</div></div></article>'
        )
    body = (f"<h1>{html.escape(book.title)}: {len(book.cards)} notes</h1>\n"
            "<p>Front on the left, back on the right, as Anki shows them.</p>\n" + "\n".join(parts))
    path.write_text(_page(book, f"{book.title}: card preview", [anki.asset("card.css") + PAGE_CSS], "", body), "utf-8")


PAGE_CSS = """
body { margin: 0 auto; max-width: 70em; padding: 1em; font-family: system-ui, sans-serif; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.pair .card { border: 1px solid #ccc; border-radius: 8px; min-height: 8em; }
.meta { color: #666; font-size: 0.8em; margin: 1.5em 0 0.3em; }"""


def _page(book: content.Book, title: str, styles: list[str], body_class: str, body: str) -> str:
    """A whole HTML page in the book's language, its images inlined."""
    style = "".join(f"<style>\n{css}\n</style>\n" for css in styles)
    body_open = f'<body class="{body_class}">' if body_class else "<body>"
    return with_images(book, f"""<!DOCTYPE html>
<html lang="{html.escape(book.meta.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
{style}</head>
{body_open}
{body}
</body>
</html>
""")
