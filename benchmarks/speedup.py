"""Realised speed-up: latency of the exported (physically pruned) model against the dense one at each MACs level,
as a ratio measured in one run, next to the MACs speed-up (dense MACs / pruned MACs). Target: latency speed-up
>= 0.8 x MACs speed-up on GPU, batch 128.

Two sources of pruned models:
- default: global allocation of random scores on random-init models (the structure PASS and the baselines produce:
  fewer channels per group; pruned and dense share their random init);
- `--runs results.csv ...`: the exported models (`pruned_model.pt`) of a sweep's finished runs, so each method's own
  choice of layers is timed (rows whose run folder is gone are skipped and counted), each against the backbone its run
  started from (`starting_backbone`, as `prune` times it: on some CPUs the weights move the latency by a few percent).

    python benchmarks/speedup.py                                     # CPU, batch 32, 224 px
    python benchmarks/speedup.py --round-to 8                        # the same, channel counts in multiples of 8
    python benchmarks/speedup.py --runs benchmarks/results/speed_cpu/results.csv   # the sweep's exported models
    python benchmarks/speedup.py --breakdown                         # where the time goes, by kind of layer
    python benchmarks/speedup.py --runs benchmarks/results/speed_cpu/results.csv --methods pass random --breakdown
    python benchmarks/speedup.py --device cuda --batch 128           # GPU
    python benchmarks/speedup.py --onnx                              # also each model exported to ONNX, run by onnxruntime
"""
import argparse, json, tempfile, time
from pathlib import Path

import pandas as pd
import torch
import torch.nn as nn
from tqdm.auto import tqdm

from pass_nb.experiment import starting_backbone
from pass_nb.masks import ChannelGroups, load_pruned, export_onnx
from pass_nb.models import create_model, measure_latency, latency_ratio, count_macs_params
from common import save


def time_pair(dense, small, a)->dict:
    """Latency and MACs of `small` against `dense`. With `a.pairs`: the two in turn, one forward pass at a time
    (`pass_nb.models.latency_ratio`, as `prune` times them), the speed-up from the median of the pairs' ratios; with
    `a.pairs` 0: `a.repeats` passes of each, alternating twice, lower medians (how the figures before it were taken)."""
    macs_d, _ = count_macs_params(dense, a.size); macs_p, _ = count_macs_params(small, a.size)
    r = dict(device=a.device, batch=a.batch, size=a.size, macs_kept=macs_p / macs_d, macs_speedup=macs_d / macs_p)
    if getattr(a, 'pairs', 0):
        t = latency_ratio(small, dense, a.batch, a.size, a.device, pairs=a.pairs)
        r.update(dense_ms=t['reference_ms'], pruned_ms=t['model_ms'], latency_speedup=1 / t['ratio'],
                 latency_q25=t['ratio_q25'], latency_q75=t['ratio_q75'])
    else:
        lat = {'dense': [], 'pruned': []}
        for _ in range(2):
            for k, m in (('dense', dense), ('pruned', small)):
                lat[k].append(measure_latency(m, a.batch, a.size, a.device, repeats=a.repeats)['median_ms'])
        r.update(dense_ms=min(lat['dense']), pruned_ms=min(lat['pruned']))
        r['latency_speedup'] = r['dense_ms'] / r['pruned_ms']
    r['efficiency'] = r['latency_speedup'] / r['macs_speedup']
    if a.onnx: r.update(onnx_pair(dense, small, a, r['macs_speedup']))
    return r


def onnx_pair(dense, small, a, macs_speedup)->dict:
    "The same pair exported to ONNX (`export_onnx`, checked) and timed by onnxruntime on the CPU: they alternate twice."
    import onnxruntime as ort
    x = torch.rand(a.batch, 3, a.size, a.size)
    with tempfile.TemporaryDirectory() as d:
        runs = {k: ort.InferenceSession(export_onnx(m, Path(d)/f'{k}.onnx', x[:1])['path'], providers=['CPUExecutionProvider'])
                for k, m in (('dense', dense), ('pruned', small))}
    lat = {k: [] for k in runs}
    for _ in range(2):
        for k, s in runs.items():
            for _ in range(2): s.run(None, {'images': x.numpy()})  # warm-up
            ts = []
            for _ in range(a.repeats): t0 = time.perf_counter(); s.run(None, {'images': x.numpy()}); ts.append(1e3 * (time.perf_counter() - t0))
            lat[k].append(sorted(ts)[len(ts) // 2])
    r = dict(dense_ort_ms=min(lat['dense']), pruned_ort_ms=min(lat['pruned']))
    r['ort_speedup'] = r['dense_ort_ms'] / r['pruned_ort_ms']
    r['ort_efficiency'] = r['ort_speedup'] / macs_speedup
    return r


def random_score_models(a):
    "(key, dense, pruned): each model exported at each MACs level from global allocation of seeded random scores."
    for name in a.models:
        dense = create_model(name, pretrained=False).eval()
        groups = ChannelGroups(dense, torch.rand(1, 3, a.size, a.size))
        g = torch.Generator().manual_seed(0)
        scores = [torch.rand(n, generator=g) for n in groups.n_units]
        for level in a.levels:
            small = groups.export(groups.allocate(scores, target_macs=level, round_to=a.round_to)).eval()
            yield dict(model=name, target_macs=level, round_to=a.round_to), dense, small


def run_models(a):
    "(key, dense, pruned): the exported model of each finished run in the given results.csv files whose folder is here."
    runs = pd.concat([pd.read_csv(f) for f in a.runs], ignore_index=True)
    if a.methods: runs = runs[runs.method.isin(a.methods)]
    have = runs[[(Path(d)/'pruned_model.pt').exists() for d in runs.run_dir]]
    if have.empty: raise SystemExit(f'None of the {len(runs)} runs in {a.runs} has its pruned_model.pt any more '
                                    '(run folders are git-ignored): rerun the sweep first.')
    print(f'{len(have)} of {len(runs)} runs have their exported model; timing those.', flush=True)
    dense = {}
    for r in tqdm(have.itertuples(), total=len(have), desc='runs'):
        path, cfg = Path(r.run_dir)/'pruned_model.pt', json.loads((Path(r.run_dir)/'config.json').read_text())
        arch = torch.load(path, map_location='cpu', weights_only=True)['meta']['arch']
        start = (cfg['model'], cfg['weights'], cfg['seed'])  # the backbone the run started from, as `prune` times it
        if start not in dense: dense[start] = starting_backbone(*start)
        yield (dict(model=r.model, dataset=r.dataset, method=r.method, target_macs=r.target_macs, seed=r.seed,
                    test_acc=r.test_acc), dense[start], load_pruned(path, create_model(arch, pretrained=False)).eval())


def latency_rows(models, a)->list:
    rows = []
    for key, dense, small in models:
        rows.append(dict(**key, **time_pair(dense, small, a))); print(rows[-1], flush=True)
    return rows


def timed_layers(model:nn.Module)->list:
    "The layers the breakdown times: leaves, and BatchNorms whole (timm's BatchNormAct2d holds its activation)."
    out, inside = [], set()
    for m in model.modules():
        if m in inside: continue
        if isinstance(m, nn.modules.batchnorm._BatchNorm): out.append(m); inside.update(m.modules())
        elif next(m.children(), None) is None: out.append(m)
    return out


def layer_kind(m:nn.Module)->str:
    "What a timed layer is, for the breakdown."
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        act = getattr(m, 'act', None)
        return 'batchnorm' if act is None or isinstance(act, nn.Identity) else 'batchnorm+activation'
    if isinstance(m, nn.Conv2d):
        if m.groups > 1 and m.groups == m.in_channels: return 'depthwise conv'
        return f'{m.kernel_size[0]}x{m.kernel_size[1]} conv'
    if isinstance(m, nn.Linear): return 'linear'
    if isinstance(m, (nn.ReLU, nn.ReLU6, nn.SiLU, nn.GELU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid)): return 'activation'
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)): return 'pooling'
    return 'other layers'


def layer_times(model:nn.Module, a, passes:int=5, channels_last:bool=False)->pd.DataFrame:
    "Forward time (ms, mean over `passes` after 2 warm-ups) and MACs per image of each kind of leaf layer; 'outside layers'"
    " is the rest of the forward pass (residual additions, functional calls). `channels_last`: model and input in that layout."
    dev, layout = torch.device(a.device), torch.channels_last if channels_last else torch.contiguous_format
    model.to(dev, memory_format=layout)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == 'cuda' else (lambda: None)
    ms, macs, start, hooks = {}, {}, {}, []
    def pre(m, _): sync(); start[m] = time.perf_counter()
    def post(m, inp, out):
        sync(); k = layer_kind(m); ms[k] = ms.get(k, 0.) + 1e3 * (time.perf_counter() - start[m])
        if isinstance(m, nn.Conv2d): n = out[0].numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear): n = out[0].numel() * m.in_features
        else: n = 0
        macs[k] = macs.get(k, 0) + n
    for m in timed_layers(model): hooks += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    x, total = torch.rand(a.batch, 3, a.size, a.size, device=dev).contiguous(memory_format=layout), 0.
    try:
        with torch.inference_mode():
            for i in range(2 + passes):
                if i == 2: ms.clear(); macs.clear()
                sync(); t0 = time.perf_counter(); model(x); sync()
                if i >= 2: total += 1e3 * (time.perf_counter() - t0)
    finally:
        for h in hooks: h.remove()
        model.to('cpu', memory_format=torch.contiguous_format)
    t = pd.DataFrame({'ms': pd.Series(ms) / passes, 'macs': pd.Series(macs) / passes})
    t.loc['outside layers'] = (total / passes - t.ms.sum(), 0)
    return t


def breakdown_rows(models, a)->list:
    "Per kind of layer: dense and pruned time and MACs (time from hooks, so a little slower than plain latency)."
    rows = []
    for key, dense, small in models:
        d, p = layer_times(dense, a), layer_times(small, a)
        kinds = d.index.union(p.index)
        rows += [dict(**key, device=a.device, batch=a.batch, size=a.size, kind=k, dense_ms=d.ms.get(k, 0.),
                      pruned_ms=p.ms.get(k, 0.), dense_macs=d.macs.get(k, 0), pruned_macs=p.macs.get(k, 0)) for k in kinds]
        print(pd.DataFrame(rows[-len(kinds):]).to_string(index=False), flush=True)
    return rows


def plot_breakdown(df, a):
    "Forward time by kind of layer: dense, then each pruned model (labelled by MACs kept, and method for runs)."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    models = list(dict.fromkeys(df.model))
    df = df.assign(label=df.target_macs.map('{:g}'.format) if 'method' not in df else
                   df.method + ' ' + df.target_macs.map('{:g}'.format))
    fig, axes = plt.subplots(1, len(models), figsize=(1.2 * df.label.nunique() + 4, 3.8), squeeze=False)
    for ax, name in zip(axes[0], models):
        d = df[df.model == name]
        t = d.pivot_table(index='label', columns='kind', values='pruned_ms', sort=False)
        t.loc['dense'] = d.groupby('kind').dense_ms.min()  # the same dense model timed beside each pruned one
        t = t.loc[['dense'] + [l for l in t.index if l != 'dense']]
        t.plot.bar(stacked=True, ax=ax, legend=ax is axes[0][-1], rot=45 if 'method' in d else 0)
        ax.set(xlabel='MACs kept' + ('' if 'method' in d else ' (random scores)'), ylabel='forward time (ms)',
               title=f'{name}, {a.device}, batch {a.batch}, {a.size} px')
    axes[0][-1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc='upper left')
    return fig


def plot(df, a):
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    models = list(dict.fromkeys(df.model))
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.6), squeeze=False)
    top = df.macs_speedup.max() * 1.05
    for ax, name in zip(axes[0], models):
        d = df[df.model == name]
        for lab, e in (d.groupby('method', sort=False) if 'method' in d else [('random scores', d)]):
            e = e.groupby('target_macs').mean(numeric_only=True).sort_values('macs_speedup')
            ax.plot(e.macs_speedup, e.latency_speedup, marker='o', label=lab + (' (PyTorch)' if a.onnx else ''))
            if a.onnx: ax.plot(e.macs_speedup, e.ort_speedup, marker='s', ls='--', label=lab + ' (onnxruntime)')
        ax.plot([1, top], [1, top], c='grey', ls=':', label='latency = MACs speed-up')
        ax.plot([1, top], [0.8, 0.8 * top], c='grey', ls='--', label='target 0.8 x')
        ax.set(xlabel='MACs speed-up', ylabel='measured latency speed-up', title=f'{name}, {a.device}, batch {a.batch}, '
               f'{a.size} px' + (f', round_to {a.round_to}' if a.round_to else ''))
        ax.legend(fontsize=7)
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18', 'efficientnet_lite0'])
    p.add_argument('--levels', nargs='+', type=float, default=[0.9, 0.7, 0.5, 0.3])
    p.add_argument('--size', type=int, default=224); p.add_argument('--batch', type=int, default=32)
    p.add_argument('--device', default='cpu'); p.add_argument('--repeats', type=int, default=10)
    p.add_argument('--pairs', type=int, default=0, help='time dense and pruned in turn, one pass at a time, this many pairs '
                   "(as `prune` does); 0: --repeats passes of each, alternating twice (the figures in the README's section 3)")
    p.add_argument('--round-to', type=int, default=None, help='keep a multiple of this many channels per group')
    p.add_argument('--runs', nargs='+', default=None, help="results.csv files of sweeps: time their runs' exported models")
    p.add_argument('--methods', nargs='+', default=None, help='with --runs: only these methods')
    p.add_argument('--breakdown', action='store_true', help='time each kind of layer, dense and pruned')
    p.add_argument('--onnx', action='store_true', help='also time each model exported to ONNX with onnxruntime (CPU)')
    p.add_argument('--name', default=None, help='results/<name>.csv (default: speedup_<device>[_round<k>|_runs|_breakdown])')
    a = p.parse_args(argv)
    if a.runs and a.round_to: p.error('--round-to applies to random scores; a run was exported with its own setting.')
    if a.methods and not a.runs: p.error('--methods picks runs of --runs results.csv files; give those too.')
    models = run_models(a) if a.runs else random_score_models(a)
    name = a.name or f'speedup_{a.device}' + ('_runs' if a.runs else (f'_round{a.round_to}' if a.round_to else '')) + \
        ('_breakdown' if a.breakdown else '') + ('_onnx' if a.onnx else '')
    if a.onnx and (a.breakdown or a.device != 'cpu'): p.error('--onnx times onnxruntime on the CPU, without --breakdown.')
    if a.breakdown:
        df = pd.DataFrame(breakdown_rows(models, a))
        return print(save(name, df, plot_breakdown(df, a), passes=5, runs=a.runs))
    df = pd.DataFrame(latency_rows(models, a))
    print(df.to_string(index=False))
    print(save(name, df, plot(df, a), repeats=a.repeats, runs=a.runs))


if __name__ == '__main__': main()
