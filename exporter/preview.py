"""One static HTML page showing every card, front and back, with the deck's own templates and
CSS, grouped by chapter: a way to review the cards without Anki. No server, no network."""

from __future__ import annotations

import html
import re
from pathlib import Path

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


def write(book: content.Book, path: Path) -> None:
    deck = anki.Deck.of(book)
    models, notes = deck.models, deck.notes
    css = anki.asset("card.css")
    parts = []
    for section in book.sections:
        section_notes = [n for n in notes if n.card.section_id == section.id]
        if not section_notes:
            continue
        parts.append(f"<h2>{html.escape(section.label)}</h2>")
        for note in section_notes:
            model = models[note.card.kind]
            fields = dict(zip(anki.FIELDS[note.card.kind], note.fields))
            ordinals = content.cloze_numbers(note.card) if note.card.kind == "cloze" else [1]
            for template in model.templates:
                for ordinal in ordinals:
                    q = render(template["qfmt"], fields, ordinal)
                    a = render(template["afmt"], fields, ordinal, answer=True, front=q)
                    parts.append(
                        f'<article id="{note.card.id}"><p class="meta">{html.escape(note.card.id)} · '
                        f'{html.escape(template["name"])}</p><div class="pair">'
                        f'<div class="card">{q}</div><div class="card">{a}</div></div></article>'
                    )
    page = f"""<!DOCTYPE html>
<html lang="{html.escape(book.meta.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(book.title)}: card preview</title>
<style>
{css}
body {{ margin: 0 auto; max-width: 70em; padding: 1em; font-family: system-ui, sans-serif; }}
.pair {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
.pair .card {{ border: 1px solid #ccc; border-radius: 8px; min-height: 8em; }}
.meta {{ color: #666; font-size: 0.8em; margin: 1.5em 0 0.3em; }}
</style>
</head>
<body>
<h1>{html.escape(book.title)}: {len(book.cards)} notes</h1>
<p>Front on the left, back on the right, as Anki shows them.</p>
{chr(10).join(parts)}
</body>
</html>
"""
    path.write_text(page, "utf-8")
