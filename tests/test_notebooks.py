"""Run every notebook in `nbs/` as its own test, the way `nbdev_test` does.

Cells marked `#| slow` or `#| gpu` are skipped unless named in the environment variable
`PASS_NB_FLAGS` (comma separated), e.g. `PASS_NB_FLAGS=slow,gpu python -m pytest tests/test_notebooks.py`.
Each notebook's temporary files (its cells' `tempfile.mkdtemp()` run folders, and those of the processes it starts) go
to a folder of its own, removed when the notebook has run, inside one folder for the whole test run, removed at its end
(a library may keep the first temp folder it saw, as torch's compiler does for its cache): a test run leaves nothing
behind in the system's temp folder.
"""
import io, os, sys, contextlib, tempfile
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook

NBS_DIR = Path(__file__).resolve().parent.parent/'nbs'
NOTEBOOKS = sorted(p for p in NBS_DIR.glob('*.ipynb') if not p.name.startswith('_'))
ALL_FLAGS = ['slow', 'gpu']


def _run_flags():
    "Flags the user asked to run through `PASS_NB_FLAGS`."
    return [f.strip() for f in os.environ.get('PASS_NB_FLAGS', '').split(',') if f.strip()]


@pytest.fixture(scope='session')
def temp_root():
    "One folder for every notebook's temporary files, removed when the test run ends."
    with tempfile.TemporaryDirectory(prefix='pass_nb_tests_', ignore_cleanup_errors=True) as d: yield d


@contextlib.contextmanager
def _own_temp_folder(name:str, root:str|None=None):
    "Point `tempfile` (this process) and TMPDIR (the processes it starts) at a new folder in `root`; remove it on the way out."
    old_tempdir, old_env = tempfile.tempdir, os.environ.get('TMPDIR')
    with tempfile.TemporaryDirectory(prefix=f'{name}_', dir=root, ignore_cleanup_errors=True) as d:
        tempfile.tempdir = os.environ['TMPDIR'] = d
        try: yield d
        finally:
            tempfile.tempdir = old_tempdir
            if old_env is None: os.environ.pop('TMPDIR', None)
            else: os.environ['TMPDIR'] = old_env


@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(notebook, temp_root):
    "Every non-skipped cell of the notebook runs without raising."
    err = io.StringIO()
    with contextlib.redirect_stderr(err), _own_temp_folder(notebook.stem, temp_root):
        ok, secs = run_notebook(notebook, skip_flags=ALL_FLAGS, force_flags=_run_flags(), showerr=True)
    assert ok, f'{notebook.name} failed:\n{err.getvalue()[-8000:]}'


def test_there_are_notebooks():
    "Guard: an empty glob would make this file pass vacuously."
    assert len(NOTEBOOKS) >= 1


def test_own_temp_folder_is_removed(temp_root):
    "What a notebook's cells put in the temp folder is gone afterwards, and `tempfile` and TMPDIR are as they were."
    before = (tempfile.gettempdir(), os.environ.get('TMPDIR'))
    with _own_temp_folder('check', temp_root) as d:
        run = Path(tempfile.mkdtemp())/'stage1.pt'
        run.write_text('x')
        assert run.parent.parent == Path(d) and Path(d).parent == Path(temp_root) and os.environ['TMPDIR'] == d
    assert not Path(d).exists() and (tempfile.gettempdir(), os.environ.get('TMPDIR')) == before
