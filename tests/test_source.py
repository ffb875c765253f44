"""The real source: it loads, meets the content numbers, and carries the checked facts."""

from __future__ import annotations

import re

import pytest

from conftest import REAL_SOURCE
from exporter import content
from exporter.load import load


@pytest.fixture(scope="module")
def book() -> content.Book:
    return content.build(load(REAL_SOURCE).document)


@pytest.fixture(scope="module")
def card_texts(book) -> dict[str, str]:
    """What a learner can read on each card, front and back, facts filled in."""
    return {c.id: content.plain(" ".join((c.front, content.cloze_reveal(c.cloze), c.back, c.extra))) for c in book.cards}


@pytest.fixture(scope="module")
def all_text(book) -> str:
    parts = [s.html + " ".join(" ".join(e.html_fields()) for e in s.entries) for s in book.sections]
    return content.plain(" ".join(parts))


def test_content_numbers(book):
    doc = load(REAL_SOURCE).document
    assert len(book.cards) >= 100
    assert len(doc.chapters) >= 9
    assert all(chapter.cards for chapter in doc.chapters)
    assert len(doc.timeline.events) >= 15
    assert len(doc.glossary.terms) >= 12
    assert len(doc.people.people) >= 5
    assert len(doc.faq.questions) == 5  # the article's five questions
    assert len(doc.factors.factors) >= 5
    assert len(doc.book.sources) >= 6


def test_article_topics_each_have_a_chapter(book):
    titles = " ".join(s.title.lower() for s in book.chapters)
    for topic in ("brief", "background", "why", "aircraft", "flight", "japan", "examination", "life", "consequences"):
        assert topic in titles or any(topic in s.html.lower()[:400] for s in book.chapters), topic


def test_correction_joined_the_air_force(card_texts, all_text):
    """He finished school in 1965 and entered pilot school in 1967 (not 'joined the air force in 1965')."""
    assert not re.search(r"joined[^.]*in 1965", all_text)
    assert "1965" in card_texts["bg-school-year"] and "secondary school" in card_texts["bg-school-year"]
    assert "1967" in card_texts["bg-school-entry-year"]
    assert "1971" in card_texts["bg-school-graduation-year"]


def test_correction_circled_twice(card_texts, all_text):
    assert "circled twice" in card_texts["fl-circles"] and "third attempt" in card_texts["fl-circles"]
    assert "several times" not in all_text


def test_correction_asylum_dates(card_texts):
    assert "Gerald Ford" in card_texts["us-asylum-president"]
    assert "same day" in card_texts["us-asylum-timing"].lower()
    assert "9 September 1976" in card_texts["us-flight-date"] and "flown" in card_texts["us-flight-date"]
    assert not any("asylum" in text and "9 September" in text for text in card_texts.values())


def test_correction_citizenship(card_texts):
    assert "private Act of Congress" in card_texts["us-citizenship-means"]
    assert "Jimmy Carter" in card_texts["us-citizenship-president"]
    assert "1980" in card_texts["tlc-citizenship-year"]
    assert not any("naturali" in text.lower() for text in card_texts.values())


def test_correction_rank(card_texts, all_text):
    assert "Senior Lieutenant" in card_texts["bg-rank"]
    assert not re.search(r"Captain Belenko|Flight Lieutenant", all_text)
    assert not any(re.search(r"was a test pilot", text) for text in card_texts.values())


@pytest.mark.parametrize("disputed", [
    r"\b513", r"\b530", r"Rosebud|Red Bud", r"\btail number\b|\bnumber 31\b", r"\b\d\d crates",
    r"purge", r"low pay", r"\brouble", r"full tanks|80 ?%|80 per cent of (its|his) fuel", r"SR-71",
])
def test_nothing_disputed_or_unverified_on_a_card(card_texts, disputed):
    offenders = [card_id for card_id, text in card_texts.items() if re.search(disputed, text, re.I)]
    assert offenders == []


def test_disputed_points_are_said_in_the_text(all_text):
    assert "530th" in all_text and "513th" in all_text
    assert "Rosebud" in all_text and "Red Bud" in all_text


def test_mach_3_2_is_not_linked_to_the_sr71(all_text):
    for sentence in re.split(r"(?<=[.!?])\s", all_text):
        assert not ("3.2" in sentence and "SR-71" in sentence), sentence


def test_no_article_filler(all_text):
    for filler in ("WATCH NOW", "Leave a Comment", "related article", "visit this link"):
        assert filler.lower() not in all_text.lower()
