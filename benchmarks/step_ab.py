"""The pieces of a stage-1 step that a change of pass_nb's code can move, timed for two commits in one process:
this checkout's `pass_nb` against the package of an older commit (extracted with `git archive` and imported under
another name), pieces and commits taking turns, so that the machine's changing speed hits both alike. Pieces, per
model (random-init torchvision ResNet, 50 % channel sparsity, frozen backbone in training mode, batch 16):

- `hypernetwork`: PASS's hypernetwork forward + backward + its AdamW step, the prompt changed a little every time
  (as in training, so the masks, the provisional masks and the memoised statistics change as they do there);
- `masks_fixed` / `masks_grad`: the backbone's forward + backward under fixed masks / masks that carry gradients.

    python benchmarks/step_ab.py --base 6016363                 # 64 px, ResNet-18/34/50
    python benchmarks/step_ab.py --base f42e02c --pieces hypernetwork --reps 300   # the hypernetwork's step alone
"""
import argparse, importlib, statistics, subprocess, sys, tarfile, tempfile, time
from io import BytesIO
from pathlib import Path

import pandas as pd
import torch, torchvision

import pass_nb.hypernetwork, pass_nb.masks, pass_nb.prompts
from common import save

ROOT = Path(__file__).resolve().parent.parent


def import_commit(rev:str, into:Path):
    "`pass_nb` as of commit `rev`, imported as `pass_nb_<rev>` (its imports inside the package are relative)."
    name = f'pass_nb_{rev}'
    data = subprocess.run(['git', 'archive', rev, 'pass_nb'], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as t: t.extractall(into, filter='data')
    (into/'pass_nb').rename(into/name)
    sys.path.insert(0, str(into))
    return {m: importlib.import_module(f'{name}.{m}') for m in ('hypernetwork', 'masks', 'prompts')}


def pieces(pkg:dict, arch:str, size:int, batch:int)->dict:
    "The timed pieces of one commit's code on one model (seeded: both commits start from the same weights)."
    torch.manual_seed(0)
    bb = getattr(torchvision.models, arch)()
    groups = pkg['masks'].ChannelGroups(bb, torch.rand(1, 3, size, size))
    hnet = pkg['hypernetwork'].HyperNetwork(groups, pkg['hypernetwork'].Budget(sparsity=0.5), size).train()
    prompt = pkg['prompts'].PadPrompt(size, pad=max(1, size // 14))
    opt = torch.optim.AdamW(hnet.parameters(), 1e-3)  # the trainer's choice of kernel is timed with the trainer, not here
    bb.train().requires_grad_(False)
    x = torch.rand(batch, 3, size, size, requires_grad=True)
    def hypernetwork():
        with torch.no_grad():
            for p in prompt.parameters(): p.add_(torch.randn_like(p) * 0.01)
        sum((m * torch.randn_like(m)).sum() for m in hnet(prompt)).backward(); opt.step(); opt.zero_grad()
    masks = [m.detach() for m in hnet(prompt)]
    def backbone(grad):
        with groups.apply_masks([m.clone().requires_grad_(grad) for m in masks]): bb(x).sum().backward()
    return {'hypernetwork': hypernetwork, 'masks_fixed': lambda: backbone(False), 'masks_grad': lambda: backbone(True)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--base', required=True, help='the older commit to compare with')
    p.add_argument('--models', nargs='+', default=['resnet18', 'resnet34', 'resnet50'])
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=16)
    p.add_argument('--reps', type=int, default=20); p.add_argument('--name', default='step_ab_cpu')
    p.add_argument('--pieces', nargs='+', default=['hypernetwork', 'masks_fixed', 'masks_grad'], help='which pieces to time')
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        base = import_commit(a.base, Path(d))
        new = {'hypernetwork': pass_nb.hypernetwork, 'masks': pass_nb.masks, 'prompts': pass_nb.prompts}
        for arch in a.models:
            runs = {v: {k: f for k, f in pieces(pkg, arch, a.size, a.batch).items() if k in a.pieces}
                    for v, pkg in (('new', new), ('base', base))}
            for r in runs.values():
                for f in r.values(): f()  # warm-up
            ts = {(v, k): [] for v in runs for k in runs[v]}
            for rep in range(a.reps):
                for k in runs['new']:
                    for v in (runs if rep % 2 else list(runs)[::-1]):  # each commit goes first in every other rep
                        t0 = time.perf_counter(); runs[v][k](); ts[(v, k)].append(1e3 * (time.perf_counter() - t0))
            med = {key: statistics.median(v) for key, v in ts.items()}
            row = dict(model=arch, size=a.size, batch=a.batch, reps=a.reps, base=a.base)
            for k in runs['new']:
                row[f'{k}_ms_base'], row[f'{k}_ms_new'] = med[('base', k)], med[('new', k)]
                row[f'{k}_ratio'] = statistics.median(n / b for n, b in zip(ts[('new', k)], ts[('base', k)]))
            if {'masks_grad', 'masks_fixed'} <= set(a.pieces):
                for v in runs: row[f'mask_grad_ms_{v}'] = med[(v, 'masks_grad')] - med[(v, 'masks_fixed')]
            rows.append(row); print(row, flush=True)
    out = pd.DataFrame(rows)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.2))
    cols = {'hypernetwork_ms_base': 'hypernetwork fwd+bwd+step, base', 'hypernetwork_ms_new': '... new',
            'mask_grad_ms_base': "masks' gradients (grad - fixed), base", 'mask_grad_ms_new': '... new'}
    cols = {k: v for k, v in cols.items() if k in out}
    out.set_index('model')[list(cols)].plot.bar(ax=ax, rot=0)
    ax.set(ylabel='ms per step', title=f'stage-1 pieces, {a.base} vs this checkout, {a.size} px, batch {a.batch}')
    ax.legend(list(cols.values()), fontsize=7)
    print(out.round(3).to_string(index=False)); print(save(a.name, out, fig, reps=a.reps))


if __name__ == '__main__': main()
