"""Draw the timeline of autumn 1976 as one chart: source/images/timeline-1976.png.

    python scripts/draw_timeline.py

Two time scales, each drawn to scale: the 46 minutes from radar contact to the landing on
6 September, and the ten weeks from the landing to the return of the dismantled aircraft.
Every date and time comes from the facts of source/belenko-defection.yaml, so the chart
cannot disagree with the text; after changing one of them, run this again (a test checks
that the committed chart is what the source draws). It needs only Pillow and PyYAML, both
project dependencies, and shares the map's lettering and PNG writer (scripts/draw_map.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

from draw_map import INK, LAND, ROOT, SEA, SS, font, label, marker, save

SOURCE = ROOT / "source/belenko-defection.yaml"
OUTPUT = ROOT / "source/images/timeline-1976.png"
WIDTH, HEIGHT = 1200, 1350
LEFT, RIGHT = 60, 1140  # the axes' ends, in final pixels


def load_facts(path: Path) -> dict[str, str]:
    return yaml.safe_load(path.read_text("utf-8"))["facts"]


def clock(text: str) -> float:
    """'1:57 pm' as minutes after midnight."""
    t = dt.datetime.strptime(text, "%I:%M %p")
    return t.hour * 60 + t.minute


def date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %B %Y").date()


def scale(start: float, end: float):
    """Where a value between start and end lies on an axis, in supersampled pixels."""
    return lambda v: (LEFT + (RIGHT - LEFT) * (v - start) / (end - start)) * SS


def axis(draw, y: float, ticks: list[tuple[float, str]], place, events: list[tuple[float, bool]]) -> None:
    """A thick axis with ticks labelled below it, except where an event's leader goes down
    through the label, and the events' markers on top."""
    draw.line([(LEFT * SS, y * SS), (RIGHT * SS, y * SS)], fill=INK, width=8 * SS)
    downs = [x for x, above in events if not above]
    for value, text in ticks:
        x = place(value)
        draw.line([(x, (y - 14) * SS), (x, (y + 14) * SS)], fill=INK, width=5 * SS)
        anchor = "la" if x <= LEFT * SS else "ra" if x >= RIGHT * SS else "ma"
        width = font(40).getlength(text)
        start = {"l": x, "r": x - width, "m": x - width / 2}[anchor[0]]
        if not any(start - 10 * SS <= d <= start + width + 10 * SS for d in downs):
            label(draw, (x, (y + 24) * SS), text, 40, anchor=anchor, halo=0)
    for x, _ in events:
        marker(draw, (x, y * SS), "circle", 13)


def event(draw, x: float, y: float, text: str, above: bool, align: str, rise: int) -> tuple[float, bool]:
    """A leader up or down from the axis to the event's label; returns where it is."""
    end = y - rise if above else y + rise
    draw.line([(x, y * SS), (x, end * SS)], fill=INK, width=4 * SS)
    dx = {"l": -8, "r": 8, "m": 0}[align] * SS
    label(draw, (x + dx, (end - 8) * SS if above else (end + 8) * SS), text, 44, anchor=align + ("d" if above else "a"), halo=0)
    return x, above


def band(draw, top: int, title: str) -> None:
    """A grey title band across the chart."""
    draw.rectangle([0, top * SS, WIDTH * SS, (top + 84) * SS], fill=LAND)
    for line in (top, top + 84):
        draw.line([(0, line * SS), (WIDTH * SS, line * SS)], fill=INK, width=3 * SS)
    label(draw, (LEFT * SS, (top + 42) * SS), title, 52, anchor="lm", halo=0, bold=True)


def draw_timeline(f: dict[str, str]) -> Image.Image:
    image = Image.new("L", (WIDTH * SS, HEIGHT * SS), SEA)
    draw = ImageDraw.Draw(image)

    # The day: Japanese local time, 1:10 to 2:00 pm.
    band(draw, 0, f"{f['defection-date']}, Japanese time")
    y, start, end = 370, 13 * 60 + 10, 14 * 60
    place = scale(start, end)
    events = [
        event(draw, place(clock(f["detection-time"])), y, f"{f['detection-time']}\nradar picks\nup the MiG-25", True, "l", 90),
        event(draw, place(clock(f["scramble-time"])), y, f"{f['scramble-time']}\ntwo F-4s scrambled\nfrom Chitose",
              False, "l", 90),
        event(draw, place(clock(f["radar-lost-time"])), y, f"{f['radar-lost-time']}\nradar\nloses it", True, "l", 90),
        event(draw, place(clock(f["landing-time"])), y, f"{f['landing-time']}\nlands at\nHakodate", True, "r", 90),
    ]
    ticks = [(m, f"1:{m - 780:02d}") for m in range(start, end, 10)] + [(end, "2:00 pm")]
    axis(draw, y, ticks, place, events)

    # The autumn: from the landing to the crates.
    landing, back = date(f["defection-date"]), date(f["return-date"])
    band(draw, 660, f"{landing:%B} to {back:%B} {back:%Y}")
    y = 1100
    place = scale(0, (back - landing).days)
    days = lambda fact: (date(f[fact]) - landing).days
    events = [
        event(draw, place(0), y, "Ford approves\nasylum", True, "l", 230),
        event(draw, place(days("us-flight-date")), y, "Belenko flown\nto the US", True, "l", 90),
        event(draw, place(days("hyakuri-arrival-date")), y, f"MiG-25 taken to\n{f['exam-base'].split()[0]} for study",
              False, "l", 90),
        event(draw, place(days("gromyko-date")), y, f"{f['foreign-minister'].split()[-1]} raises\nit with Ford", True, "l", 90),
        event(draw, place(days("return-date")), y, f"MiG-25 leaves\n{f['return-port']} in\ncrates", True, "r", 90),
    ]
    months = [dt.date(landing.year, m, 1) for m in range(landing.month + 1, back.month + 1)]
    ticks = [(0, f"{landing.day} {landing:%b}")] + [((m - landing).days, f"1 {m:%b}") for m in months]
    axis(draw, y, ticks + [((back - landing).days, f"{back.day} {back:%b}")], place, events)

    draw.rectangle([0, 0, image.width - 1, image.height - 1], outline=INK, width=4 * SS)
    return image.reduce(SS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="study source to take the facts from")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="PNG to write")
    args = parser.parse_args(argv)
    print(save(draw_timeline(load_facts(args.source)), args.output))


if __name__ == "__main__":
    main()
