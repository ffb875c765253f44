"""Make the README's screenshots from the real source: two cards on a phone at night (one with
the map), a chapter ending with its questions, and the answers page, as Debian's Chromium lays
them out.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Needs the test extra (Playwright) and the chromium package; downloads nothing.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from exporter import content, epub, load, preview

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "belenko-defection.yaml"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
READER = {"width": 540, "height": 720}  # a 6-inch e-reader's page, at half its pixels
# What a reading system adds: its margins and a book font. The book itself sets neither.
READER_CSS = "body { margin: 28px 32px; font-family: 'DejaVu Serif', serif; font-size: 16px; line-height: 1.45; }"
CHAPTER = "examination"  # its questions and answers name the MiG-25 and the C-5 Galaxy
CARD = "term-mig-25p"  # a glossary term whose definition is long enough to read as running text
MAP_CARD = "brief-landing-airport"  # the map of the flight on the back


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    loaded = load.load(SOURCE)
    book = content.build(loaded.document, media=loaded.media)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        pages = Path(tmp)
        epub.write(book, pages / "book.epub", modified=datetime(2026, 1, 1, tzinfo=timezone.utc),
                   source_sha256=loaded.sha256)
        with zipfile.ZipFile(pages / "book.epub") as z:
            z.extractall(pages)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])

        phone = browser.new_page(viewport=PHONE)
        side = next(s for s in preview.sides(book) if s.card.id == CARD)
        phone.set_content(preview.card_page(book, side.back, night=True))
        # The top of the screen, down to a little below the card's last line.
        bottom = phone.evaluate("document.querySelector('.source').getBoundingClientRect().bottom")
        clip = {"x": 0, "y": 0, "width": PHONE["width"], "height": min(PHONE["height"], round(bottom) + 120)}
        save(phone.screenshot(clip=clip), out / "card-night.png")
        side = next(s for s in preview.sides(book) if s.card.id == MAP_CARD)
        phone.set_content(preview.card_page(book, side.back, night=True))
        bottom = phone.evaluate("document.querySelector('.source').getBoundingClientRect().bottom")
        clip = {"x": 0, "y": 0, "width": PHONE["width"], "height": min(PHONE["height"], round(bottom) + 24)}
        save(phone.screenshot(clip=clip), out / "card-map-night.png")

        reader = browser.new_page(viewport=READER)
        chapter = next(s for s in book.chapters if s.id == CHAPTER)
        reader.goto((pages / "EPUB" / f"chapter-{chapter.id}.xhtml").as_uri())
        reader.add_style_tag(content=READER_CSS)
        # The end of the chapter's text, then its questions.
        reader.evaluate("document.querySelector('section.check').previousElementSibling.scrollIntoView()")
        save(reader.screenshot(), out / "chapter-questions.png")

        reader.goto((pages / "EPUB" / epub.ANSWERS).as_uri())
        reader.add_style_tag(content=READER_CSS)
        reader.evaluate(f"document.getElementById('answers-chapter-{chapter.id}').scrollIntoView()")
        save(reader.screenshot(), out / "answers.png")
        browser.close()


def save(png: bytes, path: Path) -> None:
    """A small PNG: text screenshots lose nothing visible in 64 colours."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=0)
    image.save(path, optimize=True)
    print(f"Wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
