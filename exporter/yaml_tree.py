"""YAML text → plain data (dicts, tuples, strings), remembering where each value was written."""

from __future__ import annotations

import re
import unicodedata

import yaml

from exporter.locations import Key, Problems, describe

MAX_DEPTH = 64
# Invisible characters that XML and Anki cannot carry: C0/C1 controls (but tab, LF, CR),
# DEL, and the Unicode non-characters; and U+2028/U+2029, which YAML 1.1 counts as line
# breaks where editors do not (every line number after them would be off).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, problems: Problems):
    """The file's data, or None when it cannot be read as one mapping (problems say why)."""
    return _Composer(text, problems).compose()


class _Composer:
    """Builds dicts, tuples and strings from YAML events, remembering where each came from.

    Our own composer rather than yaml.compose: it refuses aliases at the first one (so an
    alias bomb costs nothing), reports duplicate keys (PyYAML keeps the last silently) and
    never resolves a scalar to anything but the text that was written.
    """

    def __init__(self, text: str, problems: Problems):
        self.text = text
        self.problems = problems
        self.last_scalar = None  # for a hint when a syntax error follows an unclosed quote

    def compose(self):
        p = self.problems
        try:
            events = yaml.parse(self.text, Loader=_Loader)
            docs: list = []
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
                found = describe(docs[0]) if docs else "nothing"
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
            items: list = []
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


