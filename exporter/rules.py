"""Card-formulation rules: cards that build fine but teach badly.

A card teaches when it asks for one small fact, has one acceptable answer, gives no cue to
it, does not interfere with its neighbours and makes sense alone in a shuffled deck. Each
rule below catches one common way of breaking that, from the words alone; the README's
`check` section gives the reason for each.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, NamedTuple

from exporter import content

# The rules, by the names `check` counts them under.
RULES = ("answer-in-question", "glossary-leak", "neighbours", "list-answer", "long-answer", "no-subject",
         "trivial-deletion", "ambiguous-reverse")

# --- thresholds, each with its reason ----------------------------------------------------------

# A question's answer or a cloze deletion longer than this holds more than one fact, or context
# that belongs in `extra`: eight words still fit a name with its title ("Director of Central
# Intelligence (head of the CIA)"), which is the longest single fact a card needs.
MAX_ANSWER_WORDS = 8
# A definition is recalled as a gist, not word for word, so it may be longer; past two dozen
# words it is a paragraph, and the reverse card (definition -> term) becomes a reading test.
MAX_DEFINITION_WORDS = 24
# A definition shorter than this is a category with at most one feature ("A Japanese air
# base."): other terms fit it too, so the reverse card has no single answer.
MIN_DEFINITION_WORDS = 6
# Three items make a list: a learner who recalls two of three cannot grade the card.
LIST_ITEMS = 3
# A word keeps at least this many letters when its ending is dropped, so "interceptor"
# matches "intercept" and "defector" matches "defection", but "base" stays "base".
STEM_LETTERS = 4

# --- words ---------------------------------------------------------------------------------------

WORD = re.compile(r"[^\W_]+(?:[.,][^\W_]+)*")
# Words that carry no fact of their own; an answer made only of them needs no support.
STOP = frozenset(
    "about after also among and because been before being between both could during each from "
    "have into more most only other over same some such than that their them then there these "
    "they this those through under very were what when where which while will with would year "
    "years the his her its was for not but who how why".split()
)
# Words that only join or point: a cloze deletion made of these alone tests grammar, not a fact.
FUNCTION = frozenset(
    "a an the and or but nor so yet if then than that this these those there here not no "
    "of in on at to for from by with without into onto over under about after before during "
    "as is are was were be been being am do does did has have had will would can could shall "
    "should may might must he she it they we you i him her them us me his its their our your my "
    "who whom whose which what when where why how".split()
)
# Words that leave a question without a subject when it opens with them.
PRONOUNS = frozenset("he she it they this these those his her its their him them".split())
# Words skipped when reading an abbreviation's initials ("identification friend or foe").
JOINERS = frozenset("of or and the for to in on a an de".split())
ABBREVIATION = re.compile(r"[A-Z]{2,6}")
# A list is items between commas or semicolons, the last one often joined by 'and' or 'or'.
LIST_SEPARATOR = re.compile(r"\s*[,;]\s+")
LAST_JOIN = re.compile(r"\s(?:and|or)\s")


@lru_cache(maxsize=1 << 17)  # room for every text of 10,000 cards (about 35,000)
def key_words(text: str) -> frozenset[str]:
    """The words of a plain text that must appear in a passage supporting it. Cached: a
    passage is read for the cards it teaches, then for the answers it supports."""
    words = set(map(str.lower, WORD.findall(text)))  # lower() after: "İ" lowers to two characters
    return frozenset(w for w in words - STOP if len(w) >= 4 or any(map(str.isdigit, w)))


# Endings dropped before words are compared, longest first.
SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ers", "ors", "er", "or", "ed", "es", "s", "e", "ly")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A word without its plural, tense or agent ending: 'defector', 'defected' -> 'defect'."""
    for suffix in SUFFIXES if word.endswith(SUFFIXES) else ():
        if word.endswith(suffix) and len(word) - len(suffix) >= STEM_LETTERS:
            word = word[: -len(suffix)]
            break
    if len(word) > STEM_LETTERS and word[-1] == word[-2] and word[-1] not in "aeiou":  # "drugg" -> "drug"
        word = word[:-1]
    return word


@lru_cache(maxsize=1 << 17)  # as key_words
def stems(text: str) -> frozenset[str]:
    """The key words of a text, stemmed: what two texts must share to say the same thing.
    Cached: each card's texts are compared with many others."""
    return frozenset(map(stem, key_words(text)))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- what a learner sees ---------------------------------------------------------------------------


class Side(NamedTuple):
    """One card Anki makes from a note: what is shown, and what must be recalled."""

    prompt: str  # plain text shown before the answer
    answers: tuple[str, ...]  # plain text to recall


def sides(card: content.StudyCard) -> list[Side]:
    """Every card Anki makes from one note, as plain text."""
    if card.kind == "term":
        term, definition = content.plain(card.front), content.plain(card.back)
        return [Side(term, (definition,)), Side(definition, (term,))]
    if card.kind == "question":
        return [Side(content.plain(card.front), (content.plain(card.back),))]
    # Anki makes one card per deletion number; on it that number's deletions show as a blank
    # (or their hint), and the other numbers' deletions as text.
    out = []
    for n in content.cloze_numbers(card):
        prompt = "".join(p if isinstance(p, str) else (f"[{p.hint}]" if p.hint else "[…]") if p.number == n
                         else p.answer for p in card.cloze)
        answers = tuple(content.plain(p.answer) for p in card.cloze if not isinstance(p, str) and p.number == n)
        out.append(Side(content.plain(prompt), answers))
    return out


def shown_text(card: content.StudyCard) -> str:
    """What a card puts in front of a learner who reads its neighbours: its question, or the
    cloze sentence in full, or a glossary term with its definition."""
    if card.kind == "cloze":
        return content.plain(content.cloze_reveal(card.cloze))
    if card.kind == "term":
        return content.plain(card.front + " " + card.back)
    return content.plain(card.front)


# --- the rules -------------------------------------------------------------------------------------

Finding = tuple[tuple, str, str]  # (data key, rule name, message)


def check(sections: list[tuple[content.Section, list[tuple]]]) -> list[Finding]:
    """Every finding for the cards of each section, given with each card's data key."""
    found: list[Finding] = []
    for section, keys in sections:
        card_sides = [sides(card) for card in section.cards]
        for card, key, its_sides in zip(section.cards, keys, card_sides):
            found += [(key, rule, f"card '{card.id}': {message}") for rule, message in _card_rules(card, its_sides)]
        found += _neighbours(section, keys, card_sides)
    return found


def _card_rules(card: content.StudyCard, card_sides: list[Side]) -> Iterator[tuple[str, str]]:
    if card.kind == "term":
        forward, _ = card_sides
        yield from _glossary_rules(forward.prompt, forward.answers[0])
        return
    first = card_sides[0].prompt.split()[0].strip(".,;:!?\"'“‘*_") if card_sides[0].prompt else ""
    if first.lower() in PRONOUNS:
        yield "no-subject", (f"it opens with '{first}', which means nothing in a shuffled deck; "
                             "name who or what it is about")
    for side in card_sides:
        for answer in side.answers:
            yield from _answer_rules(card, side.prompt, answer)


def _answer_rules(card: content.StudyCard, prompt: str, answer: str) -> Iterator[tuple[str, str]]:
    given = stems(answer)
    if given and given <= stems(prompt):
        where = "question" if card.kind == "question" else "visible text"
        yield "answer-in-question", (f"the answer '{_short(answer)}' is already in the {where}; "
                                     "ask so that only recall gives it")
    items = _list_items(answer)
    if items >= LIST_ITEMS:
        yield "list-answer", (f"the answer '{_short(answer)}' lists {items} items; make one card per "
                              "item, or a cloze with one deletion per item")
    words = len(answer.split())
    if words > MAX_ANSWER_WORDS:
        yield "long-answer", (f"the answer has {words} words (limit {MAX_ANSWER_WORDS}); split the card, "
                              "or keep the fact and move the context to 'extra'")
    if card.kind == "cloze" and all(w.lower() in FUNCTION for w in WORD.findall(answer)):
        yield "trivial-deletion", (f"the deletion '{answer}' holds only function words; hide a word "
                                   "that carries the fact")


def _glossary_rules(term: str, definition: str) -> Iterator[tuple[str, str]]:
    shared = sorted(w for w in key_words(term) if stem(w) in stems(definition))
    spelt = _spelt_out(term, definition)
    if shared or spelt:
        what = f"spells out '{spelt}'" if spelt else f"contains '{', '.join(shared)}'"
        yield "glossary-leak", (f"the definition {what}, so the definition → term card answers "
                                "itself; define it without the term's own words")
    words = len(definition.split())
    if words < MIN_DEFINITION_WORDS:
        yield "ambiguous-reverse", (f"the definition has {words} words (at least {MIN_DEFINITION_WORDS}), "
                                    "so other terms fit it too; add what sets this term apart")
    if words > MAX_DEFINITION_WORDS:
        yield "long-answer", (f"the definition has {words} words (limit {MAX_DEFINITION_WORDS}); keep the "
                              "gist and move the rest to the book's text")


def _list_items(answer: str) -> int:
    """How many items an answer lists: 'A, B and C' is three, 'A and B' is one phrase."""
    items = [item for item in LIST_SEPARATOR.split(answer.strip().rstrip(".")) if item.strip()]
    return len(items) + (len(items) > 1 and bool(LAST_JOIN.search(items[-1])))


def _spelt_out(term: str, definition: str) -> str:
    """The words of `definition` whose initials spell the abbreviation `term`, if any."""
    if not ABBREVIATION.fullmatch(term):
        return ""
    words = WORD.findall(definition)
    for start, first in enumerate(words):
        if first.lower() in JOINERS:
            continue
        initials, end = "", start
        while end < len(words) and len(initials) < len(term):
            if words[end].lower() not in JOINERS or end == start:
                initials += words[end][0].upper()
            end += 1
        if initials == term:
            return " ".join(words[start:end])
    return ""


def _neighbours(section: content.Section, keys: list[tuple], card_sides: list[list[Side]]) -> Iterator[Finding]:
    """A card whose answer stands in another card of the same section: in the book they share
    one list, in Anki each cues the other."""
    cards = list(zip(section.cards, keys))
    # Which cards show each word: a large glossary would make comparing every pair slow.
    showing: dict[str, set[int]] = {}
    for i, (card, _) in enumerate(cards):
        for word in stems(shown_text(card)):
            showing.setdefault(word, set()).add(i)
    for i, (card, key) in enumerate(cards):
        for side in card_sides[i]:
            for answer in side.answers:
                # What the learner must produce: the answer's words beyond those its own
                # question gives. An answer with none (too short to mean anything) is skipped.
                wanted = stems(answer) - stems(side.prompt)
                if not wanted:
                    continue
                others = set.intersection(*(showing.get(word, set()) for word in wanted)) - {i}
                if others:
                    other = cards[min(others)][0]
                    yield key, "neighbours", (
                        f"card '{card.id}': its answer '{_short(answer)}' stands in card '{other.id}' "
                        f"of {section.label}, so each cues the other; reword one of them")
