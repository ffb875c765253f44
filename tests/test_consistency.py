"""One truth: the deck and the book, read back as a user's software reads them, agree.

The deck is read from the SQLite collection inside the .apkg, the book from the XHTML inside
the .epub; nothing here asks the exporter what it meant to write.
"""

from __future__ import annotations

import json
import re
import sqlite3
import shutil
import zipfile
from pathlib import Path

import msgspec
import pytest
from lxml import etree

from conftest import REAL_SOURCE, ROOT, copy_images
from helpers import read_deck
from exporter.build import build
from exporter.content import cloze_blank, cloze_reveal, plain
from exporter.syntax import cloze_pieces
from exporter.load import load

XHTML = "{http://www.w3.org/1999/xhtml}"
OUTPUT = ROOT / "output"


def _text(element) -> str:
    """Plain text of an element without its links to questions/answers."""
    copy = etree.fromstring(etree.tostring(element))
    for link in copy.iter(f"{XHTML}a"):
        if link.get("class") in ("noteref", "backlink"):
            link.getparent().remove(link) if link.tail is None else _drop_keep_tail(link)
    return " ".join("".join(copy.itertext()).split())


def _drop_keep_tail(link) -> None:
    parent, previous = link.getparent(), link.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + link.tail
    else:
        parent.text = (parent.text or "") + link.tail
    parent.remove(link)


def read_book(epub: Path) -> dict:
    """Questions, answers and labels (the chapter's title, and the title of the section the
    answer links to) by card id; XHTML pages by name; spine order."""
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        ns = {"opf": "http://www.idpf.org/2007/opf"}
        hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", ns)}
        spine = [hrefs[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", ns)]
        pages = {name: z.read(f"EPUB/{name}") for name in hrefs.values() if name.endswith(".xhtml")}
        raw = {name: z.read(name) for name in z.namelist()}
    questions, answers, extras, labels, asked, passages = {}, {}, {}, {}, {}, {}
    roots = {name: etree.fromstring(data) for name, data in pages.items()}
    for root in roots.values():
        h1 = root.find(f".//{XHTML}h1")
        for li in root.iter(f"{XHTML}li"):
            ident = li.get("id") or ""
            if ident.startswith("q-"):
                questions[ident[2:]] = _text(li)
                labels[ident[2:]] = " ".join("".join(h1.itertext()).split())
        for note in root.iter(f"{XHTML}div"):
            ident = note.get("id") or ""
            if ident.startswith("a-"):  # its question, its answer, any context, the way to its passage
                paragraphs = {p.get("class"): p for p in note.findall(f"{XHTML}p")}
                asked[ident[2:]] = _text(paragraphs["question"])
                answers[ident[2:]] = _text(paragraphs[None])
                extras[ident[2:]] = _text(paragraphs["extra"]) if "extra" in paragraphs else ""
                passages[ident[2:]] = paragraphs["passage"].find(f"{XHTML}a").get("href").partition("#")
    for card_id, (page, _, fragment) in passages.items():
        if fragment.startswith("sec-"):  # a chapter's section: its heading follows the chapter's title
            (heading,) = roots[page].iterfind(f".//*[@id='{fragment}']")
            labels[card_id] += " › " + " ".join("".join(heading.itertext()).split())
    return {"questions": questions, "answers": answers, "extras": extras, "labels": labels, "asked": asked,
            "spine": spine, "pages": pages, "raw": raw}


def expected_sides(fields: dict[str, str]) -> tuple[str, str]:
    """(question, answer) as the book must print them, from the deck's fields."""
    kind = fields["_type"]
    if kind == "Cloze":
        return plain(cloze_blank(cloze_pieces(fields["Text"]))), plain(cloze_reveal(cloze_pieces(fields["Text"])))
    if kind == "Term":
        return f"What is meant by “{plain(fields['Term'])}”?", plain(fields["Definition"])
    return plain(fields["Question"]), plain(fields["Answer"])


HOSTILE = ROOT / "tests" / "data" / "epub" / "hostile.yaml"  # every part of the format, images too


@pytest.fixture(scope="module", params=[REAL_SOURCE, HOSTILE], ids=["real", "hostile"])
def built(request, tmp_path_factory):
    """Both outputs of the real source and of the hostile one (markup, entities, template and
    cloze syntax, right-to-left text), read back."""
    out = tmp_path_factory.mktemp("both")
    build(request.param, out, force=True)
    book_id = load(request.param).document.book.id
    return (request.param, read_deck(out / f"{book_id}.apkg", out), read_book(out / f"{book_id}.epub"),
            out / f"{book_id}.apkg")


def test_same_cards_on_both_sides(built):
    source, deck, book, _ = built
    source_ids = {card.id for card in _cards(load(source).document)}
    assert set(deck) == source_ids
    assert set(book["questions"]) == source_ids
    assert set(book["answers"]) == source_ids


def test_each_card_reads_the_same_on_both_sides(built):
    _, deck, book, _ = built
    for card_id, fields in deck.items():
        question, answer = expected_sides(fields)
        assert book["questions"][card_id] == question, card_id
        assert book["asked"][card_id] == question, card_id  # the answers page repeats the question
        assert book["answers"][card_id] == answer, card_id
        assert book["extras"][card_id] == plain(fields["Extra"]), card_id


def test_each_card_names_its_chapter_as_the_book_does(built):
    source, deck, book, _ = built
    for card_id, fields in deck.items():
        assert plain(fields["Source"]) == book["labels"][card_id], card_id
    chapters = [n for n in book["spine"] if n.startswith("chapter-")]
    doc = load(source).document
    assert chapters == [f"chapter-{c.id}.xhtml" for c in doc.chapters]  # spine follows the source
    for number, (name, chapter) in enumerate(zip(chapters, doc.chapters), 1):
        h1 = etree.fromstring(book["pages"][name]).find(f".//{XHTML}h1")
        title = "".join(h1.itertext()).replace("’", "'")  # the book sets typographic apostrophes
        assert title == f"Chapter {number} – {chapter.title}"


def deck_media(apkg: Path) -> dict[str, bytes]:
    """The deck's media by the names its fields use, as Anki's importer reads them."""
    with zipfile.ZipFile(apkg) as z:
        return {name: z.read(number) for number, name in json.loads(z.read("media")).items()}


def test_each_image_is_the_same_bytes_in_the_deck_and_the_book(built):
    source, deck, book, apkg = built
    in_deck = deck_media(apkg)
    shown = {name for fields in deck.values() for name in re.findall(r'<img src="([^"]+)"', " ".join(fields.values()))}
    assert set(in_deck) == shown and shown  # the deck carries what its notes show, and they show the map
    for name, data in in_deck.items():
        assert book["raw"][f"EPUB/{name}"] == data, name  # the same file under the same name
    # Each is a file of the source, byte for byte.
    sources = {p.read_bytes() for p in (source.parent / "images").iterdir()}
    pictures = {n: d for n, d in book["raw"].items() if n.endswith((".png", ".jpg")) and n != "EPUB/cover.png"}
    assert set(pictures.values()) == sources and set(in_deck.values()) <= sources


def test_every_fact_value_is_the_same_on_both_sides(built):
    path, deck, book, _ = built
    source = load(path)
    for card, raw in _raw_cards(source):
        for name in re.findall(r"\$\{([a-z0-9-]+)\}", raw):
            value = _dashes(plain(source.document.facts[name]))
            deck_text = _dashes(plain(" ".join(v for k, v in deck[card.id].items() if not k.startswith("_"))))
            book_text = _dashes(" ".join(book[k][card.id] for k in ("questions", "answers", "extras")))
            assert value in deck_text and value in book_text, (card.id, name)


def _dashes(text: str) -> str:
    """Text as typed: both outputs set a range's hyphen as an en dash (100–150 ft)."""
    return text.replace("\u2013", "-")


def test_changing_one_fact_changes_exactly_its_places_in_both_outputs(tmp_path):
    source = tmp_path / "belenko-defection.yaml"
    shutil.copy(REAL_SOURCE, source)
    copy_images(REAL_SOURCE, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    build(source, out)
    deck_before, book_before = read_deck(out / "belenko-defection.apkg", tmp_path), read_book(out / "belenko-defection.epub")

    text = source.read_text("utf-8")
    assert "  freighter: Taigonos\n" in text
    source.write_text(text.replace("  freighter: Taigonos\n", "  freighter: Taygonos\n"), "utf-8")
    build(source, out)
    deck_after, book_after = read_deck(out / "belenko-defection.apkg", tmp_path), read_book(out / "belenko-defection.epub")

    loaded = load(source)
    using = {card.id for card, raw in _raw_cards(loaded) if "${freighter}" in raw}
    assert using, "the fact must be used by at least one card for this test to mean anything"
    assert {i for i in deck_after if deck_after[i] != deck_before[i]} == using
    for card_id in using:
        assert "Taygonos" in book_after["answers"][card_id] + book_after["questions"][card_id]

    # Pages: those whose text uses the fact, the answers, and the colophon (its source hash).
    sections = _sections_using(loaded, "${freighter}")
    expected_pages = {f"chapter-{s}.xhtml" if s in {c.id for c in loaded.document.chapters} else f"{s}.xhtml"
                      for s in sections} | {"answers.xhtml", "colophon.xhtml"}
    changed = {n for n in book_after["pages"] if book_after["pages"][n] != book_before["pages"][n]}
    assert changed == expected_pages
    for name in changed - {"colophon.xhtml"}:
        assert b"Taigonos" not in book_after["pages"][name] and b"Taygonos" in book_after["pages"][name], name
    assert b"Taigonos" not in b"".join(book_after["pages"].values())


def test_committed_outputs_are_fresh(tmp_path):
    """output/ must be what the committed source builds to, byte for byte."""
    committed = sorted(p.name for p in OUTPUT.iterdir() if not p.name.startswith("."))
    assert committed == ["belenko-defection.apkg", "belenko-defection.epub", "belenko-defection.manifest.json"]
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(OUTPUT / "belenko-defection.manifest.json", out)
    build(REAL_SOURCE, out, force=True)
    for name in committed:
        assert (out / name).read_bytes() == (OUTPUT / name).read_bytes(), (
            f"output/{name} is stale: run `exporter build` and commit output/")


# --- what the source says, independently of the renderers ----------------------------------


def _cards(doc):
    for chapter in doc.chapters:
        yield from chapter.cards
    for kind in ("timeline", "people", "glossary", "faq", "factors"):
        part = getattr(doc, kind)
        if part is not None:
            yield from part.cards
            if kind == "glossary":
                yield from part.terms


def _raw_cards(source):
    """Each card with the source text of all its fields joined."""
    for card in _cards(source.document):
        yield card, " ".join(str(value) for value in msgspec.structs.astuple(card))


def _sections_using(source, needle: str) -> set[str]:
    doc = source.document
    found = {c.id for c in doc.chapters if needle in msgspec.json.encode(c).decode()}
    for kind in ("timeline", "people", "glossary", "faq", "factors"):
        part = getattr(doc, kind)
        if part is not None and needle in msgspec.json.encode(part).decode():
            found.add(kind)
    return found


def test_facts_in_the_books_metadata_are_filled_in_on_both_sides(tiny, tmp_path):
    """The book's description, rights and author reach both outputs rendered, never as typed."""
    text = tiny.read_text("utf-8")
    for old, new in (("description: A small source used by the tests.", "description: About ${airport}."),
                     ("rights: CC0", "rights: CC0, since ${landing-date}"),
                     ("author: Test Compiler", "author: Compiled at ${airport}")):
        assert old in text
        text = text.replace(old, new)
    tiny.write_text(text, "utf-8")
    build(tiny, tmp_path, force=True)
    with zipfile.ZipFile(tmp_path / "tiny-book.epub") as z:
        book = b" ".join(z.read(name) for name in z.namelist() if name.endswith((".opf", ".xhtml"))).decode()
    with zipfile.ZipFile(tmp_path / "tiny-book.apkg") as z:
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    db.close()
    assert "${" not in book
    for value in ("About Hakodate Airport.", "CC0, since 6 September 1976", "Compiled at Hakodate Airport"):
        assert value in book, value
    assert "About Hakodate Airport." in [d["desc"] for d in decks.values()]
