"""The format is described twice: document.py (msgspec), which `load` checks every source
with, and model.py (pydantic), which writes the schema and names the problems of a source the
first refuses. They must agree on every source: if the first were stricter, a valid source
would stop with an internal error; if it were laxer, a broken one would pass.

Each source below goes through both, from the data the loader composes; the verdicts must be
the same, a refusal must come with at least one located problem, and a document both accept
must give the same book from either.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import REAL_SOURCE, ROOT, TINY
from test_properties import SETTINGS, documents, examples, mutated, texts
from exporter import content, document
from exporter.crosscheck import check_across
from exporter.locations import Problems
from exporter.media import check_images
from exporter.read import decode
from exporter.validate import validate
from exporter.yaml_tree import FORBIDDEN, compose

BROKEN = sorted((Path(__file__).resolve().parent / "broken").glob("*.yaml"))
BROKEN_FOLDER = Path(__file__).resolve().parent / "broken"
VALID = [REAL_SOURCE, TINY, Path(document.__file__).parent / "assets" / "starter.yaml"]


def composed(raw: bytes):
    """What the loader hands to validation, or None when it stops before (not text, YAML syntax...)."""
    problems = Problems("source.yaml")
    text = decode(raw, problems)
    if text is None or FORBIDDEN.search(text):
        return None
    data = compose(text, problems)
    return None if problems.items else data


def assert_same_verdict(data, folder: Path = ROOT / "source") -> bool:
    """Both validators' verdict on the data, which must be the same; True if they accept it."""
    fast = document.validated(data)
    problems = Problems("source.yaml")
    rich = validate(data, problems)
    assert (fast is not None) == (rich is not None), f"document.py {'accepts' if fast else 'refuses'}, model.py " \
        f"{'accepts' if rich else 'refuses'}: {data!r}"
    if rich is None:
        assert problems.items, "refused without a problem to show"
        return False
    problems = Problems(str(folder / "source.yaml"))
    check_across(data, problems)
    media, _ = check_images(data, problems, folder)
    if not problems.items:  # content.build relies on the whole file's checks too
        assert content.build(fast, media=media) == content.build(rich, media=media)
        assert content.build(fast, content.WordsOnly, media) == content.build(rich, content.WordsOnly, media)
    return True


def rebuilt(node, sequence: type):
    """Data with every list or tuple made a `sequence`: tuple as the loader composes it, list
    to edit it."""
    if isinstance(node, dict):
        return {k: rebuilt(v, sequence) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return sequence(rebuilt(v, sequence) for v in node)
    return node


BASES = [composed(path.read_bytes()) for path in (TINY, REAL_SOURCE)]


def test_the_broken_corpus_gets_the_same_verdicts():
    reached = {path.name: data for path in BROKEN if (data := composed(path.read_bytes())) is not None}
    assert len(reached) >= 30, sorted(reached)  # most broken files are broken past the YAML
    accepted = [name for name, data in reached.items() if assert_same_verdict(data, BROKEN_FOLDER)]
    # The files whose problems only the checks across the whole file find (ids, facts, cloze).
    assert 0 < len(accepted) < len(reached), accepted


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_sources_are_accepted_and_read_alike(path):
    assert assert_same_verdict(composed(path.read_bytes()), path.parent)


@settings(max_examples=examples(15), **SETTINGS)
@given(documents())
def test_random_valid_documents_are_accepted_and_read_alike(generated):
    doc, _ = generated
    assert assert_same_verdict(rebuilt(doc, tuple))


# Values that one of the descriptions' rules is about: emptiness, blankness, the patterns of
# ids, tags, language tags and dates (and Python's '$', which also matches before a final
# newline), and values of the wrong shape.
CHARS = "aZ09-:_ \n\t\u200b\u00a0\u3164\ufe0fé٣"
VALUES = st.one_of(
    st.sampled_from(["", " ", "\n", "\u200b", "\u3164 ", "x", "ab\n", "a--b", "a::b", "A", "2026-02-30", "2026-01-15\n",
                     "0000-01-01", "de-1996-1996", "en-a-bb-a-cc", "en-x-a-a", "en-GB", "zh-Hant-TW", "{{c1::x}}"]),
    st.text(st.sampled_from(CHARS), max_size=8),
    st.from_regex(r"[a-zA-Z]{1,4}(-[a-zA-Z0-9]{1,8}){0,4}\n?", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}\n?", fullmatch=True),
    texts(),
    st.sampled_from([{}, [], {"id": "a"}, ["a"], [{"id": "a"}]]).map(copy.deepcopy),  # fresh: it may be changed next
)
KEYS = st.one_of(st.sampled_from(["id", "question", "answer", "cloze", "clozes", "extra", "tags", "text", "title", "Title",
                                  "terms", "cards", "facts", "book", "subtitle", "x"]),
                 st.text(st.sampled_from(CHARS), min_size=1, max_size=6))


def _containers(node):
    """Every mapping and list in the data."""
    if isinstance(node, (dict, list)):
        yield node
        for value in node.values() if isinstance(node, dict) else node:
            yield from _containers(value)


@st.composite
def damaged_documents(draw):
    """A valid source with one to three things changed: a value replaced, a key removed or
    added, a list emptied. (Fixed sources: drawing whole documents to spoil would spend nearly
    all the time generating.)"""
    doc = rebuilt(draw(st.sampled_from(BASES)), list)
    for _ in range(draw(st.integers(1, 3))):
        node = draw(st.sampled_from(list(_containers(doc))))
        names = list(node) if isinstance(node, dict) else list(range(len(node)))
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add", "empty"]))
        if action == "empty" or not names:
            node.clear()
        elif action == "replace":
            node[draw(st.sampled_from(names))] = draw(VALUES)
        elif action == "remove":
            del node[draw(st.sampled_from(names))]
        elif isinstance(node, dict):
            node[draw(KEYS)] = draw(VALUES)
        else:
            node.append(draw(VALUES))
    return rebuilt(doc, tuple)


@settings(max_examples=examples(300), **SETTINGS)
@given(damaged_documents())
def test_random_damaged_documents_get_the_same_verdicts(data):
    event("accepted" if assert_same_verdict(data) else "refused")


@pytest.mark.parametrize(("key", "value"), [
    (("chapters", 0, "id"), "the-landing\n"),  # Python's '$' matches before a final newline
    (("book", "edition"), "2026-01-15\n"),
    (("book", "language"), "en\n"),
    (("book", "edition"), "2026-02-30"),
    (("book", "language"), "de-1996-1996"),
    (("book", "title"), "\u3164\u200b"),
    (("facts", "airport"), " "),
    (("chapters", 0, "cards", 0, "cloze"), "{{c1::x}}"),  # a question card with a cloze
])
def test_edge_values_are_refused_by_both(key, value):
    data = rebuilt(composed(TINY.read_bytes()), list)
    node = data
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    assert not assert_same_verdict(rebuilt(data, tuple))


@settings(max_examples=examples(60), **SETTINGS)
@given(mutated())
def test_the_damaged_real_source_gets_the_same_verdicts(damaged):
    data = composed(damaged[1])
    if data is not None:
        assert_same_verdict(data)

