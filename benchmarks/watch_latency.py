"""`exporter watch` as an author meets it: from saving the source to the summary line.

`save_to_summary(command, source, edits)` starts `command` (an `exporter watch SOURCE ...`
process; SOURCE is a scratch copy, since it is edited), waits until it says it is watching,
then saves `edits` one-word edits one after another. Each save is made the way most editors
make it, a new file renamed over the old one, so the watcher never reads half a file; each
is timed from the rename to the build summary on the process's standard output. The next
save waits until the process is quiet again, plus a delay that spreads the saves evenly over
the watcher's polling step (see SPREAD).

The edited words are in the prose of block scalars (`text: |`), spread over the whole file,
never inside `${...}`, a link or a key: each edit capitalises one word, which changes the
outputs and keeps the source valid.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

BLOCK = re.compile(r"^( *(?:- )?)[\w-]+: [|>][-+]?\s*$")
WORD = re.compile(r"(?<![\w${}:./#-])[a-z]{6,}(?![\w}:/-])")
SUMMARY = re.compile(r"^\d+ chapters?; \d+ notes?:")
READY = "Watching "
TIMEOUT = 30.0  # seconds for one save to be built, or for the first build
# A watcher that polls sees a save at its next step. An author saves at any moment of the
# step; saving a fixed time after the last summary would always hit the same moment, so the
# saves are spread evenly over this many seconds (a multiple of watch's step).
SPREAD = 0.1


def prose_words(text: str) -> list[tuple[int, int]]:
    """Spans of the lowercase words of six letters or more in the block scalars of text."""
    spans: list[tuple[int, int]] = []
    key_column, offset = None, 0
    for line in text.splitlines(keepends=True):
        if key_column is not None and line.strip() and len(line) - len(line.lstrip(" ")) <= key_column:
            key_column = None
        if key_column is not None:
            spans += [(offset + m.start(), offset + m.end()) for m in WORD.finditer(line)]
        m = BLOCK.match(line)
        if m:
            key_column = len(m.group(1))
        offset += len(line)
    return spans


def _read(stream, name: str, lines: queue.Queue) -> None:
    for line in stream:
        lines.put((time.perf_counter(), name, line.rstrip("\n")))
    lines.put((time.perf_counter(), name, None))


def _wait_for(lines: queue.Queue, wanted, seen: list[str]) -> float:
    """Time at which a stdout line `wanted` accepts arrives; every line goes to `seen`."""
    deadline = time.perf_counter() + TIMEOUT
    while True:
        try:
            at, stream, line = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty:
            raise TimeoutError(f"nothing after {TIMEOUT:g} s") from None
        if line is None:
            raise EOFError(f"the watch process closed its {stream}")
        seen.append(f"{stream}: {line}")
        if stream == "stdout" and wanted(line):
            return at


def _drain(lines: queue.Queue, quiet: float, seen: list[str]) -> None:
    """Wait until the process has printed nothing for `quiet` seconds."""
    while True:
        try:
            _, stream, line = lines.get(timeout=quiet)
            seen.append(f"{stream}: {line}")
        except queue.Empty:
            return


def save_to_summary(command: list[str], source: Path, edits: int, cwd: Path) -> tuple[list[float], int | None, str]:
    """Seconds from each save to its summary; the process's ru_maxrss (None if it could not
    be reaped); and what went wrong, or "" if nothing did."""
    text = source.read_text("utf-8")
    spans = prose_words(text)
    if len(spans) < edits:
        return [], None, f"{source}: only {len(spans)} editable words for {edits} edits"
    chosen = [spans[i * len(spans) // edits] for i in range(edits)]
    lines: queue.Queue = queue.Queue()
    seen: list[str] = []
    latencies: list[float] = []
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace")
    for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
        threading.Thread(target=_read, args=(stream, name, lines), daemon=True).start()
    problem = ""
    try:
        _wait_for(lines, lambda line: line.startswith(READY), seen)
        _drain(lines, 0.3, seen)
        saving = source.with_name(source.name + ".saving")
        for n, (start, end) in enumerate(chosen):
            text = text[:start] + text[start].upper() + text[start + 1:end] + text[end:]
            saving.write_text(text, "utf-8")
            time.sleep((n + 0.5) / edits * SPREAD)
            saved = time.perf_counter()
            os.replace(saving, source)
            latencies.append(_wait_for(lines, SUMMARY.match, seen) - saved)
            _drain(lines, 0.3, seen)
    except (TimeoutError, EOFError) as e:
        problem = f"watch: {e} (after {len(latencies)} of {edits} saves); its last lines:\n" + "\n".join(seen[-15:])
    finally:
        peak = _stop(proc)
    return latencies, peak, problem


def _stop(proc: subprocess.Popen) -> int | None:
    """Ctrl-C the process, as an author stops it; its ru_maxrss once it has exited."""
    proc.send_signal(signal.SIGINT)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = 0  # reaped here: keep Popen from waiting for it
            return usage.ru_maxrss
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    return None
