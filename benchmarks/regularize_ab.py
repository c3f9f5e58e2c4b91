"""The sparse-training baselines' penalty step (`regularize`, run after every backward pass) for two commits in one
process: this checkout's `pass_nb` against the package of an older commit (`step_ab.import_commit`), taking turns so
that the machine's changing speed hits both alike. For each model and method it checks that both give exactly the same
gradients, and reports the median time of each, the median of the paired ratios, and for scale the backbone's own
forward + backward at the given size and batch (random-init torchvision/timm models, random images).

    python benchmarks/regularize_ab.py --base 9d855c1     # ResNet-18 and EfficientNet-Lite0, 64 px, batch 16
"""
import argparse, importlib, statistics, tempfile, time
from pathlib import Path

import pandas as pd
import torch

import pass_nb.baselines, pass_nb.masks
from pass_nb.models import create_model
from common import save
from step_ab import import_commit


def regularizers(pkg:dict, arch:str, size:int, method:str):
    "One commit's regularizer on its own freshly built (seeded) backbone, and that backbone."
    torch.manual_seed(0)
    bb = create_model(arch, pretrained=False).train()
    groups = pkg['masks'].ChannelGroups(bb, torch.rand(1, 3, size, size))
    return pkg['baselines'].make_regularizer(method, groups), bb


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--base', required=True, help='the older commit to compare with')
    p.add_argument('--models', nargs='+', default=['resnet18', 'efficientnet_lite0'])
    p.add_argument('--methods', nargs='+', default=['slim', 'growreg', 'depgraph'])
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=16)
    p.add_argument('--reps', type=int, default=20); p.add_argument('--name', default='regularize_ab_cpu')
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        import_commit(a.base, Path(d))
        base = {m: importlib.import_module(f'pass_nb_{a.base}.{m}') for m in ('baselines', 'masks')}
        new = {'baselines': pass_nb.baselines, 'masks': pass_nb.masks}
        for arch in a.models:
            x = torch.rand(a.batch, 3, a.size, a.size)
            for method in a.methods:
                (rb, bb_b), (rn, bb_n) = regularizers(base, arch, a.size, method), regularizers(new, arch, a.size, method)
                bb_b(x).sum().backward(); bb_n(x).sum().backward()  # the same seeded weights: the same gradients to start from
                start = {id(bb): {n: q.grad.clone() for n, q in bb.named_parameters()} for bb in (bb_b, bb_n)}
                def step(r, bb):
                    for n, q in bb.named_parameters(): q.grad.copy_(start[id(bb)][n])
                    t0 = time.perf_counter(); r.regularize(bb); return 1e3 * (time.perf_counter() - t0)
                step(rb, bb_b); step(rn, bb_n)  # warm-up, and the gradients to compare
                same = all(torch.equal(qb.grad, qn.grad) for qb, qn in zip(bb_b.parameters(), bb_n.parameters()))
                tb, tn = [], []
                for i in range(a.reps):
                    for r, bb, t in ((rb, bb_b, tb), (rn, bb_n, tn))[::1 if i % 2 else -1]: t.append(step(r, bb))
                def fwd_bwd():
                    t0 = time.perf_counter(); bb_n(x).sum().backward(); return 1e3 * (time.perf_counter() - t0)
                ts = [fwd_bwd() for _ in range(5)]
                rows.append(dict(model=arch, method=method, size=a.size, batch=a.batch, reps=a.reps, base=a.base,
                                 identical_gradients=same, regularize_ms_base=statistics.median(tb),
                                 regularize_ms_new=statistics.median(tn), ratio=statistics.median(n / b for n, b in zip(tn, tb)),
                                 backbone_fwd_bwd_ms=statistics.median(ts)))
                print(rows[-1], flush=True)
    out = pd.DataFrame(rows)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.2))
    out.assign(label=out.model + '\n' + out.method).set_index('label')[['regularize_ms_base', 'regularize_ms_new', 'backbone_fwd_bwd_ms']].plot.bar(ax=ax, rot=0)
    ax.set(ylabel='ms per step', xlabel='', title=f'penalty step, {a.base} vs this checkout, {a.size} px (backbone: batch {a.batch})')
    ax.legend(['regularize, base', 'regularize, new', 'backbone forward + backward'], fontsize=7); ax.tick_params(labelsize=7)
    print(out.round(3).to_string(index=False)); print(save(a.name, out, fig, reps=a.reps))


if __name__ == '__main__': main()
