"""The command line itself: help, version, schema, python -m."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


def test_check_does_not_import_the_renderers(tmp_path):
    code = (
        "import sys; from exporter.cli import main\n"
        "try: main(['check', 'tests/data/tiny.yaml'])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('genanki', 'ebooklib', 'PIL')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]"
