"""Where a process's import time goes, from the report of `python -X importtime`.

Each module's own time is given to a group: the module's own if it is listed in GROUPS, or
else that of the nearest module above it in the import tree that is listed (so the standard
library modules genanki imports first count for genanki). What no listed module imported is
interpreter start-up and the standard library. Only the first import of a module costs
anything, so a module shared by two libraries counts for whichever imported it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OTHER = "start-up, and stdlib imported by no library"
GENANKI_ASYNCIO = "cached-property, asyncio, ssl"
# Module or package → group. The longest listed prefix of a module's name wins.
GROUPS = {
    "pydantic": "pydantic", "pydantic_core": "pydantic", "annotated_types": "pydantic",
    "exporter.model": "pydantic model classes (exporter.model)",
    "msgspec": "msgspec and the document model", "exporter.document": "msgspec and the document model",
    "exporter": "own modules (and the stdlib they import)",
    "click": "click",
    "genanki": "genanki (without cached-property)",
    "cached_property": GENANKI_ASYNCIO, "asyncio": GENANKI_ASYNCIO, "ssl": GENANKI_ASYNCIO,
    "markdown_it": "markdown-it", "mdurl": "markdown-it",
    "PIL": "Pillow",
    "yaml": "PyYAML",
    "ebooklib": "ebooklib (and lxml)", "lxml": "ebooklib (and lxml)",
    "watchfiles": "watchfiles",
}
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Import:
    own_us: int
    cumulative_us: int
    depth: int  # 0: imported by the program itself
    name: str


def parse(report: str) -> list[Import]:
    """The imports of a -X importtime report (its stderr), in the order it prints them:
    each module after the modules it imported."""
    return [Import(int(m.group(1)), int(m.group(2)), (len(m.group(3)) - 1) // 2, m.group(4))
            for m in map(LINE.match, report.splitlines()) if m]


def group_of(name: str) -> str | None:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        group = GROUPS.get(".".join(parts[:n]))
        if group:
            return group
    return None


def with_importers(imports: list[Import]):
    """Each import with the chain of modules that imported it, outermost first."""
    stack: list[str] = []
    for imp in reversed(imports):  # reversed, the report is parents first
        del stack[imp.depth:]
        yield imp, tuple(stack)
        stack.append(imp.name)


def group_ms(imports: list[Import]) -> dict[str, float]:
    """Milliseconds of import time per group."""
    totals: dict[str, float] = {}
    for imp, importers in with_importers(imports):
        group = next((g for m in reversed((*importers, imp.name)) if (g := group_of(m))), OTHER)
        totals[group] = totals.get(group, 0.0) + imp.own_us / 1000
    return totals


def importers_of(imports: list[Import], name: str) -> tuple[str, ...] | None:
    """The chain of modules through which `name` was first imported, or None if it was not."""
    return next((importers for imp, importers in with_importers(imports) if imp.name == name), None)
