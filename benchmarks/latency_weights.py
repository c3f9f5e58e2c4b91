"""Do a pruned model's weights move its latency? The same structure with the run's fine-tuned weights and with the
weights the run started from, each timed against the run's starting backbone.

A latency-target run calibrates on its own masks before stage 2, on the backbone as the run started; the model it
exports carries the weights stage 2 fine-tuned. If the values of the weights move the latency, the exported model lands
off its target by that much. For every latency-target run of a sweep (`latency_budget.py --runs` reads the same CSV),
this exports the run's masks from its starting backbone and times both that copy and the run's `pruned_model.pt`
against the starting backbone (`latency_ratio`, each reading in a fresh process, every process kept), the two in turn,
`--rounds` times over all runs.

`--layers` asks where the difference lies instead: it times each kind of layer of both copies with forward hooks
(`speedup.py`'s breakdown), in PyTorch's default layout and in channels-last, the two copies in turn, in this process.

    python benchmarks/latency_weights.py --runs benchmarks/results/latency_methods_cpu_resnet18/results.csv --name latency_weights_resnet18
    python benchmarks/latency_weights.py --runs benchmarks/results/latency_methods_cpu_resnet18/results.csv --layers --name latency_weights_resnet18
"""
import argparse, json, time
from pathlib import Path

import pandas as pd
import torch
from tqdm.auto import tqdm

from pass_nb.experiment import starting_backbone
from pass_nb.masks import ChannelGroups, load_pruned
from pass_nb.models import create_model, latency_ratio
from common import save
from speedup import layer_times


def pairs(runs:str)->list:
    "(method, target, batch, size, fine-tuned copy, starting-weights copy, starting backbone) for each latency-target run."
    root, out, built = Path(__file__).resolve().parent.parent, [], {}  # the sweeps run from the repository root
    res = pd.read_csv(runs)
    for r in res[res.target_latency.notna()].itertuples():
        d = root/r.run_dir
        cfg, lb = json.loads((d/'config.json').read_text()), json.loads((d/'summary.json').read_text())['latency_budget']
        key = (cfg['model'], cfg['weights'], cfg['seed'], cfg['size'], cfg.get('mask_at', 'all'))
        if key not in built:  # one starting backbone and its groups for all runs that share them (`export` copies it)
            start = starting_backbone(*key[:3])
            built[key] = start, ChannelGroups(start, torch.rand(1, 3, key[3], key[3]), mask_at=key[4])
        start, groups = built[key]
        tuned = load_pruned(d/'pruned_model.pt', create_model(cfg['model'], pretrained=False)).eval()
        started = groups.export([m.float() for m in torch.load(d/'masks.pt')['masks']]).eval()
        if [p.shape for p in tuned.parameters()] != [p.shape for p in started.parameters()]:
            raise SystemExit(f'{d}: the masks do not give the structure of pruned_model.pt.')
        out.append((r.method, lb['target'], lb['batch'], cfg['size'], tuned, started, start))
    return out


def layer_rows(runs:list, rounds:int)->list:
    "Per run, layout and kind of layer: the fine-tuned and the starting copy's forward time (ms), summed over `rounds`."
    rows = []
    for method, target, batch, size, tuned, started, _ in tqdm(runs, desc='runs'):
        a = argparse.Namespace(device='cpu', batch=batch, size=size)
        for layout in ('contiguous', 'channels_last'):
            t = {'fine_tuned': 0., 'starting': 0.}
            for _ in range(rounds):
                for copy, m in (('fine_tuned', tuned), ('starting', started)):
                    t[copy] = t[copy] + layer_times(m, a, passes=10, channels_last=layout == 'channels_last').ms / rounds
            rows += [dict(method=method, target=target, layout=layout, kind=k, fine_tuned_ms=t['fine_tuned'][k],
                          starting_ms=t['starting'][k]) for k in t['starting'].index]
    return rows


def plot_layers(df):
    "Fine-tuned minus starting copy's time per kind of layer, one dot per run, a panel per layout."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    df = df.assign(diff_ms=df.fine_tuned_ms - df.starting_ms)
    kinds = list(df[df.layout == 'contiguous'].groupby('kind').starting_ms.mean().sort_values(ascending=False).index)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, (layout, d) in zip(axes, df.groupby('layout', sort=False)):
        for i, k in enumerate(kinds):
            ax.scatter([i] * (d.kind == k).sum(), d[d.kind == k].diff_ms, s=12)
        ax.axhline(0, c='k', lw=.6); ax.set_xticks(range(len(kinds)), kinds, rotation=45, ha='right')
        ax.set(title=f'{layout} layout', ylabel='fine-tuned − starting copy (ms per pass)')
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', required=True, help="a sweep's results.csv with latency-target runs")
    p.add_argument('--rounds', type=int, default=2); p.add_argument('--pairs', type=int, default=20)
    p.add_argument('--name', default='latency_weights')
    p.add_argument('--layers', action='store_true', help='time each kind of layer of both copies (in this process), not the whole models')
    a = p.parse_args(argv)
    rows, t0, runs = [], time.perf_counter(), pairs(a.runs)
    if a.layers:
        df = pd.DataFrame(layer_rows(runs, a.rounds))
        summary = df.groupby(['layout', 'kind'])[['fine_tuned_ms', 'starting_ms']].sum()
        summary['ratio'] = summary.fine_tuned_ms / summary.starting_ms
        print(summary.round(3).to_string())
        return print(save(a.name + '_layers', df, plot_layers(df), args=vars(a), passes=10,
                          summary={' '.join(k): round(v, 4) for k, v in summary.ratio.items()},
                          seconds=round(time.perf_counter() - t0, 1)))
    for k in tqdm(range(a.rounds), desc='rounds'):
        for method, target, batch, size, tuned, started, start in runs:
            f = lambda m: latency_ratio(m, start, batch, size, 'cpu', pairs=a.pairs, fresh_process=True, busy=None)['ratio']
            rows.append(dict(round=k, method=method, target=target, fine_tuned=f(tuned), starting=f(started)))
            rows[-1]['tuned_over_starting'] = rows[-1]['fine_tuned'] / rows[-1]['starting']
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    r = df.tuned_over_starting
    summary = dict(median=r.median(), mean=r.mean(), min=r.min(), max=r.max(), below_1=int((r < 1).sum()), n=len(r))
    print({k: round(v, 4) for k, v in summary.items()})
    print(save(a.name, df, None, args=vars(a), summary=summary, seconds=round(time.perf_counter() - t0, 1)))


if __name__ == '__main__':
    main()
