"""Source file → validated Document, with every problem located by line and column.

bytes → UTF-8 text → YAML events → plain data (every scalar kept as the text the author
wrote, every position remembered) → pydantic model → checks that span the whole file
(ids, fact references, cloze). All problems are collected and raised together.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import re
import typing
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from exporter import model
from exporter.errors import Problem, SourceError
from exporter.read import read_source

Key = tuple  # a path into the data: ("chapters", 3, "cards", 2, "answer")

FACT_REF = re.compile(r"\$\{([^{}]*)\}")  # not "${{c1::...}}": a dollar before a deletion
UNCLOSED_REF = re.compile(r"\$\{(?!\{)(?![^{}]*\})")  # "${name" with no "}" before the next brace
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.S)
MAX_DEPTH = 64
# Invisible characters that XML and Anki cannot carry: C0/C1 controls (but tab, LF, CR),
# DEL, and the Unicode non-characters; and U+2028/U+2029, which YAML 1.1 counts as line
# breaks where editors do not (every line number after them would be off).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
LONE_CR = re.compile(r"\r(?!\n)")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Source:
    """A loaded source: the document plus what is needed to point back into the file."""

    path: str
    text: str
    sha256: str
    document: model.Document
    positions: dict  # Key -> (line, column) of the value
    key_positions: dict  # Key -> (line, column) of the mapping key naming it

    def where(self, key: Key) -> tuple[int, int]:
        """Line and column of the value at `key`, or of its nearest located parent."""
        while key not in self.positions and key:
            key = key[:-1]
        return self.positions.get(key, (1, 1))


def format_key(key: Key) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load(path: str | Path) -> Source:
    """Load and validate a source file, raising SourceError with every problem found."""
    raw = read_source(path)
    return parse(raw, str(path))


def parse(raw: bytes, path: str) -> Source:
    problems = _Problems(path)
    text = _decode(raw, problems)
    if text is None:
        raise SourceError(problems.items)
    problems.text = text
    for m in FORBIDDEN.finditer(text):
        line, col = _line_col(text, m.start())
        kind = "control character" if unicodedata.category(m.group()) == "Cc" else "character"
        problems.add((), f"{kind} U+{ord(m.group()):04X} is not allowed "
                     "(it is invisible in most editors: delete it)", (line, col))
    if problems.items:
        raise SourceError(problems.items)
    data = _Composer(text, problems).compose()
    if problems.items:
        raise SourceError(problems.items)
    document = _validate(data, problems)
    _check_across(data, problems)
    if problems.items or document is None:
        raise SourceError(sorted(problems.items, key=lambda p: (p.line, p.column)))
    sha = hashlib.sha256(raw).hexdigest()
    return Source(path, text, sha, document, problems.positions, problems.key_positions)


# --- text ------------------------------------------------------------------------------------


def _decode(raw: bytes, problems: "_Problems") -> str | None:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start].decode("utf-8", "replace")
        line, col = _line_col(before, len(before))
        problems.add((), f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x}); "
                     "save it as UTF-8 in your editor", (line, col))
        return None
    # A lone CR (classic Mac OS) ends a line for YAML and for editors; as LF it does for our
    # line counting too. One character for one: every index into the text stays valid.
    text = LONE_CR.sub("\n", text)
    if text.count("\x00") > 10:  # binary or UTF-16: one problem, not one per NUL byte
        line, col = _line_col(text, text.index("\x00"))
        problems.add((), "the file holds NUL bytes: it is binary, or not saved as UTF-8; "
                     "save it as UTF-8 text in your editor", (line, col))
        return None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        problems.add((), "the file is empty; start from the example in README.md", (1, 1))
        return None
    return text


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _Problems:
    def __init__(self, path: str):
        self.path = path
        self.items: list[Problem] = []
        self.positions: dict = {}
        self.key_positions: dict = {}
        self.spans: dict = {}  # Key -> (start, end) character index of a scalar
        self.text = ""

    def add(self, key: Key, message: str, at: tuple[int, int] | None = None) -> None:
        line, col = at or self.where(key)
        self.items.append(Problem(self.path, line, col, format_key(key), message))

    def where(self, key: Key) -> tuple[int, int]:
        while key not in self.positions and key:
            key = key[:-1]
        return self.positions.get(key, (1, 1))


# --- YAML → plain data -------------------------------------------------------------------------


class _Composer:
    """Builds dicts, tuples and strings from YAML events, remembering where each came from.

    Our own composer rather than yaml.compose: it refuses aliases at the first one (so an
    alias bomb costs nothing), reports duplicate keys (PyYAML keeps the last silently) and
    never resolves a scalar to anything but the text that was written.
    """

    def __init__(self, text: str, problems: _Problems):
        self.text = text
        self.problems = problems
        self.last_scalar = None  # for a hint when a syntax error follows an unclosed quote

    def compose(self):
        p = self.problems
        try:
            events = yaml.parse(self.text, Loader=_Loader)
            docs = []
            for event in events:
                if isinstance(event, yaml.DocumentStartEvent):
                    if docs:
                        p.add((), "the file holds more than one YAML document; remove the '---' line",
                              _at(event.start_mark))
                        return None
                    docs.append(self._node(events, next(events), (), 0))
        except yaml.MarkedYAMLError as e:
            message, at = _syntax_problem(e, self.text, self.last_scalar)
            p.add((), f"YAML syntax: {message}", at)
            return None
        except _Stop:
            return None
        if not docs or not isinstance(docs[0], dict):
            if not p.items:
                found = _describe(docs[0]) if docs else "nothing"
                p.add((), f"the file must be a mapping (key: value lines) with at least 'book' and 'chapters', found {found}")
            return None
        return docs[0]

    def _node(self, events, event, key: Key, depth: int):
        p = self.problems
        p.positions[key] = _at(event.start_mark)
        if depth > MAX_DEPTH:
            outer = key[:6]  # the full key would be dozens of [0]s; the position says where
            while len(outer) > 1 and isinstance(outer[-1], int):
                outer = outer[:-1]
            p.add(outer, f"nesting deeper than {MAX_DEPTH} levels; flatten the structure", _at(event.start_mark))
            raise _Stop
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            p.add(key, "anchors and aliases (&name, *name) are not supported; write the text out")
            raise _Stop
        if isinstance(event, yaml.ScalarEvent):
            self.last_scalar = event
            p.spans[key] = (event.start_mark.index, event.end_mark.index)
            m = FORBIDDEN.search(event.value)
            if m:  # not in the file's text (checked first): written as an escape such as "\x01"
                kind = "control character" if unicodedata.category(m.group()) == "Cc" else "character"
                p.add(key, f"{kind} U+{ord(m.group()):04X} is not allowed (written as an escape in quotes: remove it)")
            return event.value
        if isinstance(event, yaml.SequenceStartEvent):
            items = []
            for event in events:
                if isinstance(event, yaml.SequenceEndEvent):
                    return tuple(items)
                items.append(self._node(events, event, key + (len(items),), depth + 1))
        if isinstance(event, yaml.MappingStartEvent):
            mapping: dict = {}
            for event in events:
                if isinstance(event, yaml.MappingEndEvent):
                    return mapping
                if not isinstance(event, yaml.ScalarEvent):
                    p.add(key, "a key must be plain text", _at(event.start_mark))
                    raise _Stop
                name, at = event.value, _at(event.start_mark)
                value = self._node(events, next(events), key + (name,), depth + 1)
                if name in mapping:
                    first = p.key_positions[key + (name,)]
                    p.add(key, f"duplicate key '{name}' (first at line {first[0]}); keep one of them", at)
                    p.positions[key + (name,)] = first  # later messages point at the first
                else:
                    p.key_positions[key + (name,)] = at
                    mapping[name] = value
        raise AssertionError(f"unexpected YAML event {event}")


class _Stop(Exception):
    pass


# What the author most likely has to do about a PyYAML complaint containing the key.
SYNTAX_HINTS = {
    "end of stream while scanning a quoted": "this quote is never closed; add the closing quote",
    "unknown escape": "inside double quotes write a backslash as '\\\\', or use single quotes",
    "could not find expected ':'": "write a key as 'key: value'",
    "expected key": "check the indentation of this line against the lines above",
    "'-' indicator": "check the indentation of this line against the lines above",
    "mapping values are not allowed": "put quotes around a value that contains ': ', or check the indentation",
    "cannot start any token": "put quotes around a value that starts with a character such as '@' or '`'",
    "maximum nesting depth": "flatten the structure",
    "expected ',' or": "close the bracket opened {opened}, or put quotes around a value that contains ','",
}


def _syntax_problem(e: yaml.MarkedYAMLError, text: str, last_scalar) -> tuple[str, tuple[int, int]]:
    """PyYAML's complaint, pointed at the author's likely mistake, with a hint."""
    message, context = (e.problem or str(e)).strip(), e.context or ""
    mark = e.problem_mark or e.context_mark
    if e.context_mark and ("end of stream" in message or "simple key" in context):
        mark = e.context_mark  # the unclosed quote or the key without ':', not the line after it
    hint = next((h for m, h in SYNTAX_HINTS.items() if m in f"{message} {context}"), "")
    if e.context_mark:
        hint = hint.replace("{opened}", "at line {}, column {}".format(*_at(e.context_mark)))
    if "tab" in message or mark and text[mark.index:mark.index + 1] == "\t":
        hint = "use spaces, not tabs, for indentation"
    elif (isinstance(last_scalar, yaml.ScalarEvent) and last_scalar.style in ("'", '"') and mark
          and last_scalar.start_mark.line < last_scalar.end_mark.line == mark.line):
        # An unclosed quote runs on to the next quote in the file; the error shows up there.
        line, column = _at(last_scalar.start_mark)
        hint = f"the quoted text at line {line}, column {column} runs on to here: is its closing quote missing?"
    return (f"{message} ({hint})" if hint else message), (_at(mark) if mark else (1, 1))


def _at(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


# --- model validation ----------------------------------------------------------------------


def _validate(data, problems: _Problems) -> model.Document | None:
    try:
        return model.Document.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        unknown = [_data_key(error["loc"], data) for error in errors if error["type"] == "extra_forbidden"]
        for error in errors:
            _report(error, data, problems, unknown)
        return None


def _report(error, data, problems: _Problems, unknown: list[Key]) -> None:
    key = _data_key(error["loc"], data)
    kind, field = error["type"], key[-1] if key else ""
    if kind == "missing":
        typos = [k[-1] for k in unknown if k[:-1] == key[:-1]]
        if typos and f" (did you mean '{field}'?)" in {_did_you_mean(t, _allowed_keys(key[:-1], data)) for t in typos}:
            return  # reported once, as the unknown key that is this one misspelt
        problems.add(key[:-1], f"missing required key '{field}'")
    elif kind == "extra_forbidden":
        hint = _did_you_mean(field, _allowed_keys(key[:-1], data))
        problems.add(key[:-1], f"unknown key '{field}'{hint}", problems.key_positions.get(key))
    elif error["loc"] and error["loc"][-1] == "[key]":
        problems.add(key, f"fact name '{field}' is not a lowercase slug (use a-z, 0-9 and single hyphens)",
                     problems.key_positions.get(key))
    elif kind == "string_too_short":
        problems.add(key, "must not be empty")
    elif kind == "too_short":
        if not error["input"]:  # pydantic also says so of a list whose items failed
            problems.add(key, "needs at least one entry")
    elif kind == "string_pattern_mismatch" or kind == "value_error" and field == "edition":
        problems.add(key, _pattern_message(field, error["input"]))
    elif kind.endswith("_type"):
        expected = {"string_type": "text", "dict_type": "a mapping (key: value lines)",
                    "model_type": "a mapping (key: value lines)", "tuple_type": "a list ('- ' lines)"}
        problems.add(key, f"expected {expected.get(kind, kind[:-5])}, found {_describe(error['input'])}")
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


def _allowed_keys(key: Key, data) -> list[str]:
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
        return list(cls.model_fields)
    return []


def _unwrap(annotation):
    """tuple[X, ...] → X, X | None → X."""
    while annotation is not model.Card:
        args = [a for a in typing.get_args(annotation) if a not in (type(None), Ellipsis)]
        if len(args) != 1:
            return annotation
        annotation = args[0]
    return annotation


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(choices)})" if choices else ""


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


def _describe(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, tuple):
        return "a list"
    return f"text '{value}'" if value else "nothing"


# --- checks across the file -----------------------------------------------------------------


def _check_across(data, problems: _Problems) -> None:
    """Ids unique across the file, fact references resolve, cloze deletions well formed."""
    facts = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    seen: dict[str, Key] = {}
    for key, value in _walk(data, ()):
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
                         "(to show '${' as text, write '$\\{')", _locate(problems, key, "${", nth))
        if key[0] == "facts":
            m = FACT_REF.search(value)
            if m:
                problems.add(key, "a fact's value cannot use another fact; write the value out",
                             _locate(problems, key, m.group()))
            continue
        for m in FACT_REF.finditer(value):
            if m.group(1) not in facts:
                hint = _did_you_mean(m.group(1), list(facts)) if facts else " (the file has no facts)"
                nth = value.count(m.group(), 0, m.start())
                problems.add(key, f"unknown fact '${{{m.group(1)}}}'{hint}", _locate(problems, key, m.group(), nth))
        if key[-1] == "cloze":
            message = cloze_problem(substitute(value, lambda name: facts.get(name, name)))
            if message:
                problems.add(key, message)


def _excerpt(text: str, width: int = 24) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _walk(node, key: Key):
    if isinstance(node, dict):
        for name, value in node.items():
            yield key + (name,), value
            yield from _walk(value, key + (name,))
    elif isinstance(node, tuple):
        for i, value in enumerate(node):
            yield key + (i,), value
            yield from _walk(value, key + (i,))


def _locate(problems: _Problems, key: Key, needle: str, nth: int = 0) -> tuple[int, int]:
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
            return _line_col(text, index)
    return problems.where(key)


def substitute(text: str, value_of) -> str:
    """Replace every ${name} in text with value_of(name)."""
    return FACT_REF.sub(lambda m: value_of(m.group(1)), text)


def cloze_problem(text: str) -> str | None:
    """Why a cloze text is malformed, or None: numbered from c1 without gaps, none empty."""
    numbers = set()
    for m in CLOZE.finditer(text):
        if not m.group(2).split("::")[0].strip():
            return f"malformed cloze: deletion '{m.group()}' hides nothing; put the hidden text after '::'"
        numbers.add(int(m.group(1)))
    rest = CLOZE.sub("", text)
    if "{{" in rest or "}}" in rest:
        bad = rest[rest.find("{{"):][:30] if "{{" in rest else "}}"
        return f"malformed cloze near '{bad}'; a deletion is written {{{{c1::hidden text}}}}"
    if not numbers:
        return "malformed cloze: no deletion found; mark the hidden part as {{c1::hidden text}}"
    if 0 in numbers:
        return "malformed cloze: deletions are numbered from c1, not c0"
    expected = set(range(1, max(numbers) + 1))
    if numbers != expected:
        missing = ", ".join(f"c{n}" for n in sorted(expected - numbers))
        return f"malformed cloze: numbering must start at c1 with no gaps (missing {missing})"
    return None
