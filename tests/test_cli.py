"""The command line itself: help, version, schema, python -m."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT
from exporter import __version__
from exporter.cli import main


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"Usage: main {command}" in result.output
    assert "Example" in result.output


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.output == f"exporter, version {__version__}\n"


def test_unknown_option_is_a_usage_error(runner, tiny):
    result = runner.invoke(main, ["build", "--colour", str(tiny)])
    assert result.exit_code == 2
    assert "No such option '--colour'" in result.stderr


def test_schema_is_json_schema_of_the_format(runner):
    result = runner.invoke(main, ["schema"])
    schema = json.loads(result.output)
    assert schema["$schema"].endswith("/2020-12/schema")
    assert set(schema["required"]) == {"book", "chapters"}
    card = schema["$defs"]["QuestionCard"]
    assert card["additionalProperties"] is False
    assert "Stable id" in card["properties"]["id"]["description"]


def test_committed_schema_is_current(runner):
    """source/schema.json is what editors read: it must match the model."""
    committed = (ROOT / "source" / "schema.json").read_text("utf-8")
    assert committed == runner.invoke(main, ["schema"]).output


def test_sources_point_editors_at_the_schema():
    first = (ROOT / "source" / "belenko-defection.yaml").read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema.json"


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "exporter", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert result.stdout.strip() == f"exporter, version {__version__}"


@pytest.mark.parametrize(("source", "imported"), [
    ("tests/data/tiny.yaml", []),  # a valid source is read without pydantic
    ("source/belenko-defection.yaml", []),  # images included
    ("tests/broken/bad-id.yaml", ["pydantic"]),  # which names every problem of a broken one
])
def test_check_imports_no_renderer_and_pydantic_only_for_a_broken_source(source, imported):
    code = (
        "import sys; from exporter.cli import main\n"
        f"try: main(['check', {source!r}])\n"
        "except SystemExit: pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'genanki', 'ebooklib', 'PIL', 'markdown_it', 'pydantic'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == str(imported)


def test_check_imports_nothing_that_only_a_build_needs():
    """`check` is meant to cost half a build or less: no manifest, hashing or JSON, no
    dataclasses, and difflib only to suggest a word in a broken source."""
    code = (
        "import sys; sys.argv = ['exporter', 'check', 'source/belenko-defection.yaml']\n"
        "from exporter.entry import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print(sorted(set(sys.modules) & {'exporter.build', 'exporter.manifest', 'exporter.uptodate', 'hashlib',"
        " 'json', 'dataclasses', 'difflib', 'threading'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_every_command_is_in_the_readme_with_its_exit_statuses():
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme[readme.index("## Command reference"):readme.index("## Benchmark")]
    rows = {line.split("`")[1].split()[1]: line.rsplit("|", 2)[1] for line in table.splitlines()
            if line.startswith("| `exporter ")}
    assert set(main.commands) <= set(rows), "a command is missing from the README's command table"
    explained = " ".join(table[table.index("Exit status:"):].replace(";", " ").replace(",", " ").split())
    for command in main.commands:
        for status in rows[command].replace(",", " ").split():
            assert f" {status} " in explained, (command, status)


def test_only_the_pipelines_import_the_loader():
    """Renderers and the content step see only validated, rendered data: never the YAML loader."""
    import ast

    importers = set()
    for path in (ROOT / "exporter").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            module = getattr(node, "module", None) or ""
            if module == "exporter.load" or "exporter.load" in names or (module == "exporter" and "load" in names):
                importers.add(path.stem)
    assert importers == {"build", "check"}


def test_genanki_writes_the_collection_schema_the_deck_writer_patches():
    """anki.py rewrites notes, cards and note types inside genanki's SQLite: a genanki release
    that changes that schema must fail here, not in a learner's collection."""
    import hashlib

    from genanki import apkg_schema

    digest = hashlib.sha256(apkg_schema.APKG_SCHEMA.encode()).hexdigest()
    expected = "a8e071f2f15c0cfbeb75fcdc68571ed2686b089186862bcb26acdb02596fee91"
    assert digest == expected, "genanki's collection schema changed: check anki._collection"


def test_new_writes_a_starter_that_checks_strictly_and_builds(runner, tmp_path):
    path = tmp_path / "notes" / "my-book.yaml"
    path.parent.mkdir()
    result = runner.invoke(main, ["new", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [f"Wrote {path}", f"Wrote {path.parent / 'schema.json'}"]
    assert path.read_text("utf-8").startswith("# yaml-language-server: $schema=schema.json\n")
    assert (path.parent / "schema.json").read_text("utf-8") == runner.invoke(main, ["schema"]).output
    checked = runner.invoke(main, ["check", "--strict", str(path)])
    assert checked.exit_code == 0 and checked.stderr == "", checked.output
    built = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    assert "1 chapter; 3 notes: 1 question, 1 cloze, 1 glossary" in built.stdout


def test_new_never_overwrites(runner, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("my work\n")
    result = runner.invoke(main, ["new", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"{path}: error: already exists; the starter source never overwrites a file; choose another path\n"
    assert path.read_text() == "my work\n"


# The plainest build and check are run by the entry point without click (entry.py); they must
# say exactly what the CLI says.
PLAIN = {
    "check": ["check", "tests/data/tiny.yaml"],
    "check --strict, warned": ["check", "--strict", "{warned}"],
    "check, warned": ["check", "{warned}"],
    "check, broken": ["check", "tests/broken/bad-id.yaml"],
    "check, missing": ["check", "no-such.yaml"],
    "build": ["build", "tests/data/tiny.yaml", "-o", "{out}"],
    "build --output=": ["build", "--output={out}", "tests/data/tiny.yaml"],
    "build, broken": ["build", "tests/broken/bad-id.yaml", "-o", "{out}"],
    "build into a file": ["build", "tests/data/tiny.yaml", "-o", "README.md"],
}


@pytest.mark.parametrize("case", list(PLAIN))
def test_the_plain_commands_say_what_the_cli_says(case, tmp_path):
    warned = tmp_path / "warned.yaml"
    warned.write_text((ROOT / "tests" / "data" / "tiny.yaml").read_text("utf-8").replace(
        "facts:\n", "facts:\n  spare: unused\n", 1), "utf-8")
    said = []
    for way in ("entry", "cli"):
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        args = [a.format(out=out, warned=warned) for a in PLAIN[case]]
        env = {**os.environ, "EXPORTER_STATE_DIR": str(tmp_path / f"state-{way}")}
        if way == "entry":
            result = subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                                    cwd=ROOT, env=env)
            said.append((result.returncode, result.stdout, result.stderr))
        else:
            invoked = CliRunner().invoke(main, args, env=env)
            said.append((invoked.exit_code, invoked.stdout, invoked.stderr))
    assert said[0] == said[1]
    assert "Traceback" not in said[0][2]
