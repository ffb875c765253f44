"""Checks that span the whole file: ids unique, fact references resolved, cloze deletions well formed."""

from __future__ import annotations

from exporter.locations import Key, Problems, did_you_mean, line_col
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
        for m in UNCLOSED_REF.finditer(value):
            nth = value.count("${", 0, m.start())
            problems.add(key, f"fact reference '{_excerpt(value[m.start():])}' is never closed; end the name with '}}' "
                         "(to show '${' as text, write '$\\{')", locate(problems, key, "${", nth))
        if key[0] == "facts":
            m = FACT_REF.search(value)
            if m:
                problems.add(key, "a fact's value cannot use another fact; write the value out",
                             locate(problems, key, m.group()))
            continue
        for m in FACT_REF.finditer(value):
            if m.group(1) not in facts:
                hint = did_you_mean(m.group(1), list(facts)) if facts else " (the file has no facts)"
                nth = value.count(m.group(), 0, m.start())
                problems.add(key, f"unknown fact '${{{m.group(1)}}}'{hint}", locate(problems, key, m.group(), nth))
        if key[-1] == "cloze":
            message = cloze_problem(substitute(value, lambda name: facts.get(name, name)))
            if message:
                problems.add(key, message)


def _excerpt(text: str, width: int = 24) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def walk(node, key: Key):
    if isinstance(node, dict):
        for name, value in node.items():
            yield key + (name,), value
            yield from walk(value, key + (name,))
    elif isinstance(node, tuple):
        for i, value in enumerate(node):
            yield key + (i,), value
            yield from walk(value, key + (i,))


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


