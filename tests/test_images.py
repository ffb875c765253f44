"""Images: found where Markdown finds them, sniffed from their bytes, named by their content,
rendered once by the content step, carried by both outputs, and shown by the preview."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from conftest import REAL_SOURCE, TINY, edit, illustrate, jpeg, png
from exporter import anki, content, load, manifest
from exporter.build import build
from exporter.cli import main
from exporter.media import Media, Unusable, path_problem, sniff
from exporter.syntax import find_images


@pytest.fixture
def illustrated(tiny):
    """tiny.yaml with a captioned figure (PNG) in chapter 1 and a photograph (JPEG) on a card."""
    illustrate(tiny)
    return tiny


def loaded_book(path) -> content.Book:
    source = load.load(path)
    return content.build(source.document, media=source.media)


# --- where the loader finds images is where the content step renders them --------------------

# (block text, the paths of the images in it that Markdown shows)
PLACES = [
    ("![a](x.png)", ["x.png"]),
    ("`![a](x.png)`", []),  # a code span shows it as typed
    ("``code ` ![a](x.png)``", []),
    ("\\![a](x.png)", []),  # an escaped '!' is a '!'
    ("```\n![a](x.png)\n```", []),  # fenced code
    ("~~~~\n![a](x.png)\n~~~\n~~~~", []),
    ("[![a](x.png)](https://example.org)", ["x.png"]),  # an image that is a link
    ("Text `with\n\n![a](x.png) and` more", ["x.png"]),  # no code span across paragraphs
    ("# A heading ![a](x.png)", ["x.png"]),
    ("- an item ![a](x.png)\n- another", ["x.png"]),
    ("| head |\n|---|\n| ![a](x.png) |", ["x.png"]),
    ("![a *b*\nc](x.png)", ["x.png"]),  # alt text over two lines, with emphasis
    ("![a](x.png) and ![b](y.png)", ["x.png", "y.png"]),
    ("![a]]b](x.png)", []),  # an unbalanced bracket: no image, in any Markdown
    ("<![CDATA[ x ]]>", []),
]


@pytest.mark.parametrize(("text", "paths"), PLACES, ids=[repr(t) for t, _ in PLACES])
def test_the_loader_finds_the_images_the_content_step_shows(text, paths):
    found = [image.path for image in find_images(text, block=True)]
    assert found == paths
    document = load.load(TINY).document
    media = {p: Media(png(2, 2, i), "png", 2, 2) for i, p in enumerate(("x.png", "y.png"))}
    c = content.Content(document, media)
    shown = re.findall(r'<img src="([^"]+)"', c.block(text))
    assert shown == [media[p].name("tiny-book") for p in paths]
    assert sorted(c.shown) == sorted(set(shown))


def test_alt_text_is_plain_text_and_a_caption_makes_a_figure(illustrated):
    book = loaded_book(illustrated)
    runway, terminal = book.media  # in the order the source shows them
    assert book.sections[0].html.endswith(
        f'<figure><img src="{runway}" alt="A plan of the runway &amp; its overrun" />'
        "<figcaption>The runway at Hakodate Airport</figcaption>\n</figure>\n")  # the fact filled in
    assert book.cards[0].extra == f'It was a civil airport. <img src="{terminal}" alt="A photograph of the terminal" />'


def test_a_caption_reads_as_the_prose_does(tmp_path, tiny):
    (tmp_path / "x.png").write_bytes(png(2, 2))
    edit(tiny, "      It ran off the *end* of the runway.\n",
         "      It ran off the *end* of the runway.\n\n      ![A plan](x.png \"The *MiG-25's* run, 100-150 m\")\n")
    html = loaded_book(tiny).sections[0].html
    assert ('<figcaption>The <em><span class="nowrap">MiG-25</span>’s</em> run, <span class="nowrap">100–150 m'
            '</span></figcaption>') in html


def test_an_image_without_a_caption_stays_in_its_paragraph(tmp_path, tiny):
    (tmp_path / "x.png").write_bytes(png(2, 2))
    edit(tiny, "It ran off the *end* of the runway.", "It ran off the *end* of the runway. ![A plan](x.png)")
    book = loaded_book(tiny)
    name = next(iter(book.media))
    assert f'<p>It ran off the <em>end</em> of the runway. <img src="{name}" alt="A plan" /></p>' in book.sections[0].html


def test_a_faq_answer_is_prose_and_may_hold_a_figure_but_a_card_answer_may_not(runner, tiny, tmp_path):
    (tmp_path / "x.png").write_bytes(png(2, 2))
    edit(tiny, "      answer: It showed what the *aircraft* could do.\n",
         '      answer: |\n        It showed what the *aircraft* could do.\n\n        ![A plan](x.png "A plan")\n')
    (faq,) = [s for s in loaded_book(tiny).sections if s.kind == "faq"]
    assert "<figcaption>A plan</figcaption>" in faq.entries[0].answer
    edit(tiny, "factors:\n  title: Factors", '  cards:\n    - id: faq-card\n      question: Why?\n'
         '      answer: \'![A plan](x.png "A plan")\'\nfactors:\n  title: Factors')
    result = runner.invoke(main, ["check", str(tiny)])
    assert "faq.cards[0].answer: image 'x.png' has a caption" in result.stderr


def test_the_content_step_needs_the_media_the_loader_read(illustrated):
    with pytest.raises(ValueError, match="media"):
        content.build(load.load(illustrated).document)


# --- what a file is ------------------------------------------------------------------------------


def test_png_and_jpeg_are_sniffed_with_their_size():
    assert sniff(png(40, 30)) == ("png", 40, 30)
    assert sniff(jpeg(60, 40)) == ("jpeg", 60, 40)  # progressive
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "A camera"  # an APP1 segment before the frame header, as cameras write
    Image.new("RGB", (33, 17), "grey").save(out, "JPEG", exif=exif)
    assert sniff(out.getvalue()) == ("jpeg", 33, 17)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b"hello", "is not a PNG or JPEG image"),
    (b"GIF89a", "is a GIF file"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "is a WebP or other RIFF file"),
    (b"\x00\x00\x00\x18ftypheic", "is an HEIC, AVIF or other ISO media file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is an SVG drawing"),
    (b"<?xml version='1.0'?>\n<!-- made by hand -->\n<svg>", "is an SVG drawing"),
    (png(4, 4)[:40], "is a damaged PNG"),
    (png(4, 4)[:-4] + b"\x00\x00\x00\x00", "is a damaged PNG"),  # IEND's checksum wrong
    (jpeg(8, 8)[:20], "is a damaged JPEG"),
])
def test_anything_else_is_refused_with_a_reason(data, message):
    with pytest.raises(Unusable, match=re.escape(message)):
        sniff(data)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=64), st.integers(0, 200).map(lambda n: png(5, 3)[:n]),
                      st.integers(0, 400).map(lambda n: jpeg(9, 7)[:n])))
def test_any_bytes_are_sniffed_or_refused_never_a_crash(data):
    try:
        kind, width, height = sniff(data)
    except Unusable:
        return
    assert kind in ("png", "jpeg") and width > 0 and height > 0


@pytest.mark.parametrize(("path", "problem"), [
    ("images/map.png", None),
    ("./images/map.png", None),
    ("карта.png", None),
    ("", "has no path"),
    ("https://example.org/map.png", "is a web address"),
    ("data:image/png;base64,AAAA", "is a web address"),
    ("//example.org/map.png", "is a web address"),
    ("/home/me/map.png", "is an absolute path"),
    ("C:/maps/map.png", "is an absolute path"),
    ("images\\map.png", "has a backslash"),
    ("../map.png", "leaves the source's folder"),
    ("images/../../map.png", "leaves the source's folder"),
    ("images/${map}.png", "uses a fact"),
    ("images/a&b.png", "has characters other than"),
    ("images/map.png?v=2", "has characters other than"),
])
def test_paths_stay_inside_the_source_folder(path, problem):
    found = path_problem(path)
    assert (found is None) if problem is None else (problem in found), found


def test_names_come_from_the_book_id_and_the_bytes():
    image = Media(png(3, 3), "png", 3, 3)
    assert re.fullmatch(r"tiny-book-[0-9a-f]{8}\.png", image.name("tiny-book"))
    assert Media(jpeg(3, 3), "jpeg", 3, 3).name("tiny-book").endswith(".jpg")
    assert Media(png(3, 3, 1), "png", 3, 3).name("tiny-book") != image.name("tiny-book")
    assert not image.name("tiny-book").startswith("_")  # Anki never updates a '_' file


# --- the build -----------------------------------------------------------------------------------


def test_summary_and_manifest_count_the_images(runner, illustrated, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(illustrated), "-o", str(out)], env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == (
        "2 chapters; 5 notes: 3 question, 1 cloze, 1 glossary (studied both ways); 2 images.")
    built = manifest.load(out / "tiny-book.manifest.json")  # inputs, as the source is
    assert built.images == {path: hashlib.sha256((illustrated.parent / path).read_bytes()).hexdigest()
                            for path in ("images/runway.png", "images/terminal.jpg")}


def test_an_edited_image_is_rebuilt_and_changes_exactly_the_cards_that_show_it(runner, illustrated, tmp_path):
    out = tmp_path / "out"
    build(illustrated, out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert build(illustrated, out).unchanged  # the fast path: nothing changed
    (illustrated.parent / "images" / "terminal.jpg").write_bytes(jpeg(61, 40))
    report = build(illustrated, out)
    assert not report.unchanged  # the source's text is the same, its image is not
    assert (report.changed, report.added, report.removed) == (["landing-airport"], [], [])
    assert first["tiny-book.epub"] != (out / "tiny-book.epub").read_bytes()
    report = build(illustrated, out, force=True)
    assert report.changed == []


def test_unchanged_images_give_identical_bytes(illustrated, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(illustrated, out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")  # a later day changes nothing
    build(illustrated, out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_a_changed_image_changes_the_fingerprint_of_the_notes_that_show_it_only(illustrated):
    before, _ = anki.fingerprints(anki.Deck.of(loaded_book(illustrated)))
    (illustrated.parent / "images" / "terminal.jpg").write_bytes(jpeg(61, 40))
    after, _ = anki.fingerprints(anki.Deck.of(loaded_book(illustrated)))
    assert {k for k in after if after[k] != before[k]} == {"landing-airport"}


def test_the_real_source_shows_the_map_in_the_flight_chapter_and_on_a_card():
    book = loaded_book(REAL_SOURCE)
    flight = next(s for s in book.chapters if s.id == "the-flight")
    map_name = re.search(r'<figure><img src="([^"]+)"', flight.html).group(1)
    assert book.media[map_name].data == (REAL_SOURCE.parent / "images" / "flight-map.png").read_bytes()
    assert "<figcaption>Belenko’s flight, 6 September 1976." in flight.html
    assert any(f'src="{map_name}"' in card.extra for card in book.cards)
    for html in [s.html for s in book.sections] + [c.extra for c in book.cards]:
        for img in re.findall(r"<img [^>]*>", html):  # alt text on every image, and no pixel size
            assert re.search(r'alt="[^"]{20,}"', img) and "width" not in img and "height" not in img


# --- errors the corpus cannot hold -----------------------------------------------------------------


def test_a_folder_where_an_image_should_be(runner, tiny, tmp_path):
    (tmp_path / "images" / "map.png").mkdir(parents=True)
    edit(tiny, "It was a civil airport.", "It was a civil airport. ![A map](images/map.png)")
    result = runner.invoke(main, ["check", str(tiny)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{tiny}:30:40: error: chapters[0].cards[0].extra: image file 'images/map.png' is a folder; "
        "give the path of a PNG or JPEG file")


def test_a_link_out_of_the_source_folder_is_refused(runner, tiny, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(png(2, 2))
    (tmp_path / "map.png").symlink_to(outside)
    edit(tiny, "It was a civil airport.", "It was a civil airport. ![A map](map.png)")
    result = runner.invoke(main, ["check", str(tiny)])
    assert result.exit_code == 1
    assert "image file 'map.png' leads out of the source's folder through a link" in result.stderr


def test_an_image_in_a_fact_is_refused(runner, tiny, tmp_path):
    (tmp_path / "x.png").write_bytes(png(2, 2))
    edit(tiny, "  airport: Hakodate Airport", "  airport: Hakodate Airport ![A map](x.png)")
    result = runner.invoke(main, ["check", str(tiny)])
    assert result.stderr.splitlines()[0] == (
        f"{tiny}:18:29: error: facts.airport: an image cannot stand in a fact (it is shown as plain text or a "
        "label); put it in a text, a card or an entry's description")


def test_each_use_of_a_bad_file_is_reported_where_it_stands(runner, tiny, tmp_path):
    edit(tiny, "It was a civil airport.", "It was a civil airport. ![A map](gone.png)")
    edit(tiny, "answer: In crates", "answer: In crates ![A map](gone.png)")
    lines = runner.invoke(main, ["check", str(tiny)]).stderr.splitlines()
    assert [line.split(": error:")[0] for line in lines[:-1]] == [f"{tiny}:30:40", f"{tiny}:41:27"]


# --- the preview ---------------------------------------------------------------------------------


def test_the_preview_shows_the_images_inline(runner, illustrated, tmp_path):
    page = tmp_path / "preview.html"
    result = runner.invoke(main, ["preview", str(illustrated), "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text("utf-8")
    uris = re.findall(r'<img src="data:(image/[a-z]+);base64,([^"]+)"', html)
    assert uris and {kind for kind, _ in uris} == {"image/jpeg"}  # the photograph is on a card
    assert base64.b64decode(uris[0][1]) == (illustrated.parent / "images" / "terminal.jpg").read_bytes()
    assert re.findall(r'src="(?!data:)', html) == []  # nothing the page needs beside it
