"""content.Book → EPUB 3 with an EPUB 2 NCX: EPUBCheck-clean, and identical bytes for identical input.

Every page, the navigation document included, is written here in full from one template
(assets/book.xhtml); ebooklib only packages them: metadata, manifest, spine, NCX and zip.
Its EpubHtml would re-parse each page with an HTML parser and drop <body> attributes, and
its generated nav shows the landmarks as a visible list in the middle of the front matter.

Escaping: HTML from the content step is final and goes in as it is; every plain-text value
inserted here (titles, labels, metadata) passes through `_esc`. Each page is parsed as XML
before it is packed, so a page that is not well formed stops the build instead of the reader.

Reading order: cover, title page, contents, chapters (each ending with "Check your
understanding"), back-matter parts, answers, sources, colophon.
"""

from __future__ import annotations

import html
import io
import uuid
import zipfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from string import Template

from ebooklib import epub
from lxml import etree
from msgspec import Struct

from exporter import __version__, content, cover, typography
from exporter.passages import anchor
from exporter.zips import zip_bytes_to

PAGE = Template(resources.files("exporter").joinpath("assets/book.xhtml").read_text("utf-8"))
CSS = resources.files("exporter").joinpath("assets/book.css").read_bytes()
COVER_IMAGE = "cover.png"
ANSWERS = "answers.xhtml"
# Primary language subtags written right to left: the whole book then reads that way.
RTL_LANGUAGES = {"ar", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"}
# epub:type and the matching (non-deprecated) DPUB-ARIA role of each back-matter part.
PART_SEMANTICS = {
    "timeline": ("appendix", "doc-appendix"),
    "people": ("appendix", "doc-appendix"),
    "glossary": ("glossary", "doc-glossary"),
    "faq": ("qna", "doc-qna"),
    "factors": ("appendix", "doc-appendix"),
}
ACCESSIBILITY_SUMMARY = (
    "Text with headings, a table of contents and landmarks for structural navigation. Each "
    "chapter ends with review questions linked to their answers at the back and back again. "
    "The only image, the cover, has a text alternative. No known hazards."
)
# The same, for a book with images besides the cover: each has alt text (the loader requires it).
ILLUSTRATED_SUMMARY = ACCESSIBILITY_SUMMARY.replace(
    "The only image, the cover, has a text alternative.",
    "Every image, the cover included, has a text alternative; captions are printed under their images.")


class Page(Struct, frozen=True):
    """One XHTML file of the book, in reading order."""

    name: str  # file name; its stem is the manifest id
    title: str  # plain text: <title>, and its entry in the contents
    matter: str  # frontmatter, bodymatter or backmatter
    body: str  # XHTML
    toc: tuple[tuple[str, str], ...] = ()  # (plain title, fragment): its second-level entries
    in_toc: bool = True
    cover: bool = False  # the cover page: inline SVG, sized to the screen


def identifier(book_id: str) -> str:
    """The book's stable dc:identifier, derived from the source's book id alone."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, book_id)}"


def write(book: content.Book, path: Path, *, modified: datetime, source_sha256: str) -> None:
    """Write the EPUB to `path` (a temp file the caller moves into place). `modified` is
    timezone-aware UTC for dcterms:modified (never read the clock). The colophon shows the
    edition date, source_sha256 and exporter.__version__."""
    if modified.tzinfo is None:
        raise ValueError("modified must be timezone-aware")
    meta = book.meta
    direction = "rtl" if meta.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
    pages = _pages(book, source_sha256)

    eb = epub.EpubBook()
    eb.set_identifier(identifier(meta.id))
    eb.set_title(book.title)
    eb.set_language(meta.language)
    if direction == "rtl":
        eb.set_direction("rtl")
    eb.add_author(meta.author)
    for name, value in (("description", meta.description), ("rights", meta.rights), ("date", meta.edition)):
        eb.add_metadata("DC", name, value)
    for prop, value in _accessibility(bool(book.media)):
        eb.add_metadata(None, "meta", value, {"property": prop})

    # What set_cover does, with the media type given: ebooklib guesses any type left out, and
    # its first guess loads the system's MIME tables (5 ms, a twentieth of a whole build).
    image = epub.EpubCover(file_name=COVER_IMAGE)
    image.media_type, image.content = "image/png", cover.png(book.title, book.subtitle, meta.author)
    eb.add_item(image)
    eb.add_metadata(None, "meta", "", {"name": "cover", "content": image.id})
    eb.add_item(epub.EpubItem(uid="css", file_name="book.css", media_type="text/css", content=CSS))
    # Each image beside the pages, under the name the pages' <img src> gives it, with the media
    # type its bytes showed (the id prefix keeps it an XML name whatever the book id starts with).
    for name, image in book.media.items():
        eb.add_item(epub.EpubItem(uid=f"image-{Path(name).stem}", file_name=name, media_type=image.media_type,
                                  content=image.data))
    eb.spine = [eb.add_item(_item(page, meta.language, direction)) for page in pages]
    eb.add_item(epub.EpubNcx())
    eb.toc = _ncx_toc(pages)
    eb.guide = [{"type": kind, "title": title, "href": href} for _, kind, title, href in _landmarks(pages) if kind]

    buffer = io.BytesIO()
    epub.write_epub(buffer, eb, {
        "raise_exceptions": True,
        "epub3_pages": False,
        "play_order": {"enabled": True, "start_from": 1},  # NCX readers (older Kindles) want it
        "mtime": modified.astimezone(timezone.utc),
        "compresslevel": 0,  # _repack compresses it, once
    })
    _repack(buffer.getvalue(), path, meta.language, {f"EPUB/{name}" for name in book.media})


# --- pages ----------------------------------------------------------------------------------


def _pages(book: content.Book, source_sha256: str) -> list[Page]:
    chapters = [_chapter(section) for section in book.chapters]
    parts = [_part(section) for section in book.sections if section.kind != "chapter"]
    back = parts + [_answers(book), _sources(book), _colophon(book, source_sha256)]
    front = [_cover_page(book), _title_page(book)]
    return front + [_nav(front + chapters + back)] + chapters + back


def _cover_page(book: content.Book) -> Page:
    """The cover image in an SVG wrapper: its viewBox scales the image to fit whatever screen
    it is shown on, whole, where an <img> would be as wide as the screen and cut at the foot.
    The author is given as written (it may be a name or "Compiled by ...")."""
    alt = f"Cover: {book.title}" + (f" – {book.subtitle}" if book.subtitle else "") + f". {book.meta.author}"
    width, height = cover.SIZE
    body = (
        '<section class="cover" epub:type="cover">\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'width="100%" height="100%" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-label="{_esc(alt)}">\n<title>{_esc(alt)}</title>\n'
        f'<image width="{width}" height="{height}" xlink:href="{COVER_IMAGE}"/>\n</svg>\n'
        "</section>"
    )
    return Page("cover.xhtml", "Cover", "frontmatter", body, in_toc=False, cover=True)


def _title_page(book: content.Book) -> Page:
    meta = book.meta
    lines = [f"<h1>{_esc(book.title)}</h1>"]
    if book.subtitle:
        lines.append(f'<p class="subtitle" role="doc-subtitle">{_esc(book.subtitle)}</p>')
    lines.append(f'<p class="author">{_esc(meta.author)}</p>')
    lines.append(f'<p class="edition">Edition of {_edition(meta.edition)}</p>')
    body = '<section class="titlepage" epub:type="titlepage">\n' + "\n".join(lines) + "\n</section>"
    return Page("title.xhtml", "Title page", "frontmatter", body, in_toc=False)


def _nav(pages: list[Page]) -> Page:
    """The EPUB 3 navigation document: contents (two levels) and hidden landmarks."""
    entries = []
    for page in pages:
        if not page.in_toc:
            continue
        sub = "".join(f'<li><a href="{page.name}#{frag}">{content.title_html(title)}</a></li>\n' for title, frag in page.toc)
        sub = f"\n<ol>\n{sub}</ol>\n" if sub else ""
        entries.append(f'<li><a href="{page.name}">{content.title_html(page.title)}</a>{sub}</li>\n')
    landmarks = "".join(
        f'<li><a epub:type="{kind}" href="{href}">{_esc(title)}</a></li>\n'
        for kind, _, title, href in _landmarks(pages)
    )
    body = (
        '<nav epub:type="toc" role="doc-toc" id="toc">\n<h1>Contents</h1>\n'
        f'<ol>\n{"".join(entries)}</ol>\n</nav>\n'
        '<nav epub:type="landmarks" aria-label="Landmarks" hidden="hidden">\n<h2>Landmarks</h2>\n'
        f"<ol>\n{landmarks}</ol>\n</nav>"
    )
    return Page("nav.xhtml", "Contents", "frontmatter", body, in_toc=False)


def _landmarks(pages: list[Page]) -> list[tuple[str, str, str, str]]:
    """(EPUB 3 landmark type, EPUB 2 guide type or "", title, href) of each landmark."""
    body = next(p for p in pages if p.matter == "bodymatter")
    back = next(p for p in pages if p.matter == "backmatter")
    return [
        ("cover", "cover", "Cover", "cover.xhtml"),
        ("toc", "toc", "Contents", "nav.xhtml#toc"),
        ("bodymatter", "text", "Start of the book", body.name),
        ("backmatter", "", "Back matter", back.name),  # EPUB 2's guide has no such type
    ]


def _chapter(section: content.Section) -> Page:
    body = (
        '<section epub:type="chapter" role="doc-chapter">\n'
        f"<h1>{content.title_html(section.label)}</h1>\n{section.html}{_check(section)}</section>"
    )
    # Its sections in the contents, under it: the way from a card's Source to its passage.
    toc = tuple((p.title, anchor(p.id)) for p in section.passages if p.id)
    return Page(_file(section), section.label, "bodymatter", body, toc)


def _part(section: content.Section) -> Page:
    epub_type, role = PART_SEMANTICS[section.kind]
    body = (
        f'<section epub:type="{epub_type}" role="{role}">\n'
        f"<h1>{content.title_html(section.title)}</h1>\n{section.html}{_entries(section)}{_check(section)}</section>"
    )
    return Page(_file(section), section.title, "backmatter", body)


def _entries(section: content.Section) -> str:
    kind = section.kind
    rows = []
    for e in section.entries:
        anchor = f'id="{kind}-{e.id}"'
        if isinstance(e, content.Event):
            rows.append(f"<dt {anchor}>{e.date}</dt>\n<dd>{e.event}</dd>\n")
        elif isinstance(e, content.Person):
            rows.append(f"<dt {anchor}>{e.name}</dt>\n<dd><p>{e.role}</p>\n{e.text}</dd>\n")
        elif isinstance(e, content.Term):
            rows.append(f"<dt {anchor}><dfn>{e.term}</dfn></dt>\n<dd>{e.definition}</dd>\n")
        elif isinstance(e, content.Answered):
            rows.append(f"<dt {anchor}>{e.question}</dt>\n<dd>{e.answer}</dd>\n")
        elif isinstance(e, content.Factor):  # the one table, three columns so it reads on a 6-inch screen
            rows.append(
                f'<tr {anchor}><th scope="row">{e.factor}</th>'
                f"<td>{e.description}</td><td>{e.impact}</td></tr>\n"
            )
    if kind == "factors":
        head = '<tr><th scope="col">Factor</th><th scope="col">Description</th><th scope="col">Impact</th></tr>'
        return f"<table>\n<thead>{head}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
    return f"<dl>\n{''.join(rows)}</dl>\n"


def _check(section: content.Section) -> str:
    """"Check your understanding": the section's cards as questions, each a note reference
    to its answer at the back."""
    if not section.cards:
        return ""
    items = "".join(
        f'<li id="q-{card.id}">{_question(card)} <a class="noteref" epub:type="noteref" role="doc-noteref" '
        f'href="{ANSWERS}#a-{card.id}">Answer</a></li>\n'
        for card in section.cards
    )
    return (
        '<section class="check">\n<h2>Check your understanding</h2>\n'
        f"<ol>\n{items}</ol>\n</section>\n"
    )


def _question(card: content.StudyCard) -> str:
    if card.kind == "cloze":
        return content.cloze_blank(card.cloze)
    if card.kind == "term":
        # Grammatical for every kind of term: "What is interceptor?" needs an article that
        # "asylum", "in absentia" or "Hakodate Airport" must not get.
        return f"What is meant by “{card.front}”?"
    return card.front


def _answers(book: content.Book) -> Page:
    """The answers, grouped by section under the same headings as in the chapters. One entry
    in the contents: the sections' titles are listed there already, with their chapters."""
    groups = []
    for section in book.sections:
        if not section.cards:
            continue
        notes = "".join(_answer(card, number, _file(section), _passage(section, card))
                        for number, card in enumerate(section.cards, 1))
        heading = content.title_html(section.label)
        groups.append(f'<section id="answers-{_key(section)}">\n<h2>{heading}</h2>\n{notes}</section>\n')
    body = (
        '<section class="answers" epub:type="endnotes" role="doc-endnotes">\n<h1>Answers</h1>\n'
        f"{''.join(groups)}</section>"
    )
    return Page(ANSWERS, "Answers", "backmatter", body)


def _passage(section: content.Section, card: content.StudyCard) -> tuple[str, str]:
    """(href, plain title) of the passage that teaches a card: its chapter's section, or the
    chapter's opening; a term's glossary entry; the part a back-matter card is about."""
    if card.kind == "term":
        return f"{_file(section)}#{section.kind}-{card.id}", section.title
    if card.passage:
        (passage,) = [p for p in section.passages if p.id == card.passage]
        return f"{_file(section)}#{anchor(passage.id)}", passage.title
    if section.kind == "chapter":  # shorter than its title, which heads the group of answers already
        return _file(section), f"start of chapter {section.number}"
    return _file(section), section.title


def _answer(card: content.StudyCard, number: int, question_file: str, passage: tuple[str, str]) -> str:
    """One answer as one note, the shape e-readers show in a pop-up of its own: an element of
    its own with epub:type="endnote" (not an <li>: Kindle then runs the next notes into the
    pop-up), opening with the link back to its question, numbered as in the chapter's list.
    Its question comes first, in small type, so the answer makes sense where it stands.
    No role: doc-endnote is deprecated (DPUB-ARIA 1.1, EPUBCheck warns RSC-017) and only
    ever meant a list item; the section's doc-endnotes says what these are."""
    answer = content.cloze_reveal(card.cloze) if card.kind == "cloze" else card.back
    back = (
        f'<a class="backlink" epub:type="backlink" role="doc-backlink" href="{question_file}#q-{card.id}" '
        f'aria-label="Back to question {number}">{number}.</a>'
    )
    extra = f'\n<p class="extra">{card.extra}</p>' if card.extra else ""
    href, where = passage
    read = f'\n<p class="passage"><a href="{href}">Read the passage: {content.title_html(where)}</a></p>'
    return (
        f'<div class="answer" id="a-{card.id}" epub:type="endnote">\n'
        f'<p class="question">{back} {_question(card)}</p>\n<p>{answer}</p>{extra}{read}\n</div>\n'
    )


def _sources(book: content.Book) -> Page:
    items = "".join(f'<li id="source-{sid}">{text}</li>\n' for sid, text in book.sources)
    body = (
        '<section epub:type="bibliography" role="doc-bibliography">\n<h1>Sources</h1>\n'
        f"<ol>\n{items}</ol>\n</section>"
    )
    return Page("sources.xhtml", "Sources", "backmatter", body)


def _colophon(book: content.Book, source_sha256: str) -> Page:
    meta = book.meta
    body = (
        '<section epub:type="colophon" role="doc-colophon">\n<h1>Colophon</h1>\n'
        f"<p>{_esc(meta.rights)}</p>\n<dl>\n"
        f"<dt>Edition</dt>\n<dd>{_edition(meta.edition)}</dd>\n"
        f'<dt>Source content hash (SHA-256)</dt>\n<dd><code class="hash">{_esc(source_sha256)}</code></dd>\n'
        f"<dt>Made with</dt>\n<dd>exporter {_esc(__version__)}</dd>\n"
        "</dl>\n</section>"
    )
    return Page("colophon.xhtml", "Colophon", "backmatter", body)


def _edition(iso: str) -> str:
    return f'<time datetime="{_esc(iso)}">{_esc(typography.prose_date(iso))}</time>'


def _key(section: content.Section) -> str:
    # A chapter may be called "glossary"; a part's id is its kind: prefix chapters apart.
    return f"chapter-{section.id}" if section.kind == "chapter" else section.kind


def _file(section: content.Section) -> str:
    return f"{_key(section)}.xhtml"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


# --- packaging ------------------------------------------------------------------------------


class _Item(epub.EpubHtml):
    """A page ebooklib writes exactly as given (its own get_content re-parses it as HTML)."""

    def get_content(self, default: bytes | None = None) -> bytes:
        return self.content


def _item(page: Page, language: str, direction: str) -> epub.EpubHtml:
    xhtml = PAGE.substitute(
        lang=_esc(language), dir=direction, title=_esc(page.title), matter=page.matter, body=page.body,
        html_class=' class="cover"' if page.cover else "",
    ).encode("utf-8")
    # The page is ours, from a source of bounded size: libxml2's limits for untrusted input
    # (text nodes of at most 10 MB) would only refuse a long paragraph that the source allows.
    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    try:
        etree.fromstring(xhtml, parser)
    except etree.XMLSyntaxError as e:
        raise ValueError(f"{page.name} is not well-formed XHTML ({e}); the content step let markup through") from e
    item = _Item(uid=Path(page.name).stem, file_name=page.name, media_type="application/xhtml+xml", content=xhtml)
    if page.name == "nav.xhtml":
        item.properties.append("nav")
    if page.cover:
        item.properties.append("svg")
    return item


def _ncx_toc(pages: list[Page]) -> list:
    """The same entries as the nav's contents, for the EPUB 2 NCX that ebooklib writes."""
    toc: list = []
    for page in pages:
        if not page.in_toc:
            continue
        stem = Path(page.name).stem
        link = epub.Link(page.name, page.title, f"toc-{stem}")
        # Two chapters may have sections of the same name: the page keeps their NCX ids apart.
        children = [epub.Link(f"{page.name}#{frag}", title, f"toc-{stem}_{frag}") for title, frag in page.toc]
        toc.append((link, children) if children else link)
    return toc


def _accessibility(illustrated: bool) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 discovery metadata (schema: is a reserved prefix in EPUB 3). Text
    is sufficient even with images: every one has a text alternative."""
    features = ("tableOfContents", "readingOrder", "structuralNavigation", "alternativeText", "displayTransformability")
    return (
        [("schema:accessMode", "textual"), ("schema:accessMode", "visual"), ("schema:accessModeSufficient", "textual")]
        + [("schema:accessibilityFeature", f) for f in features]
        + [("schema:accessibilityHazard", "none"),
           ("schema:accessibilitySummary", ILLUSTRATED_SUMMARY if illustrated else ACCESSIBILITY_SUMMARY)]
    )


def _repack(data: bytes, path: Path, language: str, images: set[str]) -> None:
    """Rewrite ebooklib's zip with fixed entry times: mimetype first and stored, then the
    entries in ebooklib's (deterministic) order; PNG and JPEG are compressed already. The package
    document gets the xml:lang that ebooklib leaves out (Ace's epub-lang): the language of
    its metadata, which accessibility checkers and screen readers go by."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        stored = {"mimetype", f"EPUB/{COVER_IMAGE}", *images}
        entries = [(i.filename, z.read(i), i.filename not in stored) for i in z.infolist()]
    opf = f'<package xml:lang="{_esc(language)}" '.encode()
    entries = [(name, blob.replace(b"<package ", opf, 1) if name == "EPUB/content.opf" else blob, compress)
               for name, blob, compress in entries]
    entries.sort(key=lambda entry: entry[0] != "mimetype")  # stable: the rest keep their order
    zip_bytes_to(path, entries)
