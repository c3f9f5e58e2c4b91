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


def _declared_closure():
    "Distributions `pip install .` brings: settings.ini's requirements and, transitively, theirs."
    import configparser, shlex
    from importlib.metadata import requires, PackageNotFoundError
    from packaging.requirements import Requirement
    ini = configparser.ConfigParser(delimiters=['=']); ini.read(ROOT/'settings.ini')
    todo = [Requirement(r).name for r in shlex.split(ini['DEFAULT']['requirements'])]
    seen = set()
    while todo:
        name = todo.pop().lower().replace('_', '-')
        if name in seen: continue
        seen.add(name)
        try: reqs = requires(name) or []
        except PackageNotFoundError: continue
        todo += [Requirement(r).name for r in reqs if 'extra ==' not in r]
    return seen


def test_runtime_imports_are_declared():
    "Every third-party module the package imports comes with `pip install .` (not only with the dev extras)."
    import ast
    from importlib.metadata import packages_distributions
    mods = set()
    for f in (ROOT/'pass_nb').glob('*.py'):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import): mods |= {a.name.split('.')[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0: mods.add(node.module.split('.')[0])
    optional = {'tensorboard',  # imported inside try/except, used only when installed
                'onnxruntime', 'onnxscript'}  # the `onnx` extra: `export_onnx` says what to install when they are missing
    third = sorted(m for m in mods - set(sys.stdlib_module_names) - {'pass_nb', '__future__'} - optional)
    dists, closure = packages_distributions(), _declared_closure()
    missing = {m: dists.get(m) for m in third
               if not any(d.lower().replace('_', '-') in closure for d in dists.get(m, []))}
    assert not missing, f'imported but not in settings.ini requirements (or their dependencies): {missing}'


def test_notebooks_hold_their_figures():
    "Every cell that draws when the tests run it carries its figure, so readers see it without running anything."
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'render_figures.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + '\nRun `python tools/render_figures.py` (then nbdev_clean) and commit the notebooks.'
