"""Benchmark `exporter doctor` on a large collection, next to `build` and `check` of the same source.

    .venv/bin/python benchmarks/doctor.py [--cards 10000] [--repeat 3] [--keep DIR]

A synthetic source of --cards cards (benchmarks/synthetic.py) is built and imported into a
fresh collection with the `anki` library (the test extra); then one note in a hundred is
edited in Anki, one in a hundred gets a tag of the learner's, and one card in a hundred moves
to another deck, so the doctor has findings to write. Each command runs as a fresh process
(bench.run_once), --repeat times; the best wall time and the highest peak memory are kept.
The doctor reads the whole source as `check` does and renders the cards as `build` does, then
the collection: its time beyond `check` is the comparison itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench import ROOT, run_once, write_synthetic

EDITED_EVERY = 100


def prepare(work: Path, cards: int) -> tuple[Path, Path, Path, int]:
    """The source, its output folder and a collection that holds the deck, with findings."""
    source, out, collection = work / "big.yaml", work / "out", work / "learner" / "collection.anki2"
    write_synthetic(source, cards)
    built = run_once([sys.executable, "-m", "exporter", "build", str(source), "-o", str(out)], ROOT)
    if built.code != 0:
        raise SystemExit(f"error: the build failed:\n{built.stderr}")
    collection.parent.mkdir()
    code = f"""
import sys
from pathlib import Path
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
col = Collection({str(collection)!r})
col.import_anki_package(ImportAnkiPackageRequest(
    package_path=str(next(Path({str(out)!r}).glob('*.apkg'))), options=ImportAnkiPackageOptions()))
ids = col.find_notes('')
for nid in ids[::{EDITED_EVERY}]:
    note = col.get_note(nid)
    note.fields[0] += ' (edited)'
    col.update_note(note)
for nid in ids[1::{EDITED_EVERY}]:
    note = col.get_note(nid)
    note.tags.append('mine')
    col.update_note(note)
col.set_deck(col.find_cards('')[2::{EDITED_EVERY}], col.decks.id('Elsewhere'))
print(len(ids))
col.close()
"""
    made = run_once([sys.executable, "-c", code], ROOT)
    if made.code != 0:
        raise SystemExit(f"error: making the collection failed (is the test extra installed?):\n{made.stderr}")
    return source, out, collection, int(made.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the source, outputs and collection here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="exporter-doctor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["EXPORTER_STATE_DIR"] = str(work / "state")  # never the user's own record
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # the deck predates the edits made in Anki
    try:
        source, out, collection, notes = prepare(work, args.cards)
        commands = {
            "doctor": ["doctor", str(collection), str(source), "-o", str(out)],
            "build --force": ["build", str(source), "-o", str(work / "again"), "--force"],
            "check": ["check", str(source)],
        }
        print(f"{args.cards} cards, {notes} notes in the collection; best of {args.repeat}:")
        best = {}
        for name, command in commands.items():
            runs = [run_once([sys.executable, "-m", "exporter", *command], ROOT) for _ in range(args.repeat)]
            best[name] = min(r.wall for r in runs)
            findings = runs[0].stdout.count("\n  ") if name == "doctor" else None
            print(f"  {name:14} {best[name]:6.2f} s  {max(r.peak_mb for r in runs):5.0f} MB"
                  + (f"  exit {runs[0].code}, {findings} lines of findings" if findings is not None else ""))
        print(f"doctor: {best['doctor'] / best['build --force']:.2f}x the build, "
              f"{best['doctor'] - best['check']:.2f} s beyond reading the source (check)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
