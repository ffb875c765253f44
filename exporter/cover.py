"""The cover image: a PNG drawn at build time from the title, subtitle and author.

Same text, same bytes: no clock, no system fonts (they differ between machines), only the
font built into Pillow, its basic layout engine (raqm may or may not be installed), and a
PNG without metadata. The built-in font is a small subset of Latin: letters it lacks are
drawn without their accents (é → e), a few marks get a stand-in, and anything else is left
out rather than drawn as a box; the cover page's alt text carries the full title.
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageDraw
    from PIL.ImageFont import FreeTypeFont as Font

SIZE = (1600, 2560)  # 1:1.6, the shape Kindle and Kobo recommend
MARGIN = 130
BAND = 1720  # the dark band holding title and subtitle; the author sits below it
INK, PAPER, ACCENT = (28, 38, 62), (246, 243, 236), (200, 162, 84)
TITLE_INK, SUBTITLE_INK = (255, 255, 255), (222, 226, 236)
LEVELS = 32  # shades of anti-aliasing between a text's background and its ink
TITLE_RAMP, SUBTITLE_RAMP, AUTHOR_RAMP = 0, LEVELS, 2 * LEVELS  # first index of each ramp
ACCENT_INDEX = 3 * LEVELS
TITLE_SIZES = range(150, 59, -10)
SUBTITLE_SIZES = range(72, 39, -4)
AUTHOR_SIZE = 64
LEADING = 1.2
# Twice what the title's box holds at its smallest size in the narrowest glyph (16 lines of
# 120 apostrophes); anything beyond it never shows, and measuring it took most of a minute.
MOST_TEXT = 4000
STAND_INS = {"—": "-", "–": "-", "‒": "-", "−": "-", "•": "·", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
             "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}



def _ramp(start: tuple[int, int, int], end: tuple[int, int, int]) -> bytes:
    return bytes(round(a + (b - a) * i / (LEVELS - 1)) for i in range(LEVELS) for a, b in zip(start, end))


PALETTE = _ramp(INK, TITLE_INK) + _ramp(INK, SUBTITLE_INK) + _ramp(PAPER, INK) + bytes(ACCENT)


@lru_cache(maxsize=4)  # `watch` rebuilds after every save: the same cover, drawn once
def render(title: str, subtitle: str, author: str) -> bytes:
    """The cover as PNG bytes."""
    # Drawn in grey levels that are palette indices: each piece of text is drawn on its own
    # background index, so anti-aliasing blends between the two ends of that text's ramp of
    # colours. The result is a small palette PNG without quantizing 4 million pixels.
    from PIL import Image, ImageDraw

    image = Image.new("L", SIZE, AUTHOR_RAMP)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SIZE[0], BAND), fill=TITLE_RAMP)
    width = SIZE[0] - 2 * MARGIN
    top, bottom = 300, BAND - 200

    # The subtitle gets at most a third of the band, the title whatever is left.
    sub_font, sub_lines = _fit(subtitle, SUBTITLE_SIZES, width, (bottom - top) // 3)
    sub_height = _height(sub_font, len(sub_lines))
    gap = int(sub_font.size) if sub_lines else 0
    title_font, title_lines = _fit(title, TITLE_SIZES, width, bottom - top - sub_height - gap)
    y = _draw_lines(draw, title_lines, title_font, top, TITLE_RAMP)
    if sub_lines:  # the same ink as the title's background, with the subtitle's own ramp
        draw.rectangle((0, y + gap // 2 + 7, SIZE[0], BAND), fill=SUBTITLE_RAMP)
    draw.rectangle((MARGIN, y + gap // 2 - 6, MARGIN + 240, y + gap // 2 + 6), fill=ACCENT_INDEX)
    _draw_lines(draw, sub_lines, sub_font, y + gap, SUBTITLE_RAMP)

    author_font, author_lines = _fit(author, (AUTHOR_SIZE,), width, SIZE[1] - BAND - 2 * MARGIN)
    _draw_lines(draw, author_lines, author_font, BAND + MARGIN, AUTHOR_RAMP)

    image.putpalette(PALETTE)  # the grey levels become indices into the colours
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)  # level 6: a quarter smaller, twice the time
    return out.getvalue()


@lru_cache(maxsize=None)
def _font(size: int) -> Font:
    from PIL import ImageFont

    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont)  # Pillow >= 10.1 carries a scalable default
    return font.font_variant(layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=None)
def _glyph(char: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((8, 8), char, font=_font(40), fill=255)
    return image.tobytes()


def _drawable(char: str) -> bool:
    """Whether the built-in font has a glyph for `char`: a missing one renders as .notdef."""
    return char.isspace() or _glyph(char) != _glyph("\ue000")  # a private-use code point


def _drawable_text(text: str) -> str:
    out = []
    for char in text:
        if not _drawable(char):
            # NFKD splits é into e and a combining accent, which is then left out.
            char = STAND_INS.get(char) or unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in char if _drawable(c)))
    return " ".join("".join(out).split())


def _fit(text: str, sizes: range | tuple[int, ...], width: int, height: int) -> tuple[Font, list[str]]:
    """The largest font size whose wrapped lines fit; at the smallest, the lines that fit."""
    text = _drawable_text(text[:MOST_TEXT])  # the rest could not show, but took time to measure
    for size in sizes:
        font = _font(size)
        most = max(1, int(height / (size * LEADING)))
        while _height(font, most + 1) <= height:  # _height rounds: one more line may still fit
            most += 1
        # One line more than fits says that the text does not fit: wrapping all of a
        # 90,000-character title at every size took most of a minute.
        lines = _wrap(text, font, width, most + 1)
        if _height(font, len(lines)) <= height:
            return font, lines
    fitting = max(1, int(height / (font.size * LEADING)))
    if len(lines) > fitting:
        lines = lines[:fitting]
        lines[-1] = _shorten(lines[-1] + "…", font, width)
    return font, lines


def _wrap(text: str, font: Font, width: int, most: int) -> list[str]:
    """Greedy word wrap into at most `most` lines; a word wider than the line (or unspaced
    CJK) breaks anywhere."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if len(lines) >= most:
                return lines[:most]
            if line and font.getlength(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    return (lines + [line] if line else lines)[:most]


def _shorten(line: str, font: Font, width: int) -> str:
    while font.getlength(line) > width and len(line) > 1:
        line = line[:-2] + "…"
    return line


def _height(font: Font, count: int) -> int:
    return round(font.size * LEADING * count)


def _draw_lines(draw: ImageDraw.ImageDraw, lines: list[str], font: Font, y: int, ramp: int) -> int:
    """Draw left-aligned lines from `y` in the ink at the end of `ramp`; return the y below the last one."""
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=ramp + LEVELS - 1)
        y += round(font.size * LEADING)
    return y


def png(title: str, subtitle: str, author: str) -> bytes:
    """The cover, drawn once per machine for the same text: later builds, into any folder,
    take it from the state folder without importing Pillow (a tenth of a build). The key holds
    the text, this module's code and Pillow's version, so a change to any of them draws anew."""
    import hashlib
    import json
    import os
    from pathlib import Path

    import PIL  # the package alone, for its version: not the imaging modules

    from exporter.uptodate import state_dir

    key = hashlib.sha256(json.dumps([title, subtitle, author, PIL.__version__,
                                     hashlib.sha256(Path(__file__).read_bytes()).hexdigest()]).encode()).hexdigest()
    cached = state_dir() / "covers" / f"{key}.png"
    try:
        data = cached.read_bytes()
        if data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END):
            return data
    except OSError:
        pass
    data = render(title, subtitle, author)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        temp.write_bytes(data)
        os.replace(temp, cached)
    except OSError:
        pass  # no cache: the next build draws it again
    return data


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the last chunk: a file cut short is drawn again
