"""Checks that span the whole file: ids unique, fact references resolved, cloze deletions well formed."""

from __future__ import annotations

from exporter.locations import Key, Problems, did_you_mean, line_col
from exporter.passages import section_ids, slug
from exporter.syntax import FACT_REF, UNCLOSED_REF, cloze_problem, substitute


def check_across(data, problems: Problems) -> None:
    """Ids unique across the file, fact references resolve, cloze deletions well formed."""
    facts = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    seen: dict[str, Key] = {}
    for key, value in walk(data, ()):
        if key[-1] == "id" and isinstance(value, str):
            if value in seen:
                line = problems.where(seen[value])[0]
                problems.add(key, f"duplicate id '{value}' (also used at line {line}); ids must be unique in the file")
            else:
                seen[value] = key
        if not isinstance(value, str):
            continue
        if "${" in value:  # what every fact reference, closed or not, starts with: most text has none
            _check_references(key, value, facts, problems)
        if key[-1] == "cloze" and key[0] != "facts":
            message = cloze_problem(substitute(value, lambda name: facts.get(name, name)))
            if message:
                problems.add(key, message)
    _check_sections(data, problems)


def _check_references(key: Key, value: str, facts: dict, problems: Problems) -> None:
    """References never closed; in a fact's value, any reference at all; elsewhere, unknown facts."""
    for m in UNCLOSED_REF.finditer(value):
        nth = value.count("${", 0, m.start())
        problems.add(key, f"fact reference '{_excerpt(value[m.start():])}' is never closed; end the name with '}}' "
                     "(to show '${' as text, write '$\\{')", locate(problems, key, "${", nth))
    if key[0] == "facts":
        inner = FACT_REF.search(value)
        if inner:
            problems.add(key, "a fact's value cannot use another fact; write the value out",
                         locate(problems, key, inner.group()))
        return
    for m in FACT_REF.finditer(value):
        if m.group(1) not in facts:
            hint = did_you_mean(m.group(1), list(facts)) if facts else " (the file has no facts)"
            nth = value.count(m.group(), 0, m.start())
            problems.add(key, f"unknown fact '${{{m.group(1)}}}'{hint}", locate(problems, key, m.group(), nth))


def _check_sections(data, problems: Problems) -> None:
    """A card's `section` names a section of its own chapter; the back matter has none."""
    for key, holder in _card_holders(data):
        cards = holder.get("cards")
        for j, card in enumerate(cards if isinstance(cards, tuple) else ()):
            name = card.get("section") if isinstance(card, dict) else None
            if not isinstance(name, str) or slug(name) != name:  # not an id: validation said so
                continue
            where = key + ("cards", j, "section")
            if key[0] != "chapters":
                problems.add(where, f"only a chapter's cards name a section ({key[0]} has none); remove 'section'")
                continue
            text = holder.get("text")
            ids = section_ids(text) if isinstance(text, str) else []
            if name not in ids:
                hint = did_you_mean(name, ids) if ids else (
                    " (its text has no headings: a line '# Heading' starts a section)")
                problems.add(where, f"chapter '{holder.get('id')}' has no section '{name}'{hint}")


def _card_holders(data):
    """(key, mapping) of every chapter and back-matter part, each of which may hold cards."""
    chapters = data.get("chapters")
    for i, chapter in enumerate(chapters if isinstance(chapters, tuple) else ()):
        if isinstance(chapter, dict):
            yield ("chapters", i), chapter
    for name, part in data.items():
        if name not in ("book", "facts", "chapters") and isinstance(part, dict):
            yield (name,), part


def _excerpt(text: str, width: int = 24) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def walk(node, key: Key):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, tuple) else ()
    for name, value in items:
        inner = key + (name,)
        yield inner, value
        if isinstance(value, (dict, tuple)):  # no generator for each of the many texts: they hold nothing
            yield from walk(value, inner)


def locate(problems: Problems, key: Key, needle: str, nth: int = 0) -> tuple[int, int]:
    """Position of the nth `needle` inside the scalar at `key`, where the file spells it as written."""
    span = problems.spans.get(key)
    text = problems.text
    if span:
        index = span[0] - 1
        for _ in range(nth + 1):
            index = text.find(needle, index + 1, span[1])
            if index < 0:
                break
        if index >= 0:
            return line_col(text, index)
    return problems.where(key)


