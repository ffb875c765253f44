"""The validated document as every later step reads it, and the quick check that makes it.

The format is described twice. model.py (pydantic) is its description for editors (`exporter
schema`) and the reporter that names every problem of a broken source with its place; it
costs about 100 ms to import. This module (msgspec) costs a tenth of that and only says yes
or no: `load` uses it first, and model.py only when it says no. tests/test_agreement.py holds
the two to the same verdicts. Patterns and checks they share are written here once.
"""

# No `from __future__ import annotations`: msgspec would evaluate every annotation written as
# text on the first source it checks (a few ms, every run), and Node finds its Text fields by
# the annotation itself.
from datetime import date
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from exporter.syntax import blank

# Regular expressions without their anchors: the schema writes '^...$', which pydantic and
# editors read as the whole text, while Python's '$' also matches before a final newline.
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
TAG = rf"{SLUG}(?:::{SLUG})*"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
# A BCP 47 language tag as RFC 5646 writes it: language (2-3 letters; longer ones are not
# registered) and extended language subtags, then script, region, variants, extensions and
# private use, in that order. EPUBCheck refuses a book whose tag is not well formed (OPF-092).
LANGUAGE_TAG = (
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
)


def distinct_subtags(tag: str) -> str:
    """RFC 5646 also forbids a repeated variant or extension: 'de-1996-1996' is not valid."""
    subtags = tag.lower().partition("-x-")[0].split("-")[1:]  # private use may repeat anything
    singletons = [s for s in subtags if len(s) == 1]  # each starts an extension
    before_extensions = subtags[: subtags.index(singletons[0])] if singletons else subtags
    variants = [s for s in before_extensions if len(s) > 4 or len(s) == 4 and s[0].isdigit()]
    if len(set(variants)) < len(variants) or len(set(singletons)) < len(singletons):
        raise ValueError("a variant or an extension is repeated")
    return tag


def calendar_date(value: str) -> str:
    date.fromisoformat(value)  # ValueError for 2026-02-30
    return value


def _whole(pattern: str) -> Meta:
    return Meta(pattern=rf"^(?:{pattern})\Z")


# Scalars arrive from the loader as the text the author wrote: nothing is coerced.
Text = Annotated[str, Meta(min_length=1)]  # and not blank: Node checks it
Slug = Annotated[str, _whole(SLUG)]
Tag = Annotated[str, _whole(TAG)]
Language = Annotated[str, _whole(LANGUAGE_TAG)]
IsoDate = Annotated[str, _whole(ISO_DATE)]


# Every subclass says frozen=True again for mypy (msgspec inherits it), and kw_only=True where a
# required field follows an optional one, so that the order stays the schema's.
class Node(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    visible: ClassVar[tuple[str, ...]] = ()  # the fields of type Text, which must show something

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__annotations__", {})
        cls.visible = cls.visible + tuple(name for name, kind in own.items() if kind is Text)

    def __post_init__(self) -> None:
        for name in self.visible:
            value = getattr(self, name)
            if value and blank(value):  # empty: an optional card field left out
                raise ValueError(f"'{name}' is blank")


class Card(Node, frozen=True):
    """A question card (question and answer) or a cloze card (cloze). One type: msgspec
    cannot tell two structs apart by their keys, so __post_init__ holds each to one kind."""

    id: Slug
    question: Text = ""
    answer: Text = ""
    cloze: Text = ""
    extra: str = ""
    tags: tuple[Tag, ...] = ()
    section: Slug = ""  # chapter cards only (crosscheck.py): the id of the section that teaches it

    def __post_init__(self) -> None:
        super().__post_init__()
        if bool(self.cloze) == bool(self.question or self.answer) or bool(self.question) != bool(self.answer):
            raise ValueError("a card has a question and an answer, or a cloze")


class Source(Node, frozen=True):
    id: Slug
    text: Text


class Book(Node, frozen=True, kw_only=True):
    id: Slug
    tag: Slug
    title: Text
    subtitle: str = ""
    language: Language
    author: Text
    description: Text
    rights: Text
    edition: IsoDate
    sources: Annotated[tuple[Source, ...], Meta(min_length=1)]
    decks: Literal["one", "chapters"] = "one"

    def __post_init__(self) -> None:
        super().__post_init__()
        distinct_subtags(self.language)
        calendar_date(self.edition)


class Chapter(Node, frozen=True):
    id: Slug
    title: Text
    text: Text
    cards: tuple[Card, ...] = ()


class Event(Node, frozen=True):
    id: Slug
    date: Text  # as shown, e.g. "6 September 1976": not a date to compute with
    event: Text


class Term(Node, frozen=True):
    """A glossary entry: one note studied both ways."""

    id: Slug
    term: Text
    definition: Text  # also a question's prompt, the other way round


class Person(Node, frozen=True):
    id: Slug
    name: Text
    role: Text
    text: str = ""


class Question(Node, frozen=True):
    """A question of the FAQ (not a card: its answer is prose)."""

    id: Slug
    question: Text
    answer: Text


class Factor(Node, frozen=True):
    id: Slug
    factor: Text
    description: Text
    impact: Text


class Part(Node, frozen=True):
    title: Text
    text: str = ""
    cards: tuple[Card, ...] = ()


class Timeline(Part, frozen=True, kw_only=True):
    events: Annotated[tuple[Event, ...], Meta(min_length=1)]


class Glossary(Part, frozen=True, kw_only=True):
    terms: Annotated[tuple[Term, ...], Meta(min_length=1)]


class People(Part, frozen=True, kw_only=True):
    people: Annotated[tuple[Person, ...], Meta(min_length=1)]


class Faq(Part, frozen=True, kw_only=True):
    questions: Annotated[tuple[Question, ...], Meta(min_length=1)]


class Factors(Part, frozen=True, kw_only=True):
    factors: Annotated[tuple[Factor, ...], Meta(min_length=1)]


class Document(Node, frozen=True, kw_only=True):
    book: Book
    facts: dict[Slug, Text] = {}
    chapters: Annotated[tuple[Chapter, ...], Meta(min_length=1)]
    timeline: Timeline | None = None
    people: People | None = None
    glossary: Glossary | None = None
    faq: Faq | None = None
    factors: Factors | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if any(blank(value) for value in self.facts.values()):
            raise ValueError("a fact is blank")


def validated(data) -> Document | None:
    """The document, or None if anything in it is wrong (model.py says what)."""
    try:
        return msgspec.convert(data, Document)
    except msgspec.ValidationError:
        return None
