"""Put the notebooks' figures into the notebooks, so that a reader sees them on GitHub or in JupyterLab without running.

Each notebook is run the way the tests run it (cells marked `#| slow` or `#| gpu` are skipped unless `PASS_NB_FLAGS`
names them), and every code cell keeps the images it drew and nothing else: text, tables, warnings and progress bars
are dropped, so the committed notebooks stay small and their diffs stay readable. `nbdev_clean` keeps outputs
(`clear_all = False` in settings.ini), so the CI's sync check leaves them alone.

    python tools/render_figures.py                         # every notebook in nbs/
    python tools/render_figures.py nbs/05_masks.ipynb      # only these
    python tools/render_figures.py --check                 # list the cells that draw but hold no figure (exit 1)
"""
import argparse, ast, json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE_TYPES = ('image/png', 'image/svg+xml', 'image/jpeg')
DRAWS = ('plt.', 'plot_', '.plot(', 'Image(')  # a cell with one of these, run by the tests, shows a figure


def _compact_png(b64) -> str:
    "A PNG (base64) re-encoded with an adaptive 256-colour palette: plots look the same at a third of the size."
    import base64, io
    from PIL import Image
    raw = base64.b64decode(''.join(b64) if isinstance(b64, list) else b64)
    im = Image.open(io.BytesIO(raw))
    if im.mode == 'P': return base64.b64encode(raw).decode() + '\n'  # already compact
    buf = io.BytesIO()
    im.convert('RGB').quantize(256, method=Image.Quantize.MEDIANCUT).save(buf, format='PNG', optimize=True)
    return base64.b64encode(buf.getvalue()).decode() + '\n'


def _images(outputs) -> list:
    "The outputs of one cell that carry an image, with only their image data (execution counts and text dropped)."
    keep = []
    for o in outputs:
        data = {k: v for k, v in (o.get('data') or {}).items() if k in IMAGE_TYPES}
        if 'image/png' in data: data['image/png'] = _compact_png(data['image/png'])
        if data: keep.append({'data': data, 'metadata': {}, 'output_type': 'display_data'})
    return keep


def _draws(src: str) -> bool:
    "Does the cell draw when run: a drawing call outside any `def` or `class` (a function that draws when called does not)."
    code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('#|', '%', '!')))
    try: tree = ast.parse(code)
    except SyntaxError: return any(k in code for k in DRAWS)
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return any(k in (ast.get_source_segment(code, n) or '') for n in top for k in DRAWS)


def missing_figures(path: Path) -> list:
    "Cells of notebook `path` that draw when the tests run them but hold no image output: (index, first line)."
    out = []
    for i, c in enumerate(json.loads(path.read_text())['cells']):
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or src.startswith(('#| export', '#| exports', '#| slow', '#| gpu')): continue
        has_image = any(k in (o.get('data') or {}) for o in c.get('outputs', []) for k in IMAGE_TYPES)
        if _draws(src) and not has_image: out.append((i, src.splitlines()[0]))
    return out


def render(path: Path, flags: list) -> int:
    "Run notebook `path` as the tests do and write it back with only its image outputs; the number of figures."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    from nbdev.processors import FrontmatterProc
    nb = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    skip = {'slow', 'gpu'} - set(flags)
    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        d = getattr(cell, 'directives_', {}) or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(skip & d.keys())
    shell = CaptureShell(path, mpl_format='png')  # 1x images: a notebook stays small, and figures show at their size
    os.environ['IN_TEST'] = '1'
    with working_directory(path.parent):
        shell.run_all(nb, exc_stop=True, preproc=no_eval)
    raw = json.loads(path.read_text())
    figures = {c.idx_: _images(c.get('outputs', [])) for c in nb.cells if c.cell_type == 'code'}
    n = 0
    for i, cell in enumerate(raw['cells']):
        if cell['cell_type'] != 'code': continue
        cell['outputs'] = figures.get(i, [])
        n += len(cell['outputs'])
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='*', type=Path, help='notebooks to render (default: every one in nbs/)')
    p.add_argument('--check', action='store_true', help='only list the drawing cells that hold no figure')
    a = p.parse_args()
    paths = a.notebooks or sorted((ROOT/'nbs').glob('*.ipynb'))
    if a.check:
        missing = [(path.name, i, line) for path in paths for i, line in missing_figures(path)]
        for name, i, line in missing: print(f'{name} cell {i} draws but holds no figure: {line}')
        return 1 if missing else 0
    flags = [f.strip() for f in os.environ.get('PASS_NB_FLAGS', '').split(',') if f.strip()]
    for path in paths:
        print(f'{path.name}: {render(path.resolve(), flags)} figure(s)', flush=True)


if __name__ == '__main__':
    sys.exit(main())
