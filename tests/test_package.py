"""Package-level tests: the installed package, its command, and the project's own consistency rules."""
import re, subprocess, sys
from pathlib import Path

import pass_nb

ROOT = Path(__file__).resolve().parent.parent
TEST_COMMAND = 'pip install -e ".[dev]" && python -m pytest'


def test_readme_gives_the_command_ci_runs():
    "`.ci/run` must run exactly the test command that the README gives."
    readme, ci = (ROOT/'README.md').read_text(), (ROOT/'.ci'/'run').read_text()
    assert TEST_COMMAND in readme
    assert [l for l in ci.splitlines() if l.strip() == TEST_COMMAND], 'the README test command is missing from .ci/run'


def test_readme_is_generated_from_index():
    "README.md is what tools/make_readme.py makes of nbs/index.ipynb."
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_module_has_a_notebook():
    "Each exported module comes from a notebook of the same name (one notebook per module)."
    mods = {p.stem for p in (ROOT/'pass_nb').glob('*.py') if not p.stem.startswith('_')}
    nbs = {re.sub(r'^\d+_', '', p.stem) for p in (ROOT/'nbs').glob('[0-9]*.ipynb')}
    assert mods <= nbs, f'modules without a notebook: {mods - nbs}'


def test_version_matches_settings():
    ini = (ROOT/'settings.ini').read_text()
    assert f'version = {pass_nb.__version__}' in ini


def test_cli_refuses_unknown_command():
    r = subprocess.run([sys.executable, '-m', 'pass_nb.cli', 'frobnicate'], capture_output=True, text=True)
    assert r.returncode == 2 and 'invalid choice' in r.stderr
