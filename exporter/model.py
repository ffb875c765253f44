"""The source format as editors see it and as the error reports explain it.

Its twin, document.py, is what a loaded source becomes; this model is only built when that one
refuses the source, to say every reason why (validate.py). Field descriptions go into the JSON
Schema (`exporter schema`), which editors show while an author types, so they are written for
the author. (Descriptions rather than attribute
docstrings: pydantic reads those from the source file, which costs every run 20 ms.)
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag as Kind
from pydantic_core import PydanticCustomError

from exporter.document import ISO_DATE, LANGUAGE_TAG, SLUG, TAG, calendar_date, distinct_subtags
from exporter.syntax import blank


def _visible(value: str) -> str:
    """Refuse text of spaces and invisible characters only: a blank title makes an EPUB that
    EPUBCheck refuses and a deck without a name, a blank question an empty card front."""
    if blank(value):
        raise PydanticCustomError("blank", "blank text")
    return value


# Scalars arrive from the loader as the exact text the author wrote; nothing is coerced.
Text = Annotated[str, StringConstraints(strict=True, min_length=1), AfterValidator(_visible)]
Slug = Annotated[str, StringConstraints(strict=True, pattern=f"^{SLUG}$")]
Tag = Annotated[str, StringConstraints(strict=True, pattern=f"^{TAG}$")]


Language = Annotated[str, StringConstraints(strict=True, pattern=f"^{LANGUAGE_TAG}$"), AfterValidator(distinct_subtags)]
# Said of both kinds of card.
CARD_ID = "Stable id of the card (lowercase slug). Never change it: Anki uses it to update the card in place."
CARD_EXTRA = "Optional context shown on the back of the card and after the answer in the book."
CARD_TAGS = "Optional Anki tags (lowercase slugs; use '::' for a hierarchy)."
CARD_SECTION = (
    "Optional, chapter cards only: the id of the section of the chapter's text that teaches the card, "
    "from its heading ('# The landing' is 'the-landing'). Without it, the section whose text holds "
    "the answer's words."
)
IsoDate = Annotated[
    str, StringConstraints(strict=True, pattern=f"^{ISO_DATE}$"), AfterValidator(calendar_date)
]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class QuestionCard(Node):
    """A question with a short answer."""

    id: Slug = Field(description=CARD_ID)
    question: Text = Field(
        description="The question, in Markdown. It must make sense on its own, out of context."
    )
    answer: Text = Field(description="The answer: one fact, as short as possible.")
    extra: str = Field("", description=CARD_EXTRA)
    tags: tuple[Tag, ...] = Field((), description=CARD_TAGS)
    section: Slug = Field("", description=CARD_SECTION)


class ClozeCard(Node):
    """A sentence with one or more deletions: {{c1::hidden text}}."""

    id: Slug = Field(description=CARD_ID)
    cloze: Text = Field(
        description="A sentence with deletions {{c1::...}}, {{c2::...}}, numbered from c1 without gaps."
    )
    extra: str = Field("", description=CARD_EXTRA)
    tags: tuple[Tag, ...] = Field((), description=CARD_TAGS)
    section: Slug = Field("", description=CARD_SECTION)


def card_class(data: object) -> type[QuestionCard] | type[ClozeCard]:
    """A card with a 'cloze' key is a cloze card; any other is a question card."""
    if not isinstance(data, dict):
        return ClozeCard if isinstance(data, ClozeCard) else QuestionCard
    # A misspelt 'cloze' on a card without a question still means a cloze card, so the
    # author hears "did you mean 'cloze'?" rather than "missing question".
    if "cloze" in data:
        return ClozeCard
    misspelt = "question" not in data and difflib.get_close_matches("cloze", [str(k) for k in data], 1, 0.6)
    return ClozeCard if misspelt else QuestionCard


CARD_KINDS = {QuestionCard: "question-card", ClozeCard: "cloze-card"}
Card = Annotated[
    Union[Annotated[QuestionCard, Kind("question-card")], Annotated[ClozeCard, Kind("cloze-card")]],
    Discriminator(lambda data: CARD_KINDS[card_class(data)]),
]


class Source(Node):
    id: Slug
    text: Text = Field(description="The bibliographic entry, in Markdown.")


class Book(Node):
    id: Slug = Field(
        description="Stable id of the book. Every id in the deck and the book is derived from it: never change it."
    )
    tag: Slug = Field(
        description="Root of the Anki tags, e.g. 'belenko' gives 'belenko::chapter::the-flight'."
    )
    title: Text
    subtitle: str = ""
    language: Language = Field(description="BCP 47 language tag, e.g. 'en' or 'en-GB'.")
    author: Text = Field(description="Author or compiler, as it should appear on the cover.")
    description: Text
    rights: Text = Field(description="Copyright and licence statement.")
    edition: IsoDate = Field(description="Edition date, YYYY-MM-DD.")
    sources: tuple[Source, ...] = Field(min_length=1, description="The bibliography.")
    decks: Literal["one", "chapters"] = Field(
        "one",
        description="How the Anki deck is laid out: 'one' deck for the whole book (the default), or 'chapters': "
        "a subdeck per chapter ('Title::01 First Chapter') and per back-matter part ('Title::Glossary'). "
        "Anki never moves cards a learner already has: after a change, the build says how to move them.",
    )


class Chapter(Node):
    id: Slug
    title: Text
    text: Text = Field(description="The chapter's prose, in Markdown (raw HTML is shown as text). An image: "
                       "![alt text](images/map.png \"optional caption\"), PNG or JPEG, below the source's folder.")
    cards: tuple[Card, ...] = Field(
        (), description="The chapter's cards (`exporter check` warns about a chapter without any)."
    )


class Event(Node):
    id: Slug
    date: Text = Field(description="The date as it should be shown, e.g. '6 September 1976'.")
    event: Text


class Term(Node):
    """A glossary entry; it becomes one Anki note studied both ways."""

    id: Slug
    term: Text
    definition: Text = Field(description="A short definition, one or two sentences.")


class Person(Node):
    id: Slug
    name: Text
    role: Text = Field(description="One line: who the person is in this story.")
    text: str = Field("", description="Optional longer description, in Markdown.")


class Question(Node):
    id: Slug
    question: Text
    answer: Text = Field(description="The answer, in Markdown.")


class Factor(Node):
    id: Slug
    factor: Text
    description: Text
    impact: Text


class Part(Node):
    """Common shape of the back-matter parts."""

    title: Text
    text: str = Field("", description="Optional introduction, in Markdown.")
    cards: tuple[Card, ...] = Field((), description="Cards about this part.")


class Timeline(Part):
    events: tuple[Event, ...] = Field(min_length=1)


class Glossary(Part):
    terms: tuple[Term, ...] = Field(min_length=1)


class People(Part):
    people: tuple[Person, ...] = Field(min_length=1)


class Faq(Part):
    questions: tuple[Question, ...] = Field(min_length=1)


class Factors(Part):
    factors: tuple[Factor, ...] = Field(min_length=1)


class Document(Node):
    """A study source: one book, its facts, chapters and back matter."""

    book: Book
    facts: dict[Slug, Text] = Field({}, description="Named values written once and used anywhere as ${name}.")
    chapters: tuple[Chapter, ...] = Field(min_length=1)
    timeline: Timeline | None = None
    people: People | None = None
    glossary: Glossary | None = None
    faq: Faq | None = None
    factors: Factors | None = None


def schema_json() -> str:
    """The JSON Schema editors validate the source against."""
    import json

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Document.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False)
