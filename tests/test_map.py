"""The figures: the flight map and the 1976 timeline. The committed PNGs suit e-ink and phones,
the map's projection keeps its scale bar honest, both agree with the source's facts, and the
scripts that draw them reproduce them byte for byte."""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import REAL_SOURCE, ROOT

MAP = ROOT / "source" / "images" / "flight-map.png"
TIMELINE = ROOT / "source" / "images" / "timeline-1976.png"
SCRIPT = ROOT / "scripts" / "draw_map.py"
TIMELINE_SCRIPT = ROOT / "scripts" / "draw_timeline.py"


def load_script():
    spec = importlib.util.spec_from_file_location("draw_map", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


draw_map = load_script()


@pytest.mark.parametrize("figure", [MAP, TIMELINE], ids=lambda p: p.name)
def test_committed_figure_is_a_small_opaque_greyscale_png(figure: Path):
    data = figure.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert colour == 0, "greyscale without alpha: no colour to lose on e-ink, opaque in night mode"
    assert depth == 8
    assert 1000 <= width <= 1920 and 0.6 <= height / width <= 1.2
    assert len(data) < 300_000
    with Image.open(figure) as image:
        image.verify()
    with Image.open(figure) as image:
        assert (image.mode, image.size) == ("L", (width, height))
        histogram = image.histogram()
    levels = [value for value, count in enumerate(histogram) if count]
    assert len(levels) <= 16, "cut to the 16 grey levels of an e-ink panel"
    assert levels[0] == 0 and levels[-1] == 255, "full contrast: black ink on white"
    light = sum(histogram[200:])
    assert light > 0.6 * width * height, "a light background, readable in Anki's night mode"


@pytest.mark.parametrize("a, b", [("CHUGUYEVKA", "HAKODATE"), ("HAKODATE", "HYAKURI"), ("TOKYO", "CHITOSE")])
def test_projection_scale_matches_true_distances(a, b):
    # The scale bar is drawn from Lambert.scale; on a conformal map the distance between two
    # places, measured on the map, must agree with it to half a per cent.
    canvas = draw_map.Canvas()
    here, there = getattr(draw_map, a), getattr(draw_map, b)
    on_map = ((canvas.xy(*here)[0] - canvas.xy(*there)[0]) ** 2 + (canvas.xy(*here)[1] - canvas.xy(*there)[1]) ** 2) ** 0.5
    mid_lat = (here[0] + there[0]) / 2
    ratio = on_map / (draw_map.distance_km(here, there) * canvas.px_per_ground_km(mid_lat))
    assert ratio == pytest.approx(1, abs=0.005)


def test_projection_round_trips_and_is_true_on_its_standard_parallels():
    proj = draw_map.Canvas().proj
    assert proj.scale(37.0) == pytest.approx(1) and proj.scale(44.0) == pytest.approx(1)
    for lat, lon in (draw_map.CHUGUYEVKA, draw_map.HYAKURI, (46.0, 131.0)):
        assert proj.unproject(*proj.project(lat, lon)) == pytest.approx((lat, lon))


def test_drawn_course_is_the_400_odd_miles_of_the_accounts():
    miles = draw_map.course_km(draw_map.Canvas()) / 1.609344
    assert 400 <= miles <= 440
    radar_km = draw_map.distance_km(draw_map.radar_contact(), draw_map.HAKODATE)
    assert radar_km == pytest.approx(300, abs=1)


def test_map_shows_the_facts_the_source_states():
    facts = yaml.safe_load(REAL_SOURCE.read_text("utf-8"))["facts"]
    for name, shown in draw_map.SOURCE_FACTS.items():
        assert facts[name] == shown, f"the source now says {name}: {facts[name]}; redraw the map"


def run_script(*args: str, script: Path = SCRIPT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120)


def test_missing_or_wrong_map_data_says_how_to_install_it(tmp_path: Path):
    missing = run_script("--atlas", str(tmp_path / "countries-10m.json"), "--output", str(tmp_path / "m.png"))
    assert missing.returncode != 0 and "npm install --prefix build/map-data" in missing.stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text("{}")
    changed = run_script("--atlas", str(wrong), "--output", str(tmp_path / "m.png"))
    assert changed.returncode != 0 and "checksum differs" in changed.stderr
    assert not (tmp_path / "m.png").exists()


@pytest.mark.skipif(
    not draw_map.ATLAS.is_file(),
    reason="map data not installed (npm install --prefix build/map-data --no-save world-atlas@2.0.2)",
)
def test_script_reproduces_the_committed_map(tmp_path: Path):
    result = run_script("--output", str(tmp_path / "flight-map.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "flight-map.png").read_bytes() == MAP.read_bytes()


def test_timeline_script_reproduces_the_committed_chart_from_the_source(tmp_path: Path):
    result = run_script("--output", str(tmp_path / "timeline.png"), script=TIMELINE_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "timeline.png").read_bytes() == TIMELINE.read_bytes(), (
        "the chart differs from what the source draws: run python scripts/draw_timeline.py"
    )


def test_timeline_takes_its_times_from_the_source(tmp_path: Path):
    source = tmp_path / "source.yaml"
    text = REAL_SOURCE.read_text("utf-8")
    assert 'landing-time: "1:57 pm"' in text
    source.write_text(text.replace('landing-time: "1:57 pm"', 'landing-time: "1:47 pm"'), "utf-8")
    result = run_script("--source", str(source), "--output", str(tmp_path / "t.png"), script=TIMELINE_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.png").read_bytes() != TIMELINE.read_bytes()
