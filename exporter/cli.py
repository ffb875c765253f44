"""Thin Click commands: parse options, call one function, print what happened.

Library code raises domain errors; this module alone turns them into messages and exit
codes (1: the source has problems, 2: a path or option cannot be used). Heavy libraries
are imported inside the commands, so `check` never loads genanki or ebooklib.
"""

from __future__ import annotations

from pathlib import Path

import click

from exporter import __version__, wording
from exporter.entry import DEFAULT_OUTPUT, DEFAULT_SOURCE
from exporter.say import checked, describe, failure, stopped_by_signals

source_argument = click.argument("source", default=DEFAULT_SOURCE, type=click.Path(readable=False, path_type=Path))
def _not_empty(_ctx, _param, value):
    if value is not None and not str(value).strip():
        raise click.BadParameter("is empty; name a directory, e.g. -o output")
    return Path(value) if value is not None else None


output_option = click.option(
    "-o", "--output", "out_dir", default=DEFAULT_OUTPUT, show_default=True, callback=_not_empty,
    help="Directory the deck, the book and the manifest are written to (made if missing).",
)


class Failed(click.ClickException):
    """An error already formatted as located lines; exits with `code`."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click reads it per instance; the class value is a default

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def run(action):
    """Call action(), turning errors into messages and exit codes instead of tracebacks (say.py)."""
    with stopped_by_signals():
        try:
            return action()
        except BaseException as e:  # say.failure raises again what is not ours to word
            if isinstance(e, SystemExit):
                raise
            message, code = failure(e)
            raise Failed(message, code) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="exporter")
def main() -> None:
    """Compile one study source into an Anki deck and an EPUB book that agree.

    \b
    Examples:
      exporter build                      build source/belenko-defection.yaml into output/
      exporter check --strict             validate and lint the source
      exporter watch                      rebuild on every save
    """


@main.command()
@source_argument
@output_option
@click.option("--force", is_flag=True, help="Rebuild even if the outputs are up to date.")
@click.option("--migrate", is_flag=True,
              help="Go ahead when the note types' fields or templates change (learners then import "
                   "with \"Merge note types\", Anki 23.10 or later).")
def build(source: Path, out_dir: Path, force: bool, migrate: bool) -> None:
    """Build the Anki deck (.apkg) and the EPUB book from SOURCE.

    Outputs are replaced only when both are complete; a failed build leaves the previous
    ones exactly as they were. Re-importing the deck updates edited cards in place. A build
    that would change the note types' fields or templates stops (exit 1) unless --migrate.

    \b
    Examples:
      exporter build
      exporter build my-notes.yaml -o dist
    """
    from exporter.build import build as build_outputs

    report = run(lambda: build_outputs(source, out_dir, force=force, migrate=migrate))
    for warning in report.warnings:
        click.echo(warning, err=True)
    click.echo(describe(report))


@main.command()
@source_argument
@click.option("--strict", is_flag=True, help="Treat content warnings as errors.")
def check(source: Path, strict: bool) -> None:
    """Validate SOURCE and lint its content, without writing anything.

    Errors make the source unusable; warnings point at content that will build but is
    probably not what you meant (a card its chapter does not support, an unused fact, ...).

    \b
    Examples:
      exporter check
      exporter check --strict my-notes.yaml
    """
    from exporter.check import check as check_source

    warnings, last, code = checked(source, run(lambda: check_source(source, strict=strict)))
    for warning in warnings:
        click.echo(warning, err=True)
    if code:
        raise Failed(last, code)
    click.echo(last)


@main.command()
@source_argument
@output_option
@click.option("--debounce", default=300, show_default=True, help="Milliseconds to wait for a save to settle.")
def watch(source: Path, out_dir: Path, debounce: int) -> None:
    """Rebuild whenever SOURCE, or an image in its folder, is saved, until Ctrl-C.

    A save with problems prints them and keeps the previous outputs; the next good save
    builds again.

    \b
    Example:
      exporter watch
    """
    from exporter import watching
    from exporter.build import build as build_outputs

    folder = source.absolute().parent
    if not folder.is_dir():
        raise Failed(f"{source}: error: the folder {folder} does not exist; check the path "
                     f"(default: {DEFAULT_SOURCE}, from the project's root folder)", 2)

    def rebuild(first: bool = False) -> None:
        try:
            click.echo(describe(run(lambda: build_outputs(source, out_dir))))
        except Failed as e:
            if e.exit_code == 2 and first and source.exists():
                raise  # a path that cannot be used (the output folder, say): stop, as build does
            e.show()
            if e.exit_code == 130:  # Ctrl-C during a build stops watching, as it does between builds
                raise KeyboardInterrupt from None
            if e.exit_code == 2 and not source.exists():
                click.echo("Waiting for the source to appear.", err=True)

    try:
        for event in watching.saves(source, debounce):
            if event == watching.LIVE:
                rebuild(first=True)
                click.echo(f"Watching {source} for changes (Ctrl-C to stop).")
            elif event == watching.SAVED:
                rebuild()
            else:
                click.echo(f"Waiting for the folder {folder} to appear.", err=True)
    except KeyboardInterrupt:
        pass
    click.echo("Stopped watching.")


@main.command()
@source_argument
@click.option("-o", "--output", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write.  [default: output/<book-id>-preview.html]")
def preview(source: Path, out_file: Path | None) -> None:
    """Write one HTML page showing every card's front and back, grouped by chapter.

    The page uses the deck's own templates and styling, needs no server and loads
    nothing from the network: open it in any browser to review the cards without Anki.

    \b
    Example:
      exporter preview && open output/belenko-defection-preview.html
    """
    from exporter.build import preview as write_preview

    target = run(lambda: write_preview(source, out_file, Path(DEFAULT_OUTPUT)))
    click.echo(f"Wrote {target}: open it in a browser.")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
def new(path: Path) -> None:
    """Write a small, valid starter source at PATH to begin your own.

    It has one chapter with a question card and a cloze card, a glossary term, a fact and
    the schema comment editors use (schema.json is written beside it if missing). It never
    overwrites a file.

    \b
    Example:
      exporter new notes/my-book.yaml && exporter check --strict notes/my-book.yaml
    """
    from exporter.build import new_source

    for written in run(lambda: new_source(path)):
        click.echo(f"Wrote {written}")
    click.echo(f"Next: edit {path}, then `exporter check --strict {path}` and `exporter build {path}`.")


@main.command()
@click.argument("collection", type=click.Path(path_type=Path))
@source_argument
@click.option("-o", "--output", "out_dir", default=DEFAULT_OUTPUT, show_default=True, callback=_not_empty,
              help="Directory holding the deck built from SOURCE (and its manifest).")
def doctor(collection: Path, source: Path, out_dir: Path) -> None:
    """Report what COLLECTION holds of the book that importing the deck will not put right.

    COLLECTION is collection.anki2 from your Anki profile folder (read from a copy; close Anki
    first for its latest changes), or a .colpkg or an .apkg exported with scheduling. It is
    compared with the deck built from SOURCE into the output directory; nothing is changed.
    Reports, by card id: cards edited in Anki (which imports skip), copies of the note types,
    tags that updates remove, cards removed from the source, and cards in other decks.
    Exits 0 when nothing needs doing, 1 when something does.

    \b
    Examples:
      exporter doctor ~/.local/share/Anki2/"User 1"/collection.anki2
      exporter doctor my-collection.colpkg my-notes.yaml -o dist
    """
    from exporter.build import doctor as diagnose

    found = run(lambda: diagnose(collection, source, out_dir))
    click.echo(wording.diagnosis(found, collection))
    if found.needs_action:
        raise SystemExit(1)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the source format.

    Editors use it to validate and complete while you type; the source's first line
    points at a copy (`# yaml-language-server: $schema=schema.json`).

    \b
    Example:
      exporter schema > source/schema.json
    """
    from exporter.model import schema_json

    click.echo(schema_json())


