"""The real source in each peer's input format, made by exporter's own loader and content step.

`write_inputs(source, folder)` writes, from the loaded and validated source:

- `book.md`: Pandoc Markdown for the EPUB. A metadata block, then the book in exporter's
  reading order: each chapter's prose followed by its cards as review questions, the
  back-matter parts with their entries, the answers, the sources.
- `ankdown/<book id>/NN-<section>.md`: ankdown's card format (front, `%`, back, `%`, tags;
  cards separated by `---`), one file per section. ankdown has no cloze note type, so a
  cloze card becomes its sentence with blanks on the front and the whole sentence on the back.
- `notes.json`: every note's final HTML fields as exporter renders them, for `genanki_deck`,
  which makes a deck from them with genanki alone.

Every peer gets the same cards and prose, with facts substituted: only the tool differs.
Imports of exporter (and so of its loader's libraries) happen inside `write_inputs`, so the genanki-alone
process imports nothing but genanki.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_inputs(source: str | Path, folder: str | Path) -> dict[str, int]:
    """Write the three inputs into folder; the note count of each kind."""
    from exporter import content
    from exporter.load import load

    class Markdown(content.Content):
        """Facts filled in, Markdown left as written: the peers render it themselves."""

        def block(self, text: str) -> str:
            return self._facts(text)

        inline = block

        def cloze(self, text: str):
            from exporter.syntax import Deletion, cloze_pieces

            return tuple(Deletion(p.number, self._facts(p.answer), self._facts(p.hint)) if isinstance(p, Deletion)
                         else self._facts(p) for p in cloze_pieces(self._facts(text)))

    folder = Path(folder)
    loaded = load(source)
    document = loaded.document
    book = content.build(document, Markdown)
    (folder / "book.md").write_text(_pandoc_markdown(book), "utf-8")
    deck = folder / "ankdown" / book.meta.id
    deck.mkdir(parents=True, exist_ok=True)
    for n, section in enumerate(book.sections, 1):
        cards = "\n---\n\n".join(_ankdown_card(card) for card in section.cards)
        (deck / f"{n:02d}-{section.id}.md").write_text(cards, "utf-8")

    rendered = content.build(document, media=loaded.media)
    notes = [{"kind": card.kind, "id": f"{book.meta.id}:{card.id}", "tags": list(card.tags),
              "fields": _fields(card)} for card in rendered.cards]
    deck_name = rendered.title
    # The images, for every peer to carry: under their source paths (book.md names them so,
    # pandoc reads them from the folder; ankdown, beside its cards) and under their names in
    # the notes (genanki).
    for path, image in loaded.media.items():
        (deck / path).parent.mkdir(parents=True, exist_ok=True)
        (deck / path).write_bytes(image.data)
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(image.data)
    for name, image in rendered.media.items():
        (folder / name).write_bytes(image.data)
    (folder / "notes.json").write_text(json.dumps({"deck": deck_name, "notes": notes, "media": list(rendered.media)},
                                                  ensure_ascii=False), "utf-8")
    kinds: dict[str, int] = {}
    for card in rendered.cards:
        kinds[card.kind] = kinds.get(card.kind, 0) + 1
    return kinds


def _fields(card) -> list[str]:
    """A note's fields in the order of exporter's note types."""
    if card.kind == "cloze":
        from exporter.anki import cloze_field

        return [cloze_field(card), card.extra, card.label, card.id]
    return [card.front, card.back, card.extra, card.label, card.id]


def _entry_fields(entry) -> dict[str, str]:
    """A back-matter entry's fields: a dict, or a record (a msgspec Struct)."""
    if isinstance(entry, dict):
        return dict(entry)
    return {name: getattr(entry, name) for name in entry.__struct_fields__}


def _question(card) -> tuple[str, str]:
    """A card as a question and its answer, in Markdown."""
    from exporter.content import cloze_blank, cloze_reveal

    if card.kind == "cloze":
        front, back = cloze_blank(card.cloze), cloze_reveal(card.cloze, "strong")
    else:
        front, back = card.front, card.back
    return front, f"{back}\n\n{card.extra}" if card.extra else back


def _pandoc_markdown(book) -> str:
    meta = book.meta
    head = {"title": book.title, "subtitle": book.subtitle, "author": meta.author, "lang": meta.language,
            "rights": meta.rights, "description": meta.description, "date": meta.edition}
    # JSON strings are YAML strings: no quoting rules to get wrong.
    out = ["---"] + [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in head.items() if value]
    out += ["---", ""]
    answers = []
    for section in book.sections:
        out += [f"# {section.label} {{#{section.id}}}", "", section.html, ""]
        for entry in section.entries:
            fields = [v for k, v in _entry_fields(entry).items() if k != "id" and v]
            out += [f"**{fields[0]}**: {fields[1] if len(fields) > 1 else ''}", ""] + [f + "\n" for f in fields[2:]]
        questions = [card for card in section.cards if card.kind != "term"]
        if questions:
            out += ["## Check your understanding", ""]
            for n, card in enumerate(questions, 1):
                front, back = _question(card)
                out += [f"{n}. {front}", ""]
                answers += [f"**{section.label}, {n}.** {back}", ""]
    out += ["# Answers {#answers}", ""] + answers
    out += ["# Sources {#sources}", ""] + [f"- {text}" for _, text in book.sources] + [""]
    return "\n".join(out)


def _ankdown_card(card) -> str:
    front, back = _question(card)
    return f"{front}\n\n%\n\n{back}\n\n%\n\n{', '.join(card.tags)}\n"


def genanki_deck(notes_file: str | Path, out: str | Path) -> None:
    """A deck from ready notes with genanki alone: three note types like exporter's, one deck."""
    import genanki

    data = json.loads(Path(notes_file).read_text("utf-8"))

    def fields(*names: str) -> list[dict]:
        return [{"name": name} for name in names]

    def back(field: str) -> str:
        return "{{FrontSide}}<hr id=answer>{{%s}}<div>{{Extra}}</div><div>{{Source}}</div>" % field

    models = {
        "question": genanki.Model(1607392301, "Question", fields("Question", "Answer", "Extra", "Source", "Id"),
                                  [{"name": "Question", "qfmt": "{{Question}}", "afmt": back("Answer")}]),
        "cloze": genanki.Model(1607392302, "Cloze", fields("Text", "Extra", "Source", "Id"),
                               [{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                                 "afmt": "{{cloze:Text}}<div>{{Extra}}</div><div>{{Source}}</div>"}],
                               model_type=genanki.Model.CLOZE),
        "term": genanki.Model(1607392303, "Term", fields("Term", "Definition", "Extra", "Source", "Id"),
                              [{"name": "Term", "qfmt": "{{Term}}", "afmt": back("Definition")},
                               {"name": "Definition", "qfmt": "{{Definition}}", "afmt": back("Term")}]),
    }
    deck = genanki.Deck(2059400110, data["deck"])
    for note in data["notes"]:
        deck.add_note(genanki.Note(model=models[note["kind"]], fields=note["fields"], tags=note["tags"],
                                   guid=genanki.guid_for(note["id"])))
    media = [str(Path(notes_file).parent / name) for name in data.get("media", [])]
    genanki.Package(deck, media_files=media).write_to_file(str(out))
