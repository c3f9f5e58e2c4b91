"""Write README.md from nbs/index.ipynb (nbdev_readme needs quarto, which we do not require).

Markdown cells are copied as they are; code cells are shown as python blocks with their text
outputs; cells marked `#| hide` are left out. `--check` exits 1 when README.md is stale.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n'


def _src(cell): return ''.join(cell['source'])


def _outputs(cell):
    "Plain-text outputs of a code cell."
    out = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': out.append(''.join(o['text']))
        elif 'text/plain' in o.get('data', {}): out.append(''.join(o['data']['text/plain']))
    return ''.join(out).rstrip()


def render(nb_path=ROOT/'nbs'/'index.ipynb'):
    "The README text for the notebook at `nb_path`."
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = _src(cell).strip()
        if not src: continue
        if cell['cell_type'] == 'markdown': parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = src.splitlines()
            if any(l.strip().replace(' ', '') in ('#|hide', '#|exporthide') for l in lines): continue
            code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|'))
            parts.append(f'```python\n{code}\n```')
            out = _outputs(cell)
            if out: parts.append(f'```\n{out}\n```')
    return HEADER + '\n\n'.join(parts) + '\n'


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text, readme = render(), ROOT/'README.md'
    if '--check' in argv:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            print('README.md is stale: run `python tools/make_readme.py` and commit it.', file=sys.stderr)
            return 1
        return 0
    readme.write_text(text, encoding='utf-8')
    return 0


if __name__ == '__main__': sys.exit(main())
