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


def _internal_imports(path:Path)->tuple:
    "({module: line} of the `pass_nb` modules that `path` imports at its top level, the same of those imported inside a def or class)."
    import ast
    tree, top, nested = ast.parse(path.read_text()), {}, {}
    def names(node):
        if isinstance(node, ast.Import):
            return [a.name.split('.')[1] for a in node.names if a.name.startswith('pass_nb.')]
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 0 and mod != 'pass_nb' and not mod.startswith('pass_nb.'): return []
            mod = mod.removeprefix('pass_nb').lstrip('.') if node.level == 0 else mod
            return [mod.split('.')[0]] if mod else [a.name for a in node.names]  # `from . import x`: the module x
        return []
    def walk(node, inside):
        for child in ast.iter_child_nodes(node):
            for m in names(child): (nested if inside else top).setdefault(m, child.lineno)
            walk(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)))
    walk(tree, False)
    return top, nested

# The package in layers: a module imports only from its own layer or an earlier one.
LAYERS = [('data', 'models', 'prompts', 'label_mapping'), ('masks',), ('hypernetwork', 'training', 'baselines', 'vpns'),
          ('transfer',), ('experiment',), ('studies',), ('cli',)]


def test_modules_import_in_layers():
    "No import cycle, no `pass_nb` import inside a function, and no module imports one of a later layer."
    import graphlib
    layer = {m: i for i, ms in enumerate(LAYERS) for m in ms}
    mods = sorted(p.stem for p in (ROOT/'pass_nb').glob('*.py') if not p.stem.startswith('_'))
    assert not set(mods) - set(layer), f'place these modules in a layer of LAYERS: {sorted(set(mods) - set(layer))}'
    graph, problems = {}, []
    for m in mods:
        top, nested = _internal_imports(ROOT/'pass_nb'/f'{m}.py')
        graph[m] = set(top) | set(nested)
        problems += [f'pass_nb/{m}.py:{line} imports pass_nb.{d} inside a function (import it at the top)'
                     for d, line in nested.items()]
        problems += [f'pass_nb/{m}.py:{line} imports pass_nb.{d}, a later layer' for d, line in {**nested, **top}.items()
                     if d in layer and layer[d] > layer[m]]
    try: graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e: problems.append(f'import cycle: {" -> ".join(e.args[1])}')
    assert not problems, '\n'.join(problems)
