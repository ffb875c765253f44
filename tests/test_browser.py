"""The book and the cards as a browser engine lays them out: Debian's Chromium, headless,
driven by Playwright (no browser download: the system's own is launched).

The book's pages are opened as the XHTML files inside the built EPUB, at the size of an
e-reader (1072×1448) and of a phone (360×640); the cards as Anki's apps show one (the body is
the card, the apps' own CSS around it), on a phone (390×844), by day and by night.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REAL_SOURCE, TINY
from helpers import built_book
from exporter import content, epub, load, preview

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READERS = {"e-reader": (1072, 1448), "phone": (360, 640)}
PHONE = (390, 844)
# The names and amounts the book must never split, as a learner would look for them.
PROTECTED = r"MiG-25P?|E-2C|F-4|US\$10 million|10 per cent"
MODIFIED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> tuple[content.Book, Path, list[str]]:
    """The real book, built and unpacked: (book, folder of its pages, the pages' names)."""
    out = tmp_path_factory.mktemp("browser")
    loaded = load.load(REAL_SOURCE)
    book = content.build(loaded.document, media=loaded.media)
    epub.write(book, out / "book.epub", modified=MODIFIED, source_sha256=loaded.sha256)
    with zipfile.ZipFile(out / "book.epub") as z:
        z.extractall(out / "book")
    pages = out / "book" / "EPUB"
    return book, pages, sorted(p.name for p in pages.glob("*.xhtml"))


@pytest.fixture(params=list(READERS))
def reader(request, browser):
    page = browser.new_page(viewport=dict(zip(("width", "height"), READERS[request.param])))
    yield page
    page.close()


@pytest.fixture
def phone(browser):
    page = browser.new_page(viewport=dict(zip(("width", "height"), PHONE)))
    yield page
    page.close()


OVERFLOW = "() => document.documentElement.scrollWidth - innerWidth"

# Every occurrence of a protected name in the page's text: how many lines it takes, and
# whether it sits in an element that never wraps (e-readers break after any hyphen, even
# where Chromium would not).
PROTECTED_JS = """(pattern) => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(new RegExp(pattern, "g"))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      found.push([m[0], tops.size, getComputedStyle(node.parentElement).whiteSpace]);
    }
  }
  return found;
}"""


def check_protected(page) -> list:
    found = page.evaluate(PROTECTED_JS, PROTECTED)
    for name, lines, white_space in found:
        assert lines == 1 and white_space == "nowrap", (page.url, name, lines, white_space)
    return found


# --- the book -------------------------------------------------------------------------------


def test_no_page_is_wider_than_the_screen_and_names_stay_whole(reader, real):
    _, pages, names = real
    found = []
    for name in names:
        reader.goto((pages / name).as_uri())
        assert reader.evaluate(OVERFLOW) <= 0, (name, reader.viewport_size)
        found += check_protected(reader)
    # Every kind of protected name occurs in the book, so each was checked.
    assert {"MiG-25", "MiG-25P", "E-2C", "F-4", "US$10 million", "10 per cent"} <= {n for n, _, _ in found}


def test_the_cover_fits_the_screen_whole(reader, real):
    _, pages, _ = real
    reader.goto((pages / "cover.xhtml").as_uri())
    width, height = reader.viewport_size["width"], reader.viewport_size["height"]
    image = reader.evaluate("""() => {
      const r = document.querySelector("svg image").getBoundingClientRect();
      return [r.left, r.top, r.right, r.bottom];
    }""")
    left, top, right, bottom = image
    assert left >= -0.5 and top >= -0.5 and right <= width + 0.5 and bottom <= height + 0.5, image
    # As large as the screen allows: it touches two opposite edges.
    assert right - left >= width - 1 or bottom - top >= height - 1, image
    assert reader.evaluate("() => document.documentElement.scrollHeight") <= height


IMAGES_JS = """() => [...document.querySelectorAll("img")].map(img => {
  const r = img.getBoundingClientRect(), text = img.closest("section").getBoundingClientRect();
  const caption = img.parentElement.querySelector("figcaption");
  return {src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0,
          left: r.left - text.left, right: text.right - r.right, ratio: r.height / r.width,
          natural: img.naturalHeight / img.naturalWidth, figure: img.parentElement.localName,
          below: caption ? caption.getBoundingClientRect().top >= r.bottom : null};
})"""


@pytest.mark.parametrize("name", ["chapter-the-flight.xhtml", "timeline.xhtml", "answers.xhtml"])
def test_images_show_as_wide_as_the_text_and_keep_their_shape(reader, real, name):
    book, pages, _ = real
    reader.goto((pages / name).as_uri())
    images = reader.evaluate(IMAGES_JS)
    assert images, name
    for image in images:
        assert image["loaded"] and image["src"] in book.media, image
        assert abs(image["left"]) <= 0.5 and abs(image["right"]) <= 0.5, image  # the text's width, no more
        assert abs(image["ratio"] - image["natural"]) < 0.01, image  # not stretched
        if image["figure"] == "figure":
            assert image["below"], image  # its caption under it


def test_title_page_is_centred(reader, real):
    _, pages, _ = real
    reader.goto((pages / "title.xhtml").as_uri())
    offsets = reader.evaluate("""() => [...document.querySelectorAll("section.titlepage > *")].map(e => {
      const range = document.createRange();
      range.selectNodeContents(e);
      const r = range.getBoundingClientRect(), box = e.getBoundingClientRect();
      return [e.localName, (r.left - box.left) - (box.right - r.right)];
    })""")
    assert [tag for tag, _ in offsets][:1] == ["h1"]
    for tag, offset in offsets:  # the text sits as far from the left edge as from the right
        assert abs(offset) <= 2, (tag, offset)


def test_every_answer_shows_its_question_above_it_in_small_type(reader, real):
    book, pages, _ = real
    reader.goto((pages / epub.ANSWERS).as_uri())
    notes = reader.evaluate("""() => [...document.querySelectorAll("[id^='a-']")].map(note => {
      const [question, answer] = note.querySelectorAll("p");
      const size = e => parseFloat(getComputedStyle(e).fontSize);
      return [note.id.slice(2), question.className, question.innerText.replace(/^\\d+\\.\\s*/, ""),
              question.getBoundingClientRect().bottom <= answer.getBoundingClientRect().top,
              size(question) < size(answer)];
    })""")
    assert [n[0] for n in notes] == [card.id for card in book.cards]
    for card_id, kind, question, above, smaller in notes:
        assert kind == "question" and question.strip() and above and smaller, card_id


# A heading or a term pushed down until it is the last line of a page: it must move to the
# next page with what follows it. The page is laid out in columns, one per screen, the way
# reading systems paginate.
KEEP_JS = """(selector) => {
  const W = innerWidth, H = innerHeight;
  const style = document.createElement("style");
  style.textContent = `:root { height: ${H}px; column-width: ${W}px; column-gap: 0; column-fill: auto; margin: 0 }
                       body { margin: 0 }`;
  document.head.appendChild(style);
  const page = e => Math.floor((e.getClientRects()[0].left + 1) / W);
  // Only where a page may break before it: not the first thing of the page, not right after
  // a heading (the heading's own rule holds that break; it is checked on the heading).
  // The push goes on the outermost element the element starts (a section it opens, or itself),
  // above the place where the page may break: the break then drops the push, as it drops any
  // margin, instead of carrying it to the next page.
  const mover = e => {
    for (let n = e; n !== document.body; n = n.parentElement) {
      if (n.previousElementSibling) return /^h[1-6]$/.test(n.previousElementSibling.localName) ? null : n;
    }
    return null;
  };
  const out = [];
  for (const e of document.querySelectorAll(selector)) {
    const next = e.nextElementSibling, m = mover(e);
    if (!next || !m) continue;
    const margin = parseFloat(getComputedStyle(m).marginTop), r = e.getClientRects()[0];
    let extra = (H - r.height - 2) - r.top;
    if (extra < 0) extra += H;
    m.style.marginTop = (margin + extra) + "px";  // its margin, so margins collapse as before
    out.push([e.textContent.trim().slice(0, 40), page(e), page(next)]);
    m.style.marginTop = "";
  }
  return out;
}"""


@pytest.mark.parametrize("name", ["chapter-the-flight.xhtml", "timeline.xhtml", "glossary.xhtml", "faq.xhtml"])
def test_headings_and_dates_stay_with_what_follows_them(reader, real, name):
    _, pages, _ = real
    reader.goto((pages / name).as_uri())
    kept = reader.evaluate(KEEP_JS, "h1, h2, h3, h4, dt")
    assert kept
    for text, page, next_page in kept:
        assert page == next_page, (name, text, page, next_page)


# --- the cards ------------------------------------------------------------------------------

CARD_JS = """() => {
  const style = e => getComputedStyle(e);
  const body = document.body, rule = document.querySelector("hr#answer");
  const answer = document.querySelector(".answer"), extra = document.querySelector(".extra");
  return {
    overflow: document.documentElement.scrollWidth - innerWidth,
    color: style(body).color, background: style(body).backgroundColor,
    rule: rule && [style(rule).borderTopStyle, style(rule).borderTopWidth, style(rule).borderBottomWidth,
                   style(rule).borderLeftWidth, style(rule).backgroundColor, rule.getBoundingClientRect().height],
    answer: answer && [answer.textContent.trim(), style(answer).fontWeight, style(answer).textAlign],
    extra: extra && [style(extra).borderTopColor, style(extra).borderTopWidth, style(extra).backgroundColor],
  };
}"""


CARD_IMAGES_JS = """() => [...document.querySelectorAll("img")].map(img =>
  [img.complete && img.naturalWidth > 0, img.getBoundingClientRect().width, img.naturalWidth])"""


def rgb(value: str) -> tuple[float, ...]:
    return tuple(float(n) for n in value[value.index("(") + 1:-1].split(",")[:3])


def contrast(a: str, b: str) -> float:
    def luminance(colour):
        channels = [c / 255 for c in rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("night", [False, True], ids=["day", "night"])
def test_cards_on_a_phone(phone, real, night):
    # The real deck, and the tiny one: only it has an Extra box.
    book, tiny = real[0], built_book(load.load(TINY))
    own_colours, checked = None, Counter()
    for side in [*preview.sides(book), *preview.sides(tiny)]:
        for html in (side.front, side.back):
            phone.set_content(preview.card_page(book, html, night))
            shown = phone.evaluate(CARD_JS)
            assert shown["overflow"] <= 0, side.card.id
            for loaded, width, natural in phone.evaluate(CARD_IMAGES_JS):  # shown, inside the card
                assert loaded and width <= PHONE[0] and width <= natural, side.card.id
                checked["image"] += html is side.back
            check_protected(phone)
            # The card's own colours, not the app's: the same with and without the app's CSS.
            own_colours = own_colours or card_colours(phone, book, html, night)
            assert (shown["color"], shown["background"]) == own_colours, side.card.id
            if shown["rule"]:  # one plain line, whatever the app's hr style
                style, top, bottom, left, background, height = shown["rule"]
                assert (style, top, bottom, left, background, height) == ("solid", "1px", "0px", "0px",
                                                                         "rgba(0, 0, 0, 0)", 1), side.card.id
                checked["rule"] += 1
            if shown["extra"]:  # a box that can be seen
                border, width, fill = shown["extra"]
                assert width == "1px" and contrast(border, shown["background"]) >= 1.4, side.card.id
                assert fill != shown["background"], side.card.id
                checked["extra"] += 1
            if shown["answer"] and html is side.back:
                text, weight, align = shown["answer"]
                if len(text) <= 20:  # a short answer: bold, centred
                    assert int(weight) >= 600 and align == "center", (side.card.id, text)
                    checked["short"] += 1
                elif len(text) >= 60:  # a long one reads as running text
                    assert int(weight) == 400 and align in ("start", "left"), (side.card.id, text)
                    checked["long"] += 1
    assert min(checked[k] for k in ("rule", "extra", "short", "long", "image")) > 0, checked
    text, background = (sum(rgb(c)) for c in own_colours)
    assert (text > background) == night  # light on dark by night, dark on light by day
    assert contrast(*own_colours) >= 7


def card_colours(page, book, html, night) -> tuple[str, str]:
    """Text and background colours of a side shown with card.css alone."""
    bare = preview.card_page(book, html, night).replace(preview.APP_CSS, "")
    page.set_content(bare)
    colours = page.evaluate("() => [getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]")
    page.set_content(preview.card_page(book, html, night))
    return tuple(colours)
