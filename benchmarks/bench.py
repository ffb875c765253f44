"""Benchmark: the whole CLI, as a user runs it, against the cost of merely importing its libraries.

    .venv/bin/python benchmarks/bench.py [--sizes 100,1000,10000] [--repeat 3] [--edits 15] [--keep DIR]
                                         [--imports] [--strict]

Every measurement is one fresh `python -m exporter ...` process: wall time from start to exit,
and that process's own peak resident memory (os.wait4 returns the rusage of exactly the child
waited for, so earlier runs never inflate a later one). Each is repeated and the best time
kept (noise on a busy machine only ever adds time); memory is the highest seen. Targets are
judged on ratios measured in the same run, next to the floor: a Python process that only
imports click, genanki and ebooklib.

Cases: the real source (`source/belenko-defection.yaml`) built into a fresh directory, rebuilt
unchanged (the fast path) and checked, and the modules `check` imports; `exporter watch` on a
copy of it, timed from each of --edits one-word saves to the summary line it prints; then
synthetic sources of each size (see benchmarks/synthetic.py), the same three ways, and the
growth of build time between sizes. With --imports, where a cold build's and a check's import
time goes (-X importtime, grouped by library), next to their wall time.
For information, two import-only processes sampled like the floor: what `build` and `check`
import before they do any work (libraries and the document model), next to the floor.
Exit status 0 even when a target fails, unless --strict is given. POSIX only (os.wait4).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import import_groups
import watch_latency

ROOT = Path(__file__).resolve().parent.parent

REAL_SOURCE = ROOT / "source" / "belenko-defection.yaml"
FLOOR_CODE = "import click, genanki; from ebooklib import epub"
# What each command must import before doing any work: the libraries, and the document model
# (msgspec; pydantic only for a broken source). Shown for information: the part
# of a command's time that no change to the pipeline can remove.
BUILD_IMPORTS = ("import click, genanki, markdown_it, yaml, PIL.Image, PIL.ImageDraw, PIL.ImageFont, exporter.document; "
                 "from ebooklib import epub")
CHECK_IMPORTS = "import click, yaml, exporter.document"

# Targets (from the issue): ratios are measured in the same run.
REAL_BUILD_VS_FLOOR = 2.0  # real source, both outputs, whole process: at most 2x the floor
CHECK_VS_BUILD = 0.5  # `check` at most half the time of `build`
BIG_CARDS, BIG_SECONDS, BIG_MB = 10_000, 3.0, 300.0  # 10,000 cards: at most 3 s and 300 MB
GROWTH_SLACK = 1.2  # 10x the cards, at most 12x the time
REBUILD_VS_FLOOR = 0.5  # an unchanged rebuild (fast path): at most half the floor
WATCH_MS = 100.0  # `watch`, from saving the source to the summary line: median under 100 ms
HEAVY = ("genanki", "ebooklib", "PIL", "markdown_it")  # what `check` must never import


@dataclass
class Run:
    wall: float  # seconds, best of the repeats
    peak_mb: float  # peak resident memory of the process, highest of the repeats
    code: int
    stdout: str
    stderr: str
    walls: list[float] = field(default_factory=list)


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_once(args: list[str], cwd: Path) -> Run:
    """Run one process; its wall time and its own peak RSS.

    The child's peak RSS starts at this process's own (a forked child shares its pages until
    exec, and Linux records that high-water mark), so this process must stay small: it
    generates no source itself and keeps no outputs in memory. main() warns if it grew."""
    import subprocess

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting
        out.seek(0)
        err.seek(0)
        return Run(wall, _maxrss_mb(usage.ru_maxrss), proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), [wall])


def write_synthetic(path: Path, cards: int) -> None:
    """Generate a source in a child process: this one must stay small (see run_once)."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            f"from synthetic import make_source; "
            f"open({str(path)!r}, 'w', encoding='utf-8').write(make_source({cards}))")
    run = run_once([sys.executable, "-c", code], ROOT)
    if run.code != 0:
        raise SystemExit(f"error: generating {path} failed:\n{run.stderr}")


def exporter(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter", *map(str, args)]


def _empty(folder: Path) -> Path:
    """folder, made empty."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def imports_of(args: list[str], cwd: Path = ROOT) -> list[import_groups.Import]:
    """What a command imports, from `python -X importtime`."""
    return import_groups.parse(run_once([sys.executable, "-X", "importtime", *args[1:]], cwd).stderr)


def imported_modules(args: list[str], cwd: Path = ROOT) -> tuple[set[str], list[tuple[int, str]]]:
    """Modules a command imports (top-level names), and (cumulative µs, module) of the slowest."""
    imports = imports_of(args, cwd)
    slow = [(imp.cumulative_us, imp.name) for imp in imports if imp.depth <= 1]  # not a library's own
    return {imp.name.split(".")[0] for imp in imports}, sorted(slow, reverse=True)


# --- the table --------------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    cards: str = ""
    wall: float | None = None
    peak_mb: float | None = None
    floor: "Floor | None" = None
    target: str = ""
    measured: str = ""
    ok: bool | None = None  # None: information only

    def cells(self) -> list[str]:
        ratio = f"{self.wall / self.floor.wall:.2f}x" if self.wall is not None and self.floor else ""
        return [
            self.case, self.cards,
            f"{self.wall:.3f}" if self.wall is not None else "",
            f"{self.peak_mb:.0f}" if self.peak_mb is not None else "",
            ratio, self.target, self.measured,
            {True: "PASS", False: "FAIL", None: ""}[self.ok],
        ]


HEADER = ["case", "cards", "wall s", "peak MB", "x floor", "target", "measured", "result"]


def print_table(rows: list[Row]) -> None:
    print_cells(HEADER, [r.cells() for r in rows], right={1, 2, 3, 4})


def print_cells(header: list[str], rows: list[list[str]], right: set[int]) -> None:
    """Columns padded to their widest cell; those in `right` aligned right."""
    cells = [header] + rows
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for n, line in enumerate(cells):
        print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


# --- the cases --------------------------------------------------------------------------------


class Floor:
    """The floor (or another import-only process), sampled between the other measurements:
    its best time is the least disturbed."""

    def __init__(self, code: str = FLOOR_CODE):
        self.code = code
        self.runs: list[Run] = []

    def sample(self) -> None:
        run = run_once([sys.executable, "-c", self.code], ROOT)
        if run.code != 0:
            raise SystemExit(f"error: the import-only process failed ({self.code}):\n{run.stderr}")
        self.runs.append(run)

    @property
    def wall(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.runs)


@dataclass
class Case:
    label: str
    cards: int | None
    build: Run
    rebuild: Run
    check: Run
    rewrote: bool  # whether any unchanged rebuild replaced an output file (no fast path)


def best(runs: list[Run]) -> Run:
    """Best wall time, highest peak memory; a failed run's exit status and output win."""
    fastest = min(runs, key=lambda r: r.wall)
    shown = next((r for r in runs if r.code != 0), fastest)
    return Run(fastest.wall, max(r.peak_mb for r in runs), shown.code, shown.stdout, shown.stderr,
               [r.wall for r in runs])


def bench_source(label: str, source: Path, cards: int | None, work: Path, repeat: int, *floors: Floor) -> Case:
    """Build into a fresh directory, rebuild it unchanged, check; interleaved, `repeat` times."""
    builds, rebuilds, checks = [], [], []
    rewrote = False
    for i in range(repeat):
        out = work / f"out-{re.sub(r'[^a-z0-9]+', '-', label)}-{i}"
        builds.append(run_once(exporter("build", source, "-o", _empty(out)), ROOT))
        before = _files(out)
        rebuilds.append(run_once(exporter("build", source, "-o", out), ROOT))
        rewrote = rewrote or _files(out) != before
        checks.append(run_once(exporter("check", source), ROOT))
        for floor in floors:
            floor.sample()
    build = best(builds)
    if cards is None:
        m = re.search(r"(\d+) question, (\d+) cloze", build.stdout)
        cards = int(m.group(1)) + int(m.group(2)) if m else None
    return Case(label, cards, build, best(rebuilds), best(checks), rewrote)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Identity of each file in folder: a replaced or rewritten file changes it."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def case_rows(case: Case, floor: Floor, real: bool, problems: list[str]) -> list[Row]:
    n = f"{case.cards:,}" if case.cards is not None else "?"
    build, rebuild, check = case.build, case.rebuild, case.check
    rows = []
    row = Row(f"{case.label}: build", n, build.wall, build.peak_mb, floor)
    if build.code != 0:
        problems.append(f"{case.label}: build failed (exit {build.code}):\n{build.stderr[-2000:]}")
        row.measured, row.ok = f"exit {build.code}", False
    elif real:
        ratio = build.wall / floor.wall
        row.target, row.measured = f"<= {REAL_BUILD_VS_FLOOR:g}x floor", f"{ratio:.2f}x floor"
        row.ok = ratio <= REAL_BUILD_VS_FLOOR
    elif case.cards is not None and case.cards >= BIG_CARDS:
        row.target = f"<= {BIG_SECONDS:g} s, <= {BIG_MB:g} MB"
        row.measured = f"{build.wall:.2f} s, {build.peak_mb:.0f} MB"
        row.ok = build.wall <= BIG_SECONDS and build.peak_mb <= BIG_MB
    rows.append(row)

    fast = rebuild.code == 0 and not case.rewrote
    if build.code == 0 and not fast:
        problems.append(f"{case.label}: the unchanged rebuild rewrote the outputs (exit {rebuild.code}):\n"
                        f"{rebuild.stdout[-500:]}{rebuild.stderr[-1500:]}")
    ratio = rebuild.wall / floor.wall
    rows.append(Row(f"{case.label}: rebuild unchanged", n, rebuild.wall, rebuild.peak_mb, floor,
                    f"<= {REBUILD_VS_FLOOR:g}x floor", f"{ratio:.2f}x floor" + ("" if fast else " (rewrote outputs)"),
                    fast and ratio <= REBUILD_VS_FLOOR))

    if check.code != 0:
        problems.append(f"{case.label}: check failed (exit {check.code}):\n{check.stderr[-2000:]}")
    elif "warning" in check.stdout + check.stderr:
        problems.append(f"{case.label}: check reports warnings:\n{check.stderr[-1000:]}")
    ratio = check.wall / build.wall
    rows.append(Row(f"{case.label}: check", n, check.wall, check.peak_mb, floor, f"<= {CHECK_VS_BUILD:g}x build",
                    f"{ratio:.2f}x build", check.code == 0 and ratio <= CHECK_VS_BUILD))
    return rows


def watch_row(source: Path, work: Path, edits: int, problems: list[str]) -> Row:
    """`exporter watch` on a copy of source: from each one-word save to the summary line."""
    folder = work / "watch"
    _empty(folder / "out")
    copy = folder / source.name
    shutil.copyfile(source, copy)
    if (source.parent / "images").is_dir():  # the images it shows, beside it as they are beside the source
        shutil.copytree(source.parent / "images", folder / "images", dirs_exist_ok=True)
    latencies, maxrss, problem = watch_latency.save_to_summary(exporter("watch", copy, "-o", folder / "out"),
                                                               copy, edits, ROOT)
    if problem:
        problems.append(problem)
    row = Row("real: watch, save to summary", target=f"median of {edits} < {WATCH_MS:g} ms",
              peak_mb=_maxrss_mb(maxrss) if maxrss is not None else None)
    if latencies:
        ms = sorted(t * 1000 for t in latencies)
        row.measured = f"{median(ms):.0f} ms ({ms[0]:.0f}-{ms[-1]:.0f}, {len(ms)} saves)"
        row.ok = not problem and median(ms) < WATCH_MS
    else:
        row.measured, row.ok = "no summary seen", False
    return row


def print_import_breakdown(source: Path, work: Path, repeat: int) -> None:
    """Where a cold build's and a check's import time goes, per library (-X importtime). Of
    `repeat` runs, the fastest wall time and the least disturbed import report (smallest total)."""
    commands = {"build": lambda out: exporter("build", source, "-o", out), "check": lambda out: exporter("check", source)}
    walls: dict[str, float] = {}
    groups: dict[str, dict[str, float]] = {}
    chains: dict[str, tuple[str, ...] | None] = {}
    for _ in range(repeat):
        for command, args in commands.items():
            out = work / f"out-imports-{command}"
            wall = run_once(args(_empty(out)), ROOT).wall * 1000
            walls[command] = min(walls.get(command, wall), wall)
            imports = imports_of(args(_empty(out)))
            ms = import_groups.group_ms(imports)
            if command not in groups or sum(ms.values()) < sum(groups[command].values()):
                groups[command] = ms
                if command == "build":
                    chains = {name: import_groups.importers_of(imports, name) for name in ("asyncio", "ssl")}
    names = list(commands)
    totals = {c: sum(groups[c].values()) for c in names}
    rows = [["wall, without -X importtime"] + [f"{walls[c]:.0f}" for c in names],
            ["imports (-X importtime)"] + [f"{totals[c]:.0f}" for c in names]]
    order = sorted({g for c in names for g in groups[c]}, key=lambda g: -groups["build"].get(g, 0.0))
    rows += [[f"  {group}"] + [f"{groups[c][group]:.0f}" if group in groups[c] else "-" for c in names] for group in order]
    print(f"\nwhere the time goes (ms), cold build into an empty folder and check, best of {repeat}; each "
          "module's own import time given to the library it was imported for:")
    print_cells(["", *names], rows, right={1, 2})
    for name, chain in chains.items():
        if chain is not None:
            print(f"{name} is first imported through: {' -> '.join(chain) or 'the program itself'}")
    print("-X importtime adds overhead of its own, so its sums run above the imports' true cost; for the split\n"
          "between importing and working, compare the rows \"build's imports alone\" and \"real: build\" below.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="comma-separated card counts of the synthetic sources (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept (default: 3)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the synthetic sources and outputs to DIR and keep them")
    parser.add_argument("--source", type=Path, default=REAL_SOURCE, help="the real source (default: %(default)s)")
    parser.add_argument("--edits", type=int, default=15,
                        help="one-word saves timed in `exporter watch`; 0 to skip (default: %(default)s)")
    parser.add_argument("--imports", action="store_true",
                        help="also show where build's and check's import time goes, and their slowest imports")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any target fails")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    repeat = max(1, args.repeat)

    if args.keep:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="exporter-bench-"))

    # The commands run as an installed tool does: with its bytecode cached after the first run.
    cached = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is None
    print(f"exporter benchmark: Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs; best of {repeat}; work dir {work}")
    if not cached:
        print("PYTHONDONTWRITEBYTECODE is unset for the measured processes, so that they use cached bytecode.")
    rows: list[Row] = []
    problems: list[str] = []
    floor, build_imports, check_imports = Floor(), Floor(BUILD_IMPORTS), Floor(CHECK_IMPORTS)
    try:
        # Warm-up (not measured): bytecode caches, page cache.
        run_once([sys.executable, "-c", FLOOR_CODE], ROOT)
        run_once(exporter("--version"), ROOT)
        for _ in range(repeat):
            floor.sample()

        real: Case | None = None
        heavy: list[str] = []
        watch: Row | None = None
        if args.source.is_file():
            real = bench_source("real", args.source, None, work, repeat, floor, build_imports, check_imports)
            names, _ = imported_modules(exporter("check", args.source))
            heavy = sorted(set(HEAVY) & names)
            if args.edits > 0:
                watch = watch_row(args.source, work, args.edits, problems)
            if args.imports:
                print_import_breakdown(args.source, work, repeat)
                for command in ("build", "check"):
                    extra = ["-o", str(_empty(work / "out-imports"))] if command == "build" else []
                    _, slow = imported_modules(exporter(command, args.source, *extra))
                    print(f"\nslowest imports of `exporter {command}` (cumulative ms, -X importtime, two levels):")
                    for us, name in slow[:12]:
                        print(f"  {us / 1000:8.1f}  {name}")
        else:
            problems.append(f"{args.source}: not found; the real-source cases are skipped")

        cases: list[Case] = []
        for size in sizes:
            path = work / f"synthetic-{size}.yaml"
            write_synthetic(path, size)
            cases.append(bench_source(f"{size:,} cards", path, size, work, repeat, floor))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    rows.append(Row("floor: import click, genanki, ebooklib", "", floor.wall, floor.peak_mb, floor))
    for label, imports in (("build", build_imports), ("check", check_imports)):
        if imports.runs:
            rows.append(Row(f"{label}'s imports alone, no work", "", imports.wall, imports.peak_mb, floor))
    if real:
        rows += case_rows(real, floor, True, problems)
        rows.append(Row("real: check imports", target="no " + "/".join(HEAVY),
                        measured=", ".join(heavy) or "none", ok=not heavy))
    if watch:
        rows.append(watch)
    for case in cases:
        rows += case_rows(case, floor, False, problems)
    built = [c for c in cases if c.build.code == 0]
    for c1, c2 in zip(built, built[1:]):
        limit = GROWTH_SLACK * c2.cards / c1.cards
        ratio = c2.build.wall / c1.build.wall
        net = (c2.build.wall - floor.wall) / max(c1.build.wall - floor.wall, 1e-3)
        rows.append(Row(f"growth: build {c1.cards:,} -> {c2.cards:,} cards", target=f"<= {limit:.3g}x time",
                        measured=f"{ratio:.2f}x (net of floor {net:.1f}x)", ok=ratio <= limit))

    print()
    print_table(rows)
    for problem in problems:
        print(f"\nnote: {problem}")
    failed = [r for r in rows if r.ok is False]
    print(f"\n{len(failed)} of {sum(r.ok is not None for r in rows)} targets failed."
          if failed else f"\nAll {sum(r.ok is not None for r in rows)} targets met.")
    own = _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    smallest = min((r.peak_mb for r in rows if r.peak_mb is not None), default=own)
    if own >= smallest:
        print(f"warning: this process reached {own:.0f} MB, as much as a measured one: the peak MB "
              "figures below that are not the commands' own.")
    print(f"wall s: best of {repeat} runs; peak MB: highest peak RSS of those runs; x floor: wall s / floor wall s.")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
