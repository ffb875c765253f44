"""Content warnings: things that build fine but are probably not what the author meant."""

from __future__ import annotations

from exporter import content, media, rules
from exporter.errors import Problem
from exporter.locations import Source, format_key
from exporter.rules import WORD, key_words
from exporter.syntax import FACT_REF, find_deletion


def lint(source: Source) -> list[Problem]:
    """Every warning for a loaded source, in file order."""
    doc = source.document
    book = content.build(doc, content.WordsOnly)
    warnings: list[Problem] = []

    def warn(key: tuple, rule: str, message: str) -> None:
        line, col = source.key_positions.get(key) or source.where(key)
        warnings.append(Problem(source.path, line, col, format_key(key), message, "warning", rule))

    # 1. Every fact is used somewhere, or it is a value nobody sees.
    used = {m.group(1) for m in FACT_REF.finditer(source.text)}
    for name in doc.facts:
        if name not in used:
            warn(("facts", name), "unused-fact", f"fact '{name}' is never used; use it as ${{{name}}} or remove it")

    # 2. Every chapter has cards.
    for i, chapter in enumerate(doc.chapters):
        if not chapter.cards:
            warn(("chapters", i), "no-cards", f"chapter '{chapter.id}' has no cards; add some under 'cards:'")

    # 3. Every answer is supported by the text it is studied from (its passage, or its part); 4. no question twice;
    # 5. no cloze deletion in a question card, where it would show as typed.
    asked: dict[str, str] = {}
    sections = []
    for section, base in zip(book.sections, _section_keys(doc)):
        sections.append((section, _card_keys(section, base)))
        whole = key_words(content.plain(section.html + " ".join(" ".join(e.html_fields()) for e in section.entries)))
        # A card is studied from its passage: the section of its chapter the book links it to.
        passages = {p.id: key_words(content.plain(p.html)) for p in section.passages}
        for j, card in enumerate(c for c in section.cards if c.kind != "term"):
            key = base + ("cards", j)
            if card.kind == "cloze":
                answers, question = content.cloze_answers(card), content.cloze_blank(card.cloze)
            else:
                answers, question = [card.back], card.front
                deletion = find_deletion(card.front + " " + card.back)
                if deletion:
                    warn(key, "cloze-in-question",
                         f"card '{card.id}' is a question card, so '{deletion}' shows as typed; "
                         "to hide the text, write the sentence under 'cloze:' instead of 'question:' and 'answer:'")
                    answers = []  # one warning for one mistake: 'c1' is not a word to look for
            for answer in answers:
                missing = key_words(content.plain(answer)) - passages.get(card.passage, whole)
                if missing:
                    warn(key, "unsupported-answer",
                         f"card '{card.id}': '{content.plain(answer)}' is not supported by the text of "
                         f"{card.label} (missing: {', '.join(sorted(missing))}); say it in the text or fix the answer")
            normal = " ".join(WORD.findall(content.plain(question).lower()))
            if normal in asked:
                warn(key, "same-question",
                     f"card '{card.id}' asks the same question as card '{asked[normal]}'; merge or reword them")
            asked.setdefault(normal, card.id)

    # 6. The rules of formulating cards (exporter/rules.py).
    for key, rule, message in rules.check(sections):
        warn(key, rule, message)

    # 7. No image larger than a screen shows or heavier than its readers carry well (once each).
    first_uses: dict[str, media.Use] = {}
    for use in source.images:
        first_uses.setdefault(use.path, use)
    for use in first_uses.values():
        problem = _too_large(use.path, source.media[use.path])
        if problem:
            warnings.append(Problem(source.path, *use.at, format_key(use.key), problem, "warning", "large-image"))
    return sorted(warnings, key=lambda w: (w.line, w.column))


def _too_large(path: str, image: media.Media) -> str:
    found = []
    if max(image.width, image.height) > media.MAX_SIDE:
        found.append(f"{image.width} × {image.height} px (more than {media.MAX_SIDE} on its longer side)")
    if len(image.data) > media.MAX_BYTES:
        found.append(f"{len(image.data) / 2**20:.1f} MB (more than {media.MAX_BYTES // 2**20} MB)")
    if not found:
        return ""
    return (f"image '{path}' is {' and '.join(found)}: no reader shows more, and every copy of the deck and the "
            f"book carries it; save it at {media.MAX_SIDE} px or less on its longer side (JPEG for photographs)")


def _section_keys(doc) -> list[tuple]:
    """The data key of each section of content.build's output, in the same order."""
    keys: list[tuple] = [("chapters", i) for i in range(len(doc.chapters))]
    return keys + [(kind,) for kind in content.PART_KINDS if getattr(doc, kind) is not None]


def _card_keys(section: content.Section, base: tuple) -> list[tuple]:
    """The data key of each of a section's cards: glossary terms first, then its cards."""
    terms = sum(card.kind == "term" for card in section.cards)
    return [base + ("terms", i) for i in range(terms)] + [base + ("cards", j) for j in range(len(section.cards) - terms)]
