"""Plain data → the pydantic model, with pydantic's complaints said the author's way and
located in the file."""

from __future__ import annotations

import functools
import re
import typing
import unicodedata

from pydantic import BaseModel, ValidationError

from exporter import model
from exporter.locations import Key, Problems, describe, did_you_mean


def validate(data, problems: Problems) -> model.Document | None:
    """The validated document, or None with every problem added to `problems`."""
    try:
        return model.Document.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # Unknown keys by the mapping they are in: a key misspelt in each of 10,000 cards must
        # not make each of its 10,000 "missing" errors look through all the others.
        unknown: dict[Key, list] = {}
        for error in errors:
            if error["type"] == "extra_forbidden":
                key = _data_key(error["loc"], data)
                unknown.setdefault(key[:-1], []).append(key[-1])
        for error in errors:
            _report(error, data, problems, unknown)
        return None


def _report(error, data, problems: Problems, unknown: dict[Key, list]) -> None:
    key = _data_key(error["loc"], data)
    kind, field = error["type"], key[-1] if key else ""
    if kind == "missing":
        typos = unknown.get(key[:-1], ())
        if typos and f" (did you mean '{field}'?)" in {_hint(t, _allowed_keys(key[:-1], data)) for t in typos}:
            return  # reported once, as the unknown key that is this one misspelt
        problems.add(key[:-1], f"missing required key '{field}'")
    elif kind == "extra_forbidden":
        hint = _hint(field, _allowed_keys(key[:-1], data))
        problems.add(key[:-1], f"unknown key '{field}'{hint}", problems.key_positions.get(key))
    elif error["loc"] and error["loc"][-1] == "[key]":
        problems.add(key, f"fact name '{field}' is not a lowercase slug (use a-z, 0-9 and single hyphens)",
                     problems.key_positions.get(key))
    elif kind == "string_too_short":
        problems.add(key, "must not be empty")
    elif kind == "blank":
        invisible = ", ".join(sorted({f"U+{ord(c):04X}" for c in error["input"] if not c.isspace()}))
        problems.add(key, f"must not be empty (it holds only invisible characters: {invisible}; delete them)"
                     if invisible else "must not be empty (it holds only white space)")
    elif kind == "too_short":
        if not error["input"]:  # pydantic also says so of a list whose items failed
            problems.add(key, "needs at least one entry")
    elif kind == "string_pattern_mismatch" or kind == "value_error" and field in ("edition", "language"):
        problems.add(key, _pattern_message(field, error["input"]))
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        close = did_you_mean(error["input"], choices) if isinstance(error["input"], str) else ""
        problems.add(key, f"must be {' or '.join(map(repr, choices))}, found {describe(error['input'])}"
                     + (close if "did you mean" in close else ""))
    elif kind.endswith("_type"):
        expected = {"string_type": "text", "dict_type": "a mapping (key: value lines)",
                    "model_type": "a mapping (key: value lines)", "tuple_type": "a list ('- ' lines)"}
        problems.add(key, f"expected {expected.get(kind, kind[:-5])}, found {describe(error['input'])}")
    else:
        problems.add(key, error["msg"])


def _data_key(loc: tuple, data) -> Key:
    """Pydantic's error location minus its own markers (union tags, '[key]')."""
    key: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, tuple) and isinstance(part, int):
            key.append(part)
            node = node[part] if isinstance(node, dict) or part < len(node) else None
        elif part == "[key]" or not isinstance(node, (dict, tuple)):
            continue
        elif isinstance(node, dict) and part not in model.CARD_KINDS.values():
            key.append(part)  # a missing or unknown key
            node = None
    return tuple(key)


@functools.lru_cache(maxsize=256)
def _hint(word, allowed: tuple[str, ...]) -> str:
    """did_you_mean, once per misspelling: difflib is slow enough to count over 10,000 cards."""
    return did_you_mean(word, list(allowed))


def _allowed_keys(key: Key, data) -> tuple[str, ...]:
    cls: typing.Any = model.Document
    node = data
    for part in key:
        node = node[part]
        if isinstance(part, int):
            if cls is model.Card:  # which kind of card this item is
                cls = model.card_class(node)
            continue
        cls = _unwrap(cls.model_fields[part].annotation)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return tuple(cls.model_fields)
    return ()


def _unwrap(annotation):
    """tuple[X, ...] → X, X | None → X."""
    while annotation is not model.Card:
        args = [a for a in typing.get_args(annotation) if a not in (type(None), Ellipsis)]
        if len(args) != 1:
            return annotation
        annotation = args[0]
    return annotation


def _pattern_message(field, value) -> str:
    if field == "language":
        return f"'{value}' is not a language tag; use e.g. 'en' or 'en-GB'"
    if field == "edition":
        return f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. '2026-11-25'"
    if field == "tags" or isinstance(field, int):
        return f"tag '{value}' must be a lowercase slug, optionally with '::' levels (e.g. 'radar' or 'people::pilots')"
    return f"'{value}' is not a valid id: use lowercase letters, digits and single hyphens (e.g. '{_slugify(value)}')"


def _slugify(value) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "my-id"


