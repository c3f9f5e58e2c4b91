"""Which latency model predicts the exported models of real allocations: four fits on the same timings.

EfficientNet-Lite0 (ImageNet weights) at 64 px, batch 32 on the CPU. Three sets of pruned copies are timed against the
dense model (`pass_nb.models.latency_ratio`, `--pairs` pairs of single forward passes):
- `uniform`: the copies a latency table was fitted on until f7f836a (`_random_structure`: one random level of kept
  units, every group within 0.7-1.3 times it);
- `independent`: copies whose groups each keep a share of their own (`_random_structure(independent=True)`);
- `method`: the allocations of the one-shot scores `random`, `group_l1` (global) and `uniform_l1` (uniform) at
  `--levels` of the dense MACs: what a table has to predict in use.
Every copy is timed in each of `--rounds` rounds, the order shuffled in each, and its ratio is the mean over the rounds
(a change of the machine's state between minutes lands on all kinds alike). Four fits on the same timings, each on 24
copies, predict the `method` copies:
- before: 24 `uniform` copies, no overhead (the table until f7f836a);
- + overhead: 24 `uniform` copies and the overhead every pruned copy pays;
- + independent copies: 12 `uniform` and 12 `independent` copies, no overhead;
- now: 12 + 12 copies and the overhead (`measure_latency_table` since f7f836a).

    python benchmarks/latency_model.py          # 2 rounds of 48 copies, about 8 minutes here
"""
import argparse, random, statistics, time

import pandas as pd
import torch

from pass_nb.baselines import baseline_scores
from pass_nb.experiment import LATENCY_TOLERANCE
from pass_nb.hypernetwork import Budget
from pass_nb.masks import ChannelGroups, LATENCY_FEATURES, _fit_shares, _random_structure, _removed_fractions, _saved_fraction
from pass_nb.models import create_model, latency_ratio
from common import RESULTS, save

FITS = {'before': ('uniform24', False), '+ overhead': ('uniform24', True),
        '+ independent copies': ('mixed24', False), 'now': ('mixed24', True)}


def copies(groups, a)->list:
    "(kind, index, masks) of every copy to time."
    out, rng = [], torch.Generator().manual_seed(a.seed)
    out += [('uniform', i, _random_structure(groups, rng)) for i in range(24)]
    out += [('independent', i, _random_structure(groups, rng, independent=True)) for i in range(12)]
    for method in ('random', 'group_l1', 'uniform_l1'):
        scores, alloc = baseline_scores(method, groups, a.seed), 'uniform' if method == 'uniform_l1' else 'global'
        out += [(f'method:{method}', level, Budget(target_macs=level, allocation=alloc).final(groups, scores)) for level in a.levels]
    return out


def timed(groups, todo:list, a)->pd.DataFrame:
    "One row per copy: its removed fractions and its latency ratio in each round (the order shuffled per round)."
    ratios = {i: [] for i in range(len(todo))}
    for r in range(a.rounds):
        order = list(range(len(todo))); random.Random(a.seed + r).shuffle(order)
        for n, i in enumerate(order):
            ratios[i].append(latency_ratio(groups.export(todo[i][2]).eval(), groups.model, a.batch, a.size, a.device, pairs=a.pairs)['ratio'])
            print(f'round {r + 1}, {n + 1}/{len(todo)}: {todo[i][0]} {todo[i][1]} {ratios[i][-1]:.3f}', flush=True)
    return pd.DataFrame([dict(kind=k, index=idx, **_removed_fractions(groups, m), ratio=statistics.fmean(ratios[i]),
                              round_ratios=' '.join(f'{v:.4f}' for v in ratios[i])) for i, (k, idx, m) in enumerate(todo)])


def training_set(df, name:str)->pd.DataFrame:
    "The copies a fit uses: 24 uniform ones, or the first 12 uniform and the first 12 independent ones."
    u, ind = df[df.kind == 'uniform'], df[df.kind == 'independent']
    return u if name == 'uniform24' else pd.concat([u.iloc[:12], ind.iloc[:12]])


def evaluate(df)->tuple:
    "Per fit: its terms and its errors on the method copies; and per method copy, each fit's predicted ratio."
    methods, rows, preds = df[df.kind.str.startswith('method')], [], df[df.kind.str.startswith('method')].copy()
    for fit, (train, with_overhead) in FITS.items():
        t = training_set(df, train)
        shares, overhead = _fit_shares(t[list(LATENCY_FEATURES)].to_dict('records'), list(1 - t.ratio), overhead=with_overhead)
        p = 1 - _saved_fraction(methods, shares, overhead)  # every method copy is pruned
        preds[fit] = p
        err, rel = p - methods.ratio, (p / methods.ratio - 1).abs()
        rows.append(dict(fit=fit, train=train, overhead_term=with_overhead, **{f'share_{k}': v for k, v in shares.items()},
                         overhead=overhead, mean_abs_error=float(err.abs().mean()), max_abs_error=float(err.abs().max()),
                         mean_signed_error=float(err.mean()), within_5pct=int((rel <= LATENCY_TOLERANCE).sum()), method_copies=len(methods)))
    return pd.DataFrame(rows), preds


def plot(preds, summary):
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for fit, m in zip(FITS, 'oxs^'):
        e = summary.set_index('fit').mean_abs_error[fit]
        ax.scatter(preds.ratio, preds[fit], marker=m, label=f'{fit} (mean |error| {e:.3f})')
    lo = min(preds.ratio.min(), preds[list(FITS)].min().min()) - 0.02
    ax.plot([lo, 1.05], [lo, 1.05], c='k', ls=':', lw=1)
    ax.set(xlabel='measured latency fraction (mean of the rounds)', ylabel='predicted latency fraction',
           title='allocations of random / Group-L1 / uniform L1 scores')
    ax.legend(fontsize=7)
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='efficientnet_lite0')
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=32)
    p.add_argument('--device', default='cpu'); p.add_argument('--pairs', type=int, default=20)
    p.add_argument('--rounds', type=int, default=2); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--levels', nargs='+', type=float, default=[0.3, 0.5, 0.7, 0.85])
    p.add_argument('--name', default='latency_model')
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    dense = create_model(a.model, pretrained=True).eval()
    groups = ChannelGroups(dense, torch.rand(1, 3, a.size, a.size))
    df = timed(groups, copies(groups, a), a)
    summary, preds = evaluate(df)
    print(summary.round(3).to_string(index=False))
    df.to_csv(RESULTS/f'{a.name}_copies.csv', index=False)
    print(save(a.name, summary, plot(preds, summary), args=vars(a), seconds=round(time.perf_counter() - t0, 1),
               copies_csv=f'{a.name}_copies.csv'))


if __name__ == '__main__':
    main()
