"""Run every notebook in `nbs/` as its own test, the way `nbdev_test` does.

Cells marked `#| slow` or `#| gpu` are skipped unless named in the environment variable
`PASS_NB_FLAGS` (comma separated), e.g. `PASS_NB_FLAGS=slow,gpu python -m pytest tests/test_notebooks.py`.
"""
import io, os, sys, contextlib
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook

NBS_DIR = Path(__file__).resolve().parent.parent/'nbs'
NOTEBOOKS = sorted(p for p in NBS_DIR.glob('*.ipynb') if not p.name.startswith('_'))
ALL_FLAGS = ['slow', 'gpu']


def _run_flags():
    "Flags the user asked to run through `PASS_NB_FLAGS`."
    return [f.strip() for f in os.environ.get('PASS_NB_FLAGS', '').split(',') if f.strip()]


@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(notebook):
    "Every non-skipped cell of the notebook runs without raising."
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        ok, secs = run_notebook(notebook, skip_flags=ALL_FLAGS, force_flags=_run_flags(), showerr=True)
    assert ok, f'{notebook.name} failed:\n{err.getvalue()[-8000:]}'


def test_there_are_notebooks():
    "Guard: an empty glob would make this file pass vacuously."
    assert len(NOTEBOOKS) >= 1
