"""Typography both outputs share: ranges, unbreakable names and amounts, prose dates, sorting.

Applied to rendered HTML, to the text between tags only: tags, attributes and entities
are never touched.

Unbreakable runs are wrapped in `<span class="nowrap">` (white-space: nowrap in book.css
and card.css), not written with U+2011 (non-breaking hyphen) or U+2060 (word joiner):
- the characters stay the ones the author typed, so searching for "MiG-25" in Anki or on
  an e-reader still finds it, and the lint still compares the same words;
- U+2011 and U+2060 are missing from several e-reader fonts (a box, or a fallback glyph)
  and from the cover's font; a span with a class is plain HTML and CSS that Anki's
  desktop and phone apps, calibre's Kindle conversion and EPUBCheck all take as it is.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

TAG = re.compile(r"(<[^>]*>)")
DIGIT = re.compile(r"\d")
# A range between two numbers (1976-1980, 100-150) or two roman numerals (I-IV) takes an
# en dash. Never inside a longer chain: 1976-09-06 is a date, not two ranges.
NUMBER_RANGE = re.compile(r"(?<![\w-])(\d+)-(\d+)(?![\w-])")
ROMAN_RANGE = re.compile(r"(?<![\w-])([IVXLC]+)-([IVXLC]+)(?![\w-])")
# Never broken across two lines:
# - a hyphenated name with a digit in it (MiG-25, E-2C, F-4, Tu-95s): e-readers break
#   after any hyphen, which leaves "MiG-" at the end of a line;
# - an amount with its currency, magnitude or unit (US$10 million, 10 per cent, 20,000 ft,
#   1:11 pm, Mach 3.2).
HYPHENATED_CODE = r"[^\W_]*\d[^\W_]*(?:-[^\W_]+)+|[^\W_]+(?:-[^\W_]+)*-[^\W_]*\d[^\W_]*(?:-[^\W_]+)*"
NUMBER = r"\d+(?:[.,:]\d+)*(?:\u2013\d+(?:[.,:]\d+)*)?"  # 100–150 ft stays whole
# Units that cannot be mistaken for words ("in", "t" and "g" can).
UNIT = r"per\scent|percent|million|billion|thousand|km/h|km|m|cm|mm|ft|miles|mph|knots|kg|tonnes|tons|lb|am|pm|%|°C|°F"
AMOUNT = rf"(?:(?:[A-Z]{{0,3}}[$£€¥])?{NUMBER}(?:\s(?:{UNIT})(?![\w]))+|[A-Z]{{0,3}}[$£€¥]{NUMBER}|Mach\s{NUMBER}|{NUMBER}\s?%)"
UNBREAKABLE = rf"(?<![\w$£€¥-])(?:{HYPHENATED_CODE}|{AMOUNT})(?![\w-])"
AMOUNTS = rf"(?<![\w$£€¥-])(?:{AMOUNT})(?![\w-])"  # UNBREAKABLE in text without a hyphen
# What every amount holds: a number and its unit, a currency and a number, "Mach" and a number,
# a number and "%". Found much faster than AMOUNTS, and in most text, even with digits, not at all.
AMOUNT_HINT = rf"\d\s(?:{UNIT})|[$£€¥]\d|Mach\s\d|\d\s?%"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def apply(html: str) -> str:
    """Rendered HTML with en dashes in ranges and unbreakable runs wrapped."""
    if "<" not in html:  # most card text: no tags to step around
        return _text(html)
    parts = TAG.split(html)
    for i in range(0, len(parts), 2):  # even items are text, odd ones tags
        if parts[i]:
            parts[i] = _text(parts[i])
    return "".join(parts)


def _text(text: str) -> str:
    # Each rule needs a hyphen or a digit to match: most text has neither and is left at once.
    if "-" in text:
        text = NUMBER_RANGE.sub("\\1\u2013\\2", text)
        text = ROMAN_RANGE.sub("\\1\u2013\\2", text)
    # These three are compiled when first used, and kept, by `re` itself: `check` never applies
    # typography, and compiling them costs 2 ms.
    if "-" in text:  # a hyphenated name needs a hyphen: most text has none, and is faster without
        if DIGIT.search(text):
            text = re.sub(UNBREAKABLE, r'<span class="nowrap">\g<0></span>', text)
    elif re.search(AMOUNT_HINT, text):
        text = re.sub(AMOUNTS, r'<span class="nowrap">\g<0></span>', text)
    return text


def prose_date(iso: str) -> str:
    """YYYY-MM-DD as the prose writes dates: 25 November 2026."""
    day = date.fromisoformat(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def sort_key(text: str) -> tuple[str, str]:
    """Dictionary order for plain text: letters first, case and accents only between words
    that are otherwise equal (Émigré files with the Es, not after Z), as a reader looking a
    term up expects."""
    folded = text.casefold()
    base = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return base, folded
