"""Peers on the same content: pandoc making the EPUB alone, ankdown making the deck alone, and
genanki alone making the deck from ready notes, each timed against `exporter build`.

    .venv/bin/python benchmarks/peers.py [--rounds 7] [--source FILE] [--venv DIR] [--keep DIR]

The peers live in a venv of their own (default benchmarks/.peers-venv, made on the first run
with pip: pandoc comes as the binary in the pypandoc-binary wheel, ankdown from its package).
A peer that cannot be installed or does not run is reported and left out; the rest go on.
Their input is the real source converted by exporter's own loader and content step (see
benchmarks/peer_inputs.py): Markdown for pandoc, ankdown's card files, and the final note
fields for genanki. genanki alone runs in exporter's own venv, where genanki is.

Each round runs every contestant once, as a fresh process writing into an empty folder, in
an order rotated from round to round; the first round only warms up. For each peer the
ratio of its time to the build's in the same round is kept, and the median and range of
those ratios reported, with peak memory (highest peak RSS of the rounds), and the ratio of
the fastest runs. Absolute times on a shared machine are noise; ratios within a round much
less so. genanki (under ankdown too) writes its collection with SQLite's default durability,
56 fdatasyncs for this deck, where exporter writes none: on a disk busy with other work the
deck peers' times swing widely, and the ratio of the fastest runs is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from bench import REAL_SOURCE, ROOT, exporter, print_cells, run_once

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = HERE / ".peers-venv"
PACKAGES = {"pandoc": "pypandoc-binary", "ankdown": "ankdown"}


@dataclass
class Contestant:
    name: str
    makes: str
    command: list[str]  # "{out}" in an argument is replaced by the round's empty folder
    output: str  # pattern of the file the command must leave in its folder
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)

    def args(self, out: Path) -> list[str]:
        return [a.replace("{out}", str(out)) for a in self.command]


def install(venv: Path, problems: list[str]) -> dict[str, Path]:
    """The peers' programs, installing what is missing; a peer that fails is left out."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    programs = {}
    for peer, package in PACKAGES.items():
        if not _installed(python, package):
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", package], capture_output=True, text=True)
            if done.returncode != 0:
                problems.append(f"{peer}: `pip install {package}` failed, so it is left out:\n{done.stderr[-1500:]}")
                continue
        program = _program(venv, peer)
        works = subprocess.run([str(program), "--version"], capture_output=True, text=True) if program else None
        if works is None or works.returncode != 0:
            problems.append(f"{peer}: installed but does not run, so it is left out:\n"
                            f"{works.stderr[-1500:] if works else 'program not found'}")
            continue
        programs[peer] = program
        print(f"{peer}: {(works.stdout.splitlines() or ['?'])[0]}")
    return programs


def _installed(python: Path, package: str) -> bool:
    return subprocess.run([str(python), "-m", "pip", "show", "-q", package], capture_output=True).returncode == 0


def _program(venv: Path, peer: str) -> Path | None:
    if peer == "ankdown":
        return venv / "bin" / "ankdown"
    # pypandoc-binary puts the pandoc binary in pypandoc/files/.
    found = list((venv / "lib").glob("python*/site-packages/pypandoc/files/pandoc"))
    return found[0] if found else None


def prepare(source: Path, folder: Path) -> str:
    """Write the peers' inputs (in a child process: this one must stay small, see run_once)."""
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); from peer_inputs import write_inputs; "
            f"kinds = write_inputs({str(source)!r}, {str(folder)!r}); "
            "print(', '.join(f'{n} {k}' for k, n in kinds.items()))")
    run = run_once([sys.executable, "-c", code], ROOT)
    if run.code != 0:
        raise SystemExit(f"error: converting {source} for the peers failed:\n{run.stderr}")
    return run.stdout.strip()


def contestants(source: Path, inputs: Path, programs: dict[str, Path]) -> list[Contestant]:
    result = [Contestant("exporter build", "deck + EPUB", exporter("build", source, "-o", "{out}"), "*.epub")]
    if "pandoc" in programs:
        result.append(Contestant("pandoc", "EPUB alone", [str(programs["pandoc"]), str(inputs / "book.md"),
                                 "--toc", "--split-level=1", f"--resource-path={inputs}", "-o", "{out}/book.epub"],
                                 "book.epub"))
    if "ankdown" in programs:
        result.append(Contestant("ankdown", "deck alone", [str(programs["ankdown"]), "-r", str(inputs / "ankdown"),
                                 "-p", "{out}/deck.apkg"], "deck.apkg"))
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); from peer_inputs import genanki_deck; "
            f"genanki_deck({str(inputs / 'notes.json')!r}, sys.argv[1] + '/deck.apkg')")
    result.append(Contestant("genanki alone", "deck from ready notes", [sys.executable, "-c", code, "{out}"],
                             "deck.apkg"))
    return result


def run_rounds(entrants: list[Contestant], work: Path, rounds: int, problems: list[str]) -> list[Contestant]:
    """Round 0 warms up; a contestant that fails is reported and dropped (the build stops all)."""
    for r in range(rounds + 1):
        shift = r % len(entrants)
        for c in entrants[shift:] + entrants[:shift]:
            out = work / f"round-{r}" / c.name.replace(" ", "-")
            out.mkdir(parents=True)
            run = run_once(c.args(out), work)
            if run.code != 0 or not any(out.glob(c.output)):
                problems.append(f"{c.name}: failed (exit {run.code}), so it is left out:\n{run.stderr[-1500:]}")
                if c is entrants[0]:
                    raise SystemExit(f"error: exporter build failed:\n{run.stderr}")
                entrants = [e for e in entrants if e is not c]
                continue
            if r:
                c.walls.append(run.wall)
                c.peaks.append(run.peak_mb)
        shutil.rmtree(work / f"round-{r}")
    return entrants


def report(entrants: list[Contestant]) -> None:
    build = entrants[0]
    rows = []
    for c in entrants:
        ratios = sorted(t / b for t, b in zip(c.walls, build.walls))
        target, result = "", ""
        if c.name in PACKAGES:  # the build must beat pandoc and ankdown, each making one output
            target, result = "> 1.00x (build faster)", "PASS" if median(ratios) > 1 else "FAIL"
        rows.append([c.name, c.makes, f"{median(c.walls):.3f}", f"{median(ratios):.2f}x",
                     f"{ratios[0]:.2f}-{ratios[-1]:.2f}x", f"{min(c.walls) / min(build.walls):.2f}x", f"{max(c.peaks):.0f}",
                     f"{max(c.peaks) / max(build.peaks):.1f}x", target, result])
    both = [c for c in entrants if c.name in PACKAGES]
    if len(both) == 2:
        sums = sorted((a + b) / e for a, b, e in zip(both[0].walls, both[1].walls, build.walls))
        rows.append(["pandoc + ankdown", "deck + EPUB", f"{median([a + b for a, b in zip(both[0].walls, both[1].walls)]):.3f}",
                     f"{median(sums):.2f}x", f"{sums[0]:.2f}-{sums[-1]:.2f}x",
                     f"{(min(both[0].walls) + min(both[1].walls)) / min(build.walls):.2f}x", "", "", "", ""])
    print()
    print_cells(["contestant", "makes", "median s", "x build", "range", "best x best", "peak MB", "x build MB",
                 "target", "result"], rows, right={2, 3, 4, 5, 6, 7})
    print(f"\nx build: median of the per-round ratios (time / exporter build's time in the same round), "
          f"{len(build.walls)} rounds; range: lowest-highest ratio;\nbest x best: fastest run / the build's fastest "
          "run (noise only ever adds time, so on a busy machine this is the steadier figure).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default: %(default)s)")
    parser.add_argument("--source", type=Path, default=REAL_SOURCE, help="the source (default: %(default)s)")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the peers' venv (default: %(default)s)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the peers' inputs to DIR and keep them")
    args = parser.parse_args(argv)
    # Measured as installed tools run: with bytecode cached after the first run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    problems: list[str] = []
    programs = install(args.venv.resolve(), problems)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="exporter-peers-"))
    try:
        inputs = work / "inputs"
        inputs.mkdir(parents=True, exist_ok=True)
        print(f"{args.source}: {prepare(args.source.resolve(), inputs)} notes, converted for the peers in {inputs}")
        entrants = run_rounds(contestants(args.source.resolve(), inputs, programs), work, max(1, args.rounds), problems)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(entrants)
    for problem in problems:
        print(f"\nnote: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
