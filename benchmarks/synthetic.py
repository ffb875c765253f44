"""Synthetic study sources of any size, shaped like the real one, for the benchmark and tests.

`make_source(cards)` returns the YAML text of a source with exactly `cards` question and cloze
cards (glossary terms come on top, as in the real source). The shape follows
`source/belenko-defection.yaml` scaled up: chapters of 10 to 20 cards, each with a few
paragraphs of Markdown prose that states every answer (so `exporter check --strict` passes),
about two facts per five cards used through `${name}`, and back matter (timeline, people,
glossary, FAQ, factors) in the same proportion to the cards as there. The text is written out
the way a person would write it (block scalars for prose, plain scalars where YAML allows),
not dumped, and depends only on `cards` and `seed`.
"""

from __future__ import annotations

import json
import random
import re

__all__ = ["make_source", "shape"]

CONSONANTS = "b c d f g k l m n p r s t v z br dr gr kr st tr sh ch".split()
VOWELS = "a e i o u a e o".split()
THINGS = ["convoy", "expedition", "regiment", "survey", "delegation", "caravan", "flotilla", "squadron",
          "mission", "commission", "archive", "observatory", "workshop", "garrison", "embassy"]
VERBS = [("reached", "reach"), ("left", "leave"), ("crossed", "cross"), ("visited", "visit"),
         ("surveyed", "survey"), ("abandoned", "abandon"), ("founded", "found"), ("mapped", "map")]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
UNITS = ["kilometres", "tonnes", "metres", "crates", "volumes", "horses", "barrels", "letters"]
ROLES = ["chief engineer", "senior archivist", "expedition doctor", "field surveyor", "liaison officer",
         "quartermaster", "navigator", "interpreter", "photographer", "cartographer"]
FILLER = [
    "The records of the period are uneven, and later accounts do not always agree on the details.",
    "Contemporary newspapers followed the story closely, though often with more enthusiasm than accuracy.",
    "Much of what is known comes from letters written at the time and from interviews given decades later.",
    "Historians still argue about how much of this was planned and how much was improvised.",
    "The weather that season was unusually harsh — \"the worst in living memory\", one diarist wrote.",
    "None of the participants seems to have grasped at the time how much would follow from it.",
    "Officials were careful to say as little as possible in public; in private they said a great deal.",
    "Some of the figures quoted at the time were later revised, usually downwards.",
    "A good deal of it was never written down, and what was written down was not always kept.",
    "Local people remembered the episode differently, and their versions are worth hearing too.",
    "It was, as one participant put it, 'a matter of luck as much as of judgement'.",
    "The costs, in money and in lives, were counted only much later.",
]
# Unicode letters a real source has: accented Latin names, the occasional typographic quote.
ACCENTS = str.maketrans({"e": "é", "o": "ö", "a": "á", "u": "ü"})

# Parts per 100 cards, from the real source (timeline 20, people 8, glossary 19, FAQ 5, factors 6).
PER_100 = {"events": 15, "people": 6, "terms": 15, "questions": 5, "factors": 5}
PART_CARD_SHARE = 0.05  # the real source has 6 back-matter cards for 108 chapter cards


def shape(cards: int) -> dict[str, int]:
    """How many of each thing a source of `cards` cards holds (the counts make_source uses)."""
    if cards < 1:
        raise ValueError("cards must be at least 1")
    part_cards = round(cards * PART_CARD_SHARE)
    counts = {name: max(2, round(cards * n / 100)) for name, n in PER_100.items()}
    counts.update(part_cards=part_cards, chapter_cards=cards - part_cards)
    return counts


class _Words:
    """Pronounceable made-up words, never the same one twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def __call__(self, syllables: tuple[int, int] = (2, 3)) -> str:
        while True:
            n = self.rng.randint(*syllables)
            word = "".join(self.rng.choice(CONSONANTS) + self.rng.choice(VOWELS) for _ in range(n))
            word += self.rng.choice(["", "n", "r", "sk", "v", "l"])
            # Endings that `check` drops when comparing words ("staker" -> "stak") would
            # make two made-up words one, and one card the cue of another.
            if len(word) >= 5 and word not in self.seen and not word.endswith(("e", "er", "or")):
                self.seen.add(word)
                return word

    def name(self) -> str:
        word = self().capitalize()
        return word.translate(ACCENTS) if self.rng.random() < 0.15 else word


_PLAIN = re.compile(r"^[A-Za-z0-9À-ɏ][^:#{}\[\],&*!|>'\"%@`]*$")


def _scalar(text: str) -> str:
    """A YAML scalar for one line of text: plain when YAML reads it back as written, else quoted."""
    if _PLAIN.match(text) and not text.endswith(" ") and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _block(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return ["|"] + [pad + line if line else "" for line in text.rstrip("\n").split("\n")]


def _date(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {year}"


def make_source(cards: int, seed: int = 0) -> str:
    """The YAML text of a valid source with exactly `cards` question and cloze cards."""
    rng = random.Random(f"exporter-synthetic:{cards}:{seed}")
    word = _Words(rng)
    counts = shape(cards)
    out: list[str] = []
    emit = out.append

    book_word = word()
    emit(f"# Synthetic source: {cards} cards, seed {seed} (benchmarks/synthetic.py).")
    emit("book:")
    emit(f"  id: synthetic-{book_word}")
    emit("  tag: synthetic")
    emit(f"  title: The {book_word.capitalize()} Affair")
    emit(f"  subtitle: A synthetic study source of {cards:,} cards")
    emit("  language: en")
    emit("  author: The Benchmark Generator")
    emit("  description: >-")
    emit("    Generated text with the shape of a real study source: chapters of prose with their")
    emit("    cards, facts used throughout, and a timeline, people, glossary, FAQ and factors.")
    emit("  rights: CC0")
    emit('  edition: "2026-01-15"')
    emit("  sources:")
    for i in range(max(1, cards // 20)):
        author, title = word.name(), word().capitalize()
        emit(f"    - id: source-{i + 1}")
        emit(f"      text: {_scalar(f'{author}, *The {title} Papers* ({rng.randint(1950, 2020)}).')}")

    # Chapters: sizes 10-20 until the chapter cards are used up.
    sizes: list[int] = []
    left = counts["chapter_cards"]
    while left > 0:
        n = min(left, rng.randint(10, 20))
        sizes.append(n)
        left -= n

    facts: dict[str, str] = {}
    chapters: list[list[str]] = []
    all_places: list[str] = []
    for number, size in enumerate(sizes, 1):
        chapter_word = word()
        chapter_id = f"ch{number}-{chapter_word}"
        sentences: list[str] = []
        card_lines: list[str] = []
        # A year used twice in one chapter would make one card's answer another card's cue.
        # So would a number; places and names are never repeated anyway.
        years = rng.sample(range(1900, 2000), size)
        counts_used: set[str] = set()

        def unique(make, used: set[str] = counts_used) -> str:
            while (value := make()) in used:
                pass
            used.add(value)
            return value

        for k in range(size):
            thing, name = rng.choice(THINGS), word.name()
            place, year = word.name(), years[k]
            all_places.append(place)
            past, base = rng.choice(VERBS)
            card_id = f"{chapter_id}-{k + 1}"
            kind = rng.random()
            if kind < 0.1:  # a cloze card hiding a fact
                fact = f"{chapter_word}-{k + 1}-count"
                facts[fact] = unique(lambda: f"{rng.randint(2, 99)} {rng.choice(UNITS)}")
                sentences.append(f"In {year} the {thing} of {name} lost ${{{fact}}} near {place}.")
                cloze = f"In {year} the {thing} of {name} lost {{{{c1::${{{fact}}}}}}} near {place}."
                card_lines += [f"      - id: {card_id}", f"        cloze: {_scalar(cloze)}"]
            elif kind < 0.35:  # a cloze card, sometimes with two deletions and a hint
                sentences.append(f"In {year} the {thing} of {name} {past} {place}.")
                if rng.random() < 0.5:
                    cloze = f"In {{{{c1::{year}}}}} the {thing} of {name} {past} {{{{c2::{place}::a place}}}}."
                else:
                    cloze = f"The {thing} of {name} {past} {{{{c1::{place}}}}} in {year}."
                card_lines += [f"      - id: {card_id}", f"        cloze: {_scalar(cloze)}"]
            elif kind < 0.6:  # the answer is a fact, written once and used in prose and card
                fact = f"{chapter_word}-{k + 1}-measure"
                facts[fact] = unique(lambda: f"{rng.randint(2, 999)},{rng.randint(100, 999)} {rng.choice(UNITS)}")
                sentences.append(f"By {year} the {thing} of {name} had moved ${{{fact}}} in all.")
                card_lines += [
                    f"      - id: {card_id}",
                    f"        question: {_scalar(f'How much had the {thing} of {name} moved by {year}?')}",
                    f"        answer: {_scalar('${' + fact + '}')}",
                ]
            else:
                sentences.append(f"The {thing} of {name} {past} *{place}* in {year}.")
                lines = [
                    f"      - id: {card_id}",
                    f"        question: {_scalar(f'Which place did the {thing} of {name} {base} in {year}?')}",
                    f"        answer: {place}",
                ]
                if rng.random() < 0.3:
                    lines.append(f"        extra: {_scalar(f'{place} was first recorded in {year - rng.randint(5, 200)}.')}")
                if rng.random() < 0.2:
                    lines.append(f"        tags: [{rng.choice(['places', 'dates', 'people', 'numbers'])}]")
                card_lines += lines
        # Prose: the card sentences shuffled into 3-5 paragraphs with some filler and Markdown.
        rng.shuffle(sentences)
        paragraphs: list[str] = []
        per = max(1, -(-len(sentences) // rng.randint(3, 5)))
        for i in range(0, len(sentences), per):
            body = sentences[i:i + per] + rng.sample(FILLER, rng.randint(2, 4))
            paragraphs.append(_wrap(" ".join(body)))
        if rng.random() < 0.3:
            paragraphs.insert(1, "\n".join(f"- **{word().capitalize()}**: {rng.choice(FILLER)}" for _ in range(3)))
        if rng.random() < 0.15:
            paragraphs.append("> " + rng.choice(FILLER))
        chapter = [
            f"  - id: {chapter_id}",
            f"    title: {_scalar(f'{chapter_word.capitalize()} and the {rng.choice(THINGS).capitalize()}')}",
            "    text: " + "\n".join(_block("\n\n".join(paragraphs), 6)),
            "    cards:",
            *card_lines,
        ]
        chapters.append(chapter)

    # Back matter: entries in proportion, and a share of the cards asked about them.
    part_cards = counts["part_cards"]
    share = {"timeline": part_cards - 3 * (part_cards // 4), "people": part_cards // 4,
             "faq": part_cards // 4, "factors": part_cards // 4}
    back: list[str] = []

    events = []
    for i in range(counts["events"]):
        year = rng.randint(1900, 1999)
        date = _date(rng, year)
        if rng.random() < 0.2:
            fact = f"event-{i + 1}-date"
            facts[fact] = date
            date_text = f"${{{fact}}}"
        else:
            date_text = date
        events.append((f"tl-{i + 1}", date_text, f"The {rng.choice(THINGS)} of {word.name()} reaches {rng.choice(all_places)}."))
    back += ["timeline:", "  title: Timeline", "  text: " + "\n".join(_block("Dates are local dates.", 4)), "  events:"]
    for eid, date, event in events:
        back += [f"    - id: {eid}", f"      date: {_scalar(date)}", f"      event: {_scalar(event)}"]
    back += _part_cards("tl", [(f"On which date did {e[2][4:-1]}?".replace(" reaches ", " reach "), e[1])
                               for e in events], share["timeline"], rng)

    people = []
    for i in range(counts["people"]):
        name = f"{word.name()} {word.name()}"
        people.append((f"person-{i + 1}", name, f"{rng.choice(ROLES).capitalize()} of the {word()} {rng.choice(THINGS)}"))
    back += ["people:", "  title: People", "  people:"]
    for pid, name, role in people:
        back += [f"    - id: {pid}", f"      name: {_scalar(name)}", f"      role: {_scalar(role + '.')}"]
        if rng.random() < 0.3:
            back.append(f"      text: {_scalar(f'{name} kept a diary that survives in part.')}")
    back += _part_cards("person", [(f"Who was the {role[0].lower() + role[1:]}?", name) for _, name, role in people],
                        share["people"], rng)

    back += ["glossary:", "  title: Glossary", "  text: " + "\n".join(_block("Terms used in the chapters.", 4)), "  terms:"]
    # Each definition names a place of its own: two terms with one definition would be one card.
    for i in range(counts["terms"]):
        term, place = word().capitalize(), word.name()
        definition = f"A {rng.choice(['kind of', 'form of', 'name for a'])} {rng.choice(THINGS)} used in {place}."
        back += [f"    - id: term-{i + 1}", f"      term: {term}", f"      definition: {_scalar(definition)}"]

    questions = []
    for i in range(counts["questions"]):
        subject, place = word.name(), word.name()
        questions.append((f"faq-{i + 1}", f"Why does the {subject} question matter?",
                          f"Because the *{subject}* papers were the first to mention {place}.", place))
    back += ["faq:", "  title: Questions and answers", "  questions:"]
    for qid, q, a, _ in questions:
        back += [f"    - id: {qid}", f"      question: {_scalar(q)}", f"      answer: {_scalar(a)}"]
    back += _part_cards("faq", [(f"Which papers were the first to mention {place}?", a.split("*")[1])
                                for _, _, a, place in questions], share["faq"], rng)

    factors = []
    for i in range(counts["factors"]):
        factors.append((f"factor-{i + 1}", word().capitalize(), f"The {rng.choice(THINGS)} depended on it.",
                        rng.choice(["High", "Medium", "Low", "Decisive", "Disputed"])))
    back += ["factors:", "  title: Factors", "  factors:"]
    for fid, factor, description, impact in factors:
        back += [f"    - id: {fid}", f"      factor: {factor}", f"      description: {_scalar(description)}",
                 f"      impact: {impact}"]
    back += _part_cards("factor", [(f"What was the impact of the factor {f[1]}?", f[3]) for f in factors],
                        share["factors"], rng, unique_answers=False)

    if facts:
        emit("facts:")
    for name, value in facts.items():
        emit(f"  {name}: {_scalar(value)}")
    emit("chapters:")
    for chapter in chapters:
        out.extend(chapter)
    out.extend(back)
    return "\n".join(out) + "\n"


def _part_cards(prefix: str, pool: list[tuple[str, str]], n: int, rng: random.Random,
                unique_answers: bool = True) -> list[str]:
    """`n` question cards drawn (cycling) from (question, answer) pairs about a part's entries."""
    if n <= 0:
        return []
    lines = ["  cards:"]
    for i in range(n):
        question, answer = pool[i % len(pool)]
        if i >= len(pool):  # more cards than entries: ask again, differently worded
            question = f"{question[:-1]} (revision {i // len(pool)})?"
        lines += [f"    - id: {prefix}-card-{i + 1}", f"      question: {_scalar(question)}",
                  f"      answer: {_scalar(answer)}"]
    return lines


def _wrap(text: str, width: int = 92) -> str:
    """Hard-wrap a paragraph the way an editor would."""
    lines, line = [], ""
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return "\n".join(lines + [line])


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(make_source(int(sys.argv[1]) if len(sys.argv) > 1 else 100,
                                 int(sys.argv[2]) if len(sys.argv) > 2 else 0))
