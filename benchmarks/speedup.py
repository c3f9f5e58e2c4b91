"""Realised speed-up: latency of the exported (physically pruned) model against the dense one at each MACs level,
as a ratio measured in one run, next to the MACs speed-up (dense MACs / pruned MACs). Masks come from global
allocation of random scores (the structure PASS and the baselines produce: fewer channels per group); the latency of a
plain `nn.Module` does not depend on its weights. Target: latency speed-up >= 0.8 x MACs speed-up on GPU, batch 128.

    python benchmarks/speedup.py                                     # CPU, batch 32, 224 px
    python benchmarks/speedup.py --round-to 8                        # the same, channel counts in multiples of 8
    python benchmarks/speedup.py --device cuda --batch 128           # GPU
"""
import argparse

import pandas as pd
import torch

from pass_nb.masks import ChannelGroups
from pass_nb.models import create_model, measure_latency, count_macs_params
from common import save


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18', 'efficientnet_lite0'])
    p.add_argument('--levels', nargs='+', type=float, default=[0.9, 0.7, 0.5, 0.3])
    p.add_argument('--size', type=int, default=224); p.add_argument('--batch', type=int, default=32)
    p.add_argument('--device', default='cpu'); p.add_argument('--repeats', type=int, default=10)
    p.add_argument('--round-to', type=int, default=None, help='keep a multiple of this many channels per group')
    a = p.parse_args(argv)
    rows = []
    for name in a.models:
        dense = create_model(name, pretrained=False).eval()
        groups = ChannelGroups(dense, torch.rand(1, 3, a.size, a.size))
        g = torch.Generator().manual_seed(0)
        scores = [torch.rand(n, generator=g) for n in groups.n_units]
        for level in a.levels:
            small = groups.export(groups.allocate(scores, target_macs=level, round_to=a.round_to)).eval()
            # dense and pruned alternate, twice, so that a change in machine load hits both; the lower median is kept
            lat = {'dense': [], 'pruned': []}
            for _ in range(2):
                for k, m in (('dense', dense), ('pruned', small)):
                    lat[k].append(measure_latency(m, a.batch, a.size, a.device, repeats=a.repeats)['median_ms'])
            macs_d, _ = count_macs_params(dense, a.size); macs_p, params_p = count_macs_params(small, a.size)
            rows.append(dict(model=name, device=a.device, batch=a.batch, size=a.size, target_macs=level, round_to=a.round_to,
                             macs_kept=macs_p / macs_d, macs_speedup=macs_d / macs_p, dense_ms=min(lat['dense']),
                             pruned_ms=min(lat['pruned'])))
            rows[-1]['latency_speedup'] = rows[-1]['dense_ms'] / rows[-1]['pruned_ms']
            rows[-1]['efficiency'] = rows[-1]['latency_speedup'] / rows[-1]['macs_speedup']
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name, d in df.groupby('model', sort=False):
        ax.plot(d.macs_speedup, d.latency_speedup, marker='o', label=name)
    top = df.macs_speedup.max() * 1.05
    ax.plot([1, top], [1, top], c='grey', ls=':', label='latency = MACs speed-up')
    ax.plot([1, top], [0.8, 0.8 * top], c='grey', ls='--', label='target 0.8 x')
    ax.set(xlabel='MACs speed-up', ylabel='measured latency speed-up',
           title=f'{a.device}, batch {a.batch}, {a.size} px' + (f', round_to {a.round_to}' if a.round_to else ''))
    ax.legend(fontsize=8)
    suffix = f'_round{a.round_to}' if a.round_to else ''
    print(df.to_string(index=False)); print(save(f'speedup_{a.device}{suffix}', df, fig, repeats=a.repeats))


if __name__ == '__main__': main()
