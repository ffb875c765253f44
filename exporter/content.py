"""The one content step both outputs share: facts substituted, Markdown → HTML, typography.

Everything the deck and the book show passes through `Content`, so a value can only ever
look the same on both sides. Renderers take the `Book` built here and add only their own
markup around it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from msgspec import Struct, field
from msgspec.structs import replace

from exporter import passages, typography
from exporter.document import Card, Document, Node
from exporter.media import Media, normal
from exporter.syntax import IMAGE, Deletion, Piece, cloze_pieces, substitute

PartKind = Literal["timeline", "people", "glossary", "faq", "factors"]
PART_KINDS: tuple[PartKind, ...] = ("timeline", "people", "glossary", "faq", "factors")
CardKind = Literal["question", "cloze", "term"]
SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)
# A link's address in Markdown, "](address)" or "<scheme:address>": never shown as words.
LINK_ADDRESS = re.compile(r"\]\([^)]*\)|<[a-z][a-z0-9+.-]*:[^<>\s]*>", re.I)


class StudyCard(Struct, frozen=True):
    """One note: a card as both outputs show it. HTML fields are escaped and final."""

    id: str
    kind: CardKind
    front: str  # HTML: the question or the glossary term; empty for cloze
    back: str  # HTML: the answer or the definition; empty for cloze
    cloze: tuple[Piece, ...]  # cloze only: HTML text and deletions (answer and hint as HTML)
    extra: str
    tags: tuple[str, ...]
    section_id: str
    label: str  # plain text: where the card comes from in the book, e.g. "Chapter 4 – The Landing › Fuel"
    passage: str = ""  # the id of the chapter's passage that teaches it; "" for the chapter's opening


# Back-matter entries: every text field is final HTML (inline, or block where noted).


class Entry(Struct, frozen=True):
    id: str

    def html_fields(self) -> tuple[str, ...]:
        """Every field a reader sees, as HTML."""
        return tuple(getattr(self, name) for name in self.__struct_fields__ if name != "id")


class Event(Entry, frozen=True):
    """A dated event of the timeline."""

    date: str  # as the author wrote it, e.g. "6 September 1976"
    event: str


class Person(Entry, frozen=True):
    """Someone in the story, with a one-line role."""

    name: str
    role: str
    text: str  # block


class Term(Entry, frozen=True):
    """A glossary entry; it is also a two-way note in the deck."""

    term: str
    definition: str


class Answered(Entry, frozen=True):
    """A question of the FAQ with its answer."""

    question: str
    answer: str  # block


class Factor(Entry, frozen=True):
    """One row of the factors table."""

    factor: str
    description: str
    impact: str


# Each part's entries in the source, and the entry type they become.
PART_ENTRIES: dict[PartKind, tuple[str, type[Entry]]] = {
    "timeline": ("events", Event), "people": ("people", Person), "glossary": ("terms", Term),
    "faq": ("questions", Answered), "factors": ("factors", Factor),
}
BLOCK_FIELDS = {"text", "answer"}


class Passage(Struct, frozen=True):
    """Part of a chapter's text: its opening, or a top-level heading and what follows it."""

    id: str  # "" for the opening
    title: str  # plain text; "" for the opening
    html: str  # the heading, anchored, and the text below it


class Section(Struct, frozen=True):
    """A chapter or a back-matter part, in book order."""

    id: str  # chapter id, or the part's kind ("glossary")
    kind: Literal["chapter"] | PartKind
    number: int | None  # chapters only
    title: str  # plain text
    label: str  # plain text: "Chapter 4 – The Landing", or the part's title
    html: str  # the prose (chapters) or introduction (parts)
    entries: tuple[Entry, ...]  # parts only
    cards: tuple[StudyCard, ...]
    passages: tuple[Passage, ...] = ()  # chapters only: the opening, then each heading's section


class Meta(Struct, frozen=True):
    """The book's metadata. Ids, language and edition as validated; the rest plain text,
    facts filled in and typography applied: writers escape it for their own format."""

    id: str
    tag: str
    language: str
    edition: str  # YYYY-MM-DD
    title: str
    subtitle: str
    author: str
    description: str
    rights: str
    decks: str = "one"  # the deck layout: "one" deck, or a subdeck per "chapters" and part


class Book(Struct, frozen=True):
    meta: Meta
    facts: dict[str, str]  # name → HTML of the value
    sources: tuple[tuple[str, str], ...]  # (id, HTML)
    sections: tuple[Section, ...]
    # The images the HTML shows, by the name its <img src> gives them: the same file name in
    # the deck's media and beside the book's pages.
    media: dict[str, Media] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def subtitle(self) -> str:
        return self.meta.subtitle

    @property
    def cards(self) -> tuple[StudyCard, ...]:
        return tuple(card for section in self.sections for card in section.cards)

    @property
    def chapters(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.kind == "chapter")


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.validateLink = lambda url: bool(SAFE_LINK.match(url.strip()))  # type: ignore[method-assign]  # the documented hook
    # Images by the pattern the loader checked them with, never by CommonMark's wider one.
    md.inline.ruler.at("image", _image)
    md.add_render_rule("image", _render_image)
    md.core.ruler.after("inline", "figures", _figures)

    def shift_headings(state):
        # The section title is h1 (book) or the card label; prose headings sit below it.
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"

    md.core.ruler.push("shift_headings", shift_headings)
    return md


def _image(state, silent: bool) -> bool:
    """An image the loader checked: a token with its file's name in the outputs, its alt text
    as plain text, and its caption (Markdown, as written) kept for _figures."""
    if state.env.get("in_caption") or not state.src.startswith("![", state.pos):
        return False
    m = IMAGE.match(state.src, state.pos, state.posMax)
    names = state.env.get("media")
    if m is None:
        return False
    if names is None:
        raise ValueError("the text shows an image: build the book with the media the loader read (media=...)")
    name = names.get(normal(m.group(2)))
    if name is None:  # where the loader saw no image (it would have read the file): text
        return False
    if not silent:
        alt: list = []
        state.md.inline.parse(m.group(1), state.md, state.env, alt)
        token = state.push("image", "img", 0)
        token.attrs = {"src": name, "alt": _as_text(alt)}
        token.meta = {"caption": m.group(3)[1:-1] if m.group(3) else None}
        state.env["shown"].add(name)
    state.pos = m.end()
    return True


def _as_text(tokens) -> str:
    """Markdown's words without its markup, as the alt text of an image is read."""
    words = [" " if t.type in ("softbreak", "hardbreak") else t.content for t in tokens
             if t.type in ("text", "text_special", "code_inline", "softbreak", "hardbreak")]
    return " ".join("".join(words).split())


def _render_image(self, tokens, idx, options, env) -> str:
    # As any tag, its attributes as set: markdown-it's own rule would remake the alt text.
    return self.renderToken(tokens, idx, options, env)


def _figures(state) -> None:
    """A captioned image alone in its paragraph becomes a figure with its caption, rendered as
    Markdown (the core rules after this one set its quotes and dashes as the prose's)."""
    from markdown_it.token import Token

    tokens, out = state.tokens, []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        children = tokens[i + 1].children if token.type == "paragraph_open" else None
        if children and len(children) == 1 and children[0].type == "image" and children[0].meta.get("caption"):
            caption = Token("inline", "", 0, content=children[0].meta["caption"], children=[])
            state.env["in_caption"] = True
            try:
                state.md.inline.parse(caption.content, state.md, state.env, caption.children)
            finally:
                del state.env["in_caption"]
            out += [Token("figure_open", "figure", 1, block=True), tokens[i + 1],
                    Token("figcaption_open", "figcaption", 1, block=True), caption,
                    Token("figcaption_close", "figcaption", -1, block=True), Token("figure_close", "figure", -1, block=True)]
            i += 3
            continue
        out.append(token)
        i += 1
    state.tokens[:] = out


# Words, digits, spaces and plain punctuation: nothing Markdown or the typographer would
# change, so such text is its own HTML. Most card text is like this, and so are most pieces
# of cloze text around a deletion (" the convoy of ", "."); skipping markdown-it for it
# halves the content step on large sources.
PLAIN_TEXT = re.compile(r"(?!.*(?:\.\.|,,|\?\?))(?:[^\W_]|[ ,.;:?])*")


# A line markdown-it can only read as a paragraph's: not indented, no white space at its end,
# and starting no other block. The first line of a paragraph starts no list either; a line
# after it only no ordered list numbered 1, the one number that interrupts a paragraph.
FIRST_LINE = re.compile(r"(?:[^\s\d#>+*_=`~<\[|:-]|\d+(?![\d.)])|[*_]+[^\W_]).*(?<!\s)")
NEXT_LINE = re.compile(r"(?:[^\s\d#>+*_=`~<\[|:-]|(?!0*1[.)])\d|[*_]+[^\W_]).*(?<!\s)")
BLANK_LINES = re.compile(r"\n\n+")
# How markdown-it renders each kind of block _blocks finds, {} the HTML of its inline text.
BLOCK_HTML = {"p": "<p>{}</p>\n", "quote": "<blockquote>\n<p>{}</p>\n</blockquote>\n", "ul": "<ul>\n", "li": "<li>{}</li>\n",
              "/ul": "</ul>\n"}


def _blocks(text: str) -> list[tuple[str, str]] | None:
    """Markdown text read as markdown-it's block parser reads it, when all it holds is
    paragraphs, quotes of one paragraph ("> " on each line) and tight lists of one-line items
    ("- "): the kind of each block ("ul" and "/ul" around a list's items) and its inline text.
    None when the text may hold more (headings, code, tables, other lists, a captioned image's
    figure) or line ends and NULs that markdown-it rewrites first."""
    if "\r" in text or "\0" in text or "![" in text:
        return None
    blocks: list[tuple[str, str]] = []
    for chunk in (lines.split("\n") for lines in BLANK_LINES.split(text.strip("\n")) if lines):
        marker = chunk[0][:2]
        if marker in ("- ", "> ") and all(line.startswith(marker) for line in chunk):
            chunk = [line[2:] for line in chunk]
        else:
            marker = ""
        if marker == "- ":
            if blocks and blocks[-1][0] == "/ul":  # a blank line between two lists makes one loose list
                return None
            if not all(FIRST_LINE.fullmatch(line) for line in chunk):
                return None
            blocks += [("ul", ""), *(("li", line) for line in chunk), ("/ul", "")]
        elif FIRST_LINE.fullmatch(chunk[0]) and all(NEXT_LINE.fullmatch(line) for line in chunk[1:]):
            blocks.append(("quote" if marker else "p", "\n".join(chunk)))
        else:
            return None
    return blocks


def _render(text: str, env: dict) -> str:
    """markdown-it's HTML of block Markdown. Text of paragraphs, quotes and simple lists, as most
    prose is, skips its block parser (a third of the time): each block's words are rendered inline."""
    blocks = _blocks(text)
    md = _markdown()
    if blocks is None:
        return md.render(text, env)
    return "".join(BLOCK_HTML[kind].format(md.renderInline(words, env) if words else "") for kind, words in blocks)


class Content:
    """Renders the text of one document; facts are substituted before Markdown."""

    def __init__(self, document: Document, media: Mapping[str, Media] | None = None):
        self.facts = document.facts
        # Each image's name in the outputs, by its path in the source (None: none were read),
        # and the names of those the text shows, as it is rendered.
        self.shown: set[str] = set()
        self.names = {path: m.name(document.book.id) for path, m in (media or {}).items()}
        self.env = None if media is None else {"media": self.names, "shown": self.shown}

    def shown_media(self, media: Mapping[str, Media]) -> dict[str, Media]:
        """The images the rendered text shows, by their names in the outputs."""
        return {self.names[path]: m for path, m in media.items() if self.names.get(path) in self.shown}

    def _facts(self, text: str) -> str:
        return substitute(text, self.facts.__getitem__)

    def _fill(self, text: str) -> str:
        return self._escape(self._facts(text))

    @staticmethod
    def _escape(text: str) -> str:
        # NFC: Anki stores text composed, so the book must too for both to hold the same
        # characters. '&' is escaped first: like raw HTML, an entity shows as typed.
        return unicodedata.normalize("NFC", text).replace("&", "&amp;")

    def block(self, text: str) -> str:
        return typography.apply(_render(self._fill(text), self._env())) if text else ""

    def _env(self) -> dict:
        return dict(self.env) if self.env is not None else {}

    def inline(self, text: str) -> str:
        return self._inline(self._facts(text))

    def cloze(self, text: str) -> tuple[Piece, ...]:
        """Cloze text as pieces: the text around and inside each deletion is rendered apart,
        so markup can never open on one side of a deletion and close on the other."""
        return tuple(
            Deletion(p.number, self._inline(p.answer), self._inline(p.hint)) if isinstance(p, Deletion)
            else self._inline(p)
            for p in cloze_pieces(self._facts(text))
        )

    def _inline(self, filled: str) -> str:
        if not filled:
            return ""
        escaped = self._escape(filled)
        return typography.apply(escaped if PLAIN_TEXT.fullmatch(escaped) else _markdown().renderInline(escaped, self._env()))

    def plain_inline(self, text: str) -> str:
        return plain(self.inline(text))

    def passages(self, text: str) -> tuple[Passage, ...]:
        """A chapter's text cut at its top-level headings (passages.py), each heading anchored
        for the book's contents and the answers' links back to it."""
        out = []
        for chunk in passages.split(text):
            heading = ""
            if chunk.id:
                tag = f"h{min(chunk.level + 1, 6)}"  # shifted as the Markdown renderer shifts them
                heading = f'<{tag} id="{passages.anchor(chunk.id)}">{self.inline(chunk.title)}</{tag}>\n'
            out.append(Passage(chunk.id, self.plain_inline(chunk.title), heading + self.block(chunk.text)))
        return tuple(out)


class WordsOnly(Content):
    """Facts filled in, Markdown left as written: all lint needs to compare words, at a
    fraction of the cost of rendering."""

    def __init__(self, document: Document, media: Mapping[str, Media] | None = None):
        super().__init__(document)  # words need no image's file name

    def block(self, text: str) -> str:
        # An image says its alt text and its caption in words; a link address says nothing.
        words = self._fill(text)
        if "![" in words:
            words = IMAGE.sub(lambda m: f"{m.group(1)} {(m.group(3) or '  ')[1:-1]}", words)
        if "](" in words or "<" in words:
            words = LINK_ADDRESS.sub(lambda m: "]" if m.group().startswith("]") else "", words)
        return words

    inline = block

    def cloze(self, text: str) -> tuple[Piece, ...]:
        return tuple(Deletion(p.number, self.block(p.answer), self.block(p.hint)) if isinstance(p, Deletion)
                     else self.block(p) for p in cloze_pieces(self._facts(text)))


def build(document: Document, renderer: type[Content] = Content,
          media: Mapping[str, Media] | None = None) -> Book:
    """The document as both outputs will show it. `media` is every image the loader read, by
    its path in the source (Source.media); a document that shows images needs it."""
    c = renderer(document, media)
    root = document.book.tag
    sections: list[Section] = []
    for number, chapter in enumerate(document.chapters, 1):
        title = c.plain_inline(chapter.title)
        label = f"Chapter {number} – {title}"
        cards = tuple(_card(c, card, chapter.id, label, (f"{root}::chapter::{chapter.id}",)) for card in chapter.cards)
        parts = c.passages(chapter.text)
        cards = _placed(cards, chapter.cards, parts)
        sections.append(Section(chapter.id, "chapter", number, title, label, "".join(p.html for p in parts), (),
                                cards, parts))
    for kind in PART_KINDS:
        part = getattr(document, kind)
        if part is None:
            continue
        title = c.plain_inline(part.title)
        tags = (f"{root}::{kind}",)
        key, entry_type = PART_ENTRIES[kind]
        entries = tuple(_entry(c, entry, entry_type) for entry in getattr(part, key))
        if kind == "glossary":  # in dictionary order, whatever the order they were written in
            entries = tuple(sorted(entries, key=lambda e: typography.sort_key(plain(e.term if isinstance(e, Term) else ""))))
        cards = tuple(_card(c, card, kind, title, tags) for card in part.cards)
        if kind == "glossary":
            cards = tuple(
                StudyCard(t.id, "term", c.inline(t.term), c.inline(t.definition), (), "", tags, kind, title)
                for t in part.terms
            ) + cards
        sections.append(Section(kind, kind, None, title, title, c.block(part.text), entries, cards))
    meta = document.book
    return Book(
        meta=Meta(
            id=meta.id, tag=meta.tag, language=meta.language, edition=meta.edition, decks=meta.decks,
            **{name: c.plain_inline(getattr(meta, name))
               for name in ("title", "subtitle", "author", "description", "rights")},
        ),
        facts={name: c.inline(value) for name, value in document.facts.items()},
        sources=tuple((s.id, c.inline(s.text)) for s in meta.sources),
        sections=tuple(sections),
        media=c.shown_media(media or {}),
    )


def _card(c: Content, card: Card, section_id: str, label: str, tags) -> StudyCard:
    extra = c.inline(card.extra)
    all_tags = tuple(tags) + tuple(t for t in card.tags if t not in tags)
    cloze = getattr(card, "cloze", "")  # model.py's question cards, read by a test, have none
    if cloze:
        return StudyCard(card.id, "cloze", "", "", c.cloze(cloze), extra, all_tags, section_id, label)
    return StudyCard(card.id, "question", c.inline(card.question), c.inline(card.answer), (), extra, all_tags,
                     section_id, label)


def _placed(cards: tuple[StudyCard, ...], written: tuple, parts: tuple[Passage, ...]) -> tuple[StudyCard, ...]:
    """Each card tied to the passage that teaches it, as its `section` names it or else as its
    words find it (passages.teaching), and the passage's title added to its label."""
    if len(parts) == 1:
        return cards
    ids, texts = [p.id for p in parts], [plain(p.html) for p in parts]
    placed = []
    for card, source in zip(cards, written):
        if source.section:
            index = ids.index(source.section)
        elif card.kind == "cloze":
            index = passages.teaching([plain(a) for a in cloze_answers(card)], plain(cloze_blank(card.cloze)), texts)
        else:
            index = passages.teaching([plain(card.back)], plain(card.front), texts)
        where = parts[index]
        placed.append(replace(card, passage=where.id, label=f"{card.label} › {where.title}") if where.id else card)
    return tuple(placed)


def _entry(c: Content, entry: Node, entry_type: type[Entry]) -> Entry:
    def rendered(name: str) -> str:
        value = getattr(entry, name)
        return value if name == "id" else c.block(value) if name in BLOCK_FIELDS else c.inline(value)

    return entry_type(**{name: rendered(name) for name in entry_type.__struct_fields__})


# --- helpers both renderers and the tests use ----------------------------------------------


def cloze_blank(pieces: tuple[Piece, ...]) -> str:
    """The cloze sentence with every deletion replaced by a blank (or its hint)."""
    return "".join(p if isinstance(p, str) else f"[{p.hint or '…'}]" for p in pieces)


def cloze_reveal(pieces: tuple[Piece, ...], tag: str = "b") -> str:
    """The cloze sentence with every deletion shown, marked with `tag`."""
    return "".join(p if isinstance(p, str) else f"<{tag}>{p.answer}</{tag}>" for p in pieces)


def cloze_numbers(card: StudyCard) -> list[int]:
    """The card numbers of a cloze note: one card per distinct deletion number."""
    return sorted({p.number for p in card.cloze if isinstance(p, Deletion)})


def cloze_answers(card: StudyCard) -> list[str]:
    """The hidden parts of a cloze card, in order."""
    return [p.answer for p in card.cloze if isinstance(p, Deletion)]


TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=1 << 12)  # each card's answer in the book and note in the deck repeats its section's label
def title_html(text: str) -> str:
    """A plain-text title or label (Meta, Section.label, StudyCard.label) as HTML: escaped,
    its names and amounts kept whole as in the prose."""
    return typography.apply(html.escape(text, quote=True))


def plain(fragment: str) -> str:
    """Text of an HTML fragment, whitespace folded: what a reader sees."""
    return " ".join(html.unescape(TAG.sub("", fragment)).split())
