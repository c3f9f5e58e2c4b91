"""A latency budget against a MACs budget: the measured latency fraction and speed-up of exported models.

EfficientNet-Lite0 (ImageNet weights) at 64 px, batch 32 on the CPU (the `latency_batch` default), one-shot scores
(`random`, `group_l1`, `uniform_l1`, from `pass_nb.baselines.baseline_scores`) allocated three ways at each level:
- `target_macs`: a fraction of the dense MACs (the budget before the latency one);
- `target_latency`: a fraction of the dense latency predicted by the measured `LatencyTable` (shares of the dense latency
  that scale with the MACs and with the layers' output elements, fitted on `--samples` randomly pruned copies);
- `target_latency_calibrated`: the same with the table calibrated as `prune` does (`calibrate_latency_table`).
Each exported model is timed against the dense one (`speedup.time_pair`: with `--pairs`, the two in turn one forward pass
at a time, `pass_nb.models.latency_ratio`, as `prune` and the calibration time them; `--pairs 0`: 20 passes of each,
alternating twice, lower medians, as the runs in the README before `--pairs` existed). A row meets the issue's
criterion (`meets`) when its latency speed-up is at least 0.9 x its MACs speed-up or its measured latency fraction is
within 5 % of the target (`within_5pct`).

    python benchmarks/latency_budget.py                       # CPU, batch 32, 64 px, levels 0.7 and 0.5
    python benchmarks/latency_budget.py --levels 0.9 0.7 0.5 --repeats 20
    python benchmarks/latency_budget.py --size 224 --name latency_budget_cuda   # on a GPU: batch 128, as `prune` times it there
    python benchmarks/latency_budget.py --runs benchmarks/results/latency_methods_cpu/results.csv --name latency_methods_cpu

With `--runs`, it reads a sweep's latency-target runs instead (every method's own exported model, `latency_methods_cpu.yaml`):
each run's `latency_budget` from its summary.json (the fraction `prune` measured at the end of the run), and `--retime`
more readings of the same exported model against the dense backbone the run started from (`starting_backbone`: its
weights, or its seeded random init; `prune` times against the same), taken in turn over the runs, so that a run's one reading
can be told from the timing noise. Each reading is taken in a fresh Python process (`latency_ratio(fresh_process=True)`,
as `prune` takes its own), where the model would run when deployed; `--retime-process shared` takes them all in this
process instead, with every run's model loaded (how the readings before commit 7a3bbf1 were taken). A fresh process
whose dense pass ran more than 10 % slower than the fastest this reference ran in the readings before is left out and
timed again once (`latency_ratio`'s `busy`, as `prune` leaves such processes out); `retime_K_busy` counts them, and
`retime_K_first` is the first process's fraction, busy or not (the reading as it was taken before `busy`).

It times where `prune` would time the run's latency (`experiment._latency_setting`: the GPU at batch 128 when there is
one, else the CPU at `--batch`), so that the table, its calibration and the exported models are timed alike.
"""
import argparse, json, time
from pathlib import Path

import pandas as pd
import torch

from pass_nb.baselines import baseline_scores
from pass_nb.experiment import PruneConfig, calibrate_latency_table, LATENCY_TOLERANCE, _latency_setting, starting_backbone
from pass_nb.hypernetwork import Budget
from pass_nb.masks import ChannelGroups, measure_latency_table, load_pruned
from pass_nb.models import create_model, latency_ratio
from common import save
from speedup import time_pair

METHODS = ('random', 'group_l1', 'uniform_l1')


def tables(groups, a)->dict:
    "The latency table as measured (cached) and, per allocation and level, calibrated as `prune` does; with the seconds each took."
    t0 = time.perf_counter()
    raw = measure_latency_table(groups, a.size, a.batch, a.device, repeats=a.repeats, samples=a.samples)
    print(f'table: {raw}', flush=True)
    out = {'raw': raw, 'seconds_table': time.perf_counter() - t0, 'calibrated': {}}
    for alloc in ('global', 'uniform'):
        for level in a.levels:
            cfg = PruneConfig(model=a.model, size=a.size, target_latency=level, latency_batch=a.batch, allocation=alloc)
            try: table, attempts = calibrate_latency_table(cfg, groups, raw)
            except ValueError as e:  # a level out of reach on this device: its rows say so, the other levels still run
                out['calibrated'][alloc, level] = None
                print(f'calibrated {alloc} {level}: {e}', flush=True); continue
            out['calibrated'][alloc, level] = table
            print(f'calibrated {alloc} {level}: scale {table.scale:.3f}, attempts {attempts}', flush=True)
    return out


def budgets(level:float, alloc:str, t:dict)->dict:
    "The three budgets compared at one level."
    return {'target_macs': Budget(target_macs=level, allocation=alloc),
            'target_latency': Budget(target_latency=level, allocation=alloc, latency_table=t['raw']),
            'target_latency_calibrated': Budget(target_latency=level, allocation=alloc, latency_table=t['calibrated'][alloc, level])}


def rows(groups, t:dict, a)->list:
    "One row per method, budget kind and level: predicted and measured latency fractions, MACs and latency speed-ups (`unreachable`: why a target could not be met)."
    out, raw = [], t['raw']
    for method in METHODS:
        scores, alloc = baseline_scores(method, groups, a.seed), 'uniform' if method == 'uniform_l1' else 'global'
        for level in a.levels:
            for kind, budget in budgets(level, alloc, t).items():
                try:
                    if budget.target_latency is not None and budget.latency_table is None:
                        raise ValueError('the calibration could not reach this target (see its line above)')
                    masks = budget.final(groups, scores)
                except ValueError as e:  # out of reach: the row is kept, as a miss
                    out.append(dict(model=a.model, method=method, budget=kind, target=level, within_5pct=False, meets=False, unreachable=str(e)))
                    print(out[-1], flush=True); continue
                r = time_pair(groups.model, groups.export(masks).eval(), a)
                measured = 1 / r['latency_speedup']  # pruned / dense: the median of the pairs' ratios with --pairs
                within = abs(measured / level - 1) <= LATENCY_TOLERANCE
                out.append(dict(model=a.model, method=method, budget=kind, target=level, **r,
                                predicted_latency=groups.predict_latency(masks, raw) / raw.dense_ms, measured_latency=measured,
                                within_5pct=within, meets=within or r['efficiency'] >= 0.9))
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in out[-1].items()}, flush=True)
    return out


def plot(df, a):
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    marks = dict(zip(METHODS, 'os^'))
    for (kind, method), d in df.groupby(['budget', 'method'], sort=False):
        c = {'target_macs': 'tab:grey', 'target_latency': 'tab:blue', 'target_latency_calibrated': 'tab:orange'}[kind]
        ax1.scatter(d.target, d.measured_latency, marker=marks[method], c=c, label=f'{kind}, {method}')
        ax2.scatter(d.macs_speedup, d.latency_speedup, marker=marks[method], c=c, label=f'{kind}, {method}')
    lo = min(a.levels) - 0.1
    ax1.plot([lo, 1], [lo, 1], c='k', ls=':', lw=1, label='measured = target')
    ax1.set(xlabel='target (fraction of dense MACs or latency)', ylabel='measured latency fraction',
            title=f'{a.model}, {a.device}, batch {a.batch}, {a.size} px')
    top = max(df.macs_speedup.max(), df.latency_speedup.max()) * 1.05
    ax2.plot([1, top], [1, top], c='k', ls=':', lw=1, label='latency = MACs speed-up')
    ax2.set(xlabel='MACs speed-up', ylabel='measured latency speed-up', title='realised against MACs speed-up')
    ax2.legend(fontsize=6, bbox_to_anchor=(1.02, 1), loc='upper left')
    return fig


def run_rows(a)->list:
    "One row per latency-target run of the sweep `a.runs`: its budget report, and `a.retime` more readings of its exported model."
    root = Path(__file__).resolve().parent.parent  # the sweeps here run from the repository root: their run folders are relative to it
    res = pd.read_csv(a.runs)
    res = res[res.target_latency.notna()]
    if res.empty: raise SystemExit(f'{a.runs}: no run with a target_latency; run a sweep with latency budgets first.')
    out, models, dense, floor = [], {}, {}, {}  # floor: the fastest each reference ran in the readings so far
    for r in res.itertuples():
        d = root/r.run_dir
        s, cfg = json.loads((d/'summary.json').read_text()), json.loads((d/'config.json').read_text())
        lb = s['latency_budget']
        if lb['device'].split(':')[0] != 'cpu': raise SystemExit(f'{d}: timed on {lb["device"]}; --runs re-times on the CPU only.')
        start = (cfg['model'], cfg['weights'], cfg['seed'])  # the backbone the run started from: its readings' reference
        if start not in dense: dense[start] = starting_backbone(*start)
        models[d] = load_pruned(d/'pruned_model.pt', create_model(r.model, pretrained=False)).eval(), start
        out.append(dict(model=r.model, method=r.method, target=lb['target'], batch=lb['batch'], size=cfg['size'],
                        macs_kept=s['macs']['kept'], macs_speedup=1 / s['macs']['kept'], predicted_latency=lb['predicted'],
                        measured_latency=lb['measured'], measured_busy=len(s.get('latency_cpu_ms', {}).get('busy_fractions', [])), calibrations=len(lb['calibration']), own_masks_timed=len(lb.get('own_masks', [])),
                        run_dir=r.run_dir))
    for k in range(a.retime):  # each reading goes over every run in turn: a slow change of the machine's speed spreads over them
        for row, (m, start) in zip(out, models.values()):
            t = latency_ratio(m, dense[start], row['batch'], row['size'], 'cpu', pairs=a.pairs, fresh_process=a.retime_process == 'fresh',
                              reference_floor_ms=floor.get(start))
            if a.retime_process == 'fresh' and t['process'] != 'fresh': raise SystemExit(f"{row['run_dir']}: not timed in a fresh process (see the warning).")
            floor[start] = min(floor.get(start, float('inf')), t['reference_ms_fastest'])
            row[f'retime_{k}'], row[f'retime_{k}_busy'] = t['ratio'], len(t['busy_ratios'])
            row[f'retime_{k}_first'] = t['process_timings'][0]['ratio']  # the first process's, busy or not (the reading before `busy`)
            print(row['method'], row['target'], f"reading {k}: {t['ratio']:.3f}", flush=True)
    for row in out:
        readings = [row['measured_latency']] + [row[f'retime_{k}'] for k in range(a.retime)]
        row['median_reading'] = float(pd.Series(readings).median())
        row['readings_within_5pct'] = sum(abs(v / row['target'] - 1) <= LATENCY_TOLERANCE for v in readings)
        row['readings'] = len(readings)
        row['retime_process'] = a.retime_process
        row['within_5pct'] = abs(row['measured_latency'] / row['target'] - 1) <= LATENCY_TOLERANCE
        row['median_within_5pct'] = abs(row['median_reading'] / row['target'] - 1) <= LATENCY_TOLERANCE
        first = [row['measured_latency']] + [row[f'retime_{k}_first'] for k in range(a.retime)]  # no busy process left out of the later readings
        row['median_reading_first'] = float(pd.Series(first).median())
        row['median_first_within_5pct'] = abs(row['median_reading_first'] / row['target'] - 1) <= LATENCY_TOLERANCE
        row['efficiency'] = (1 / row['median_reading']) / row['macs_speedup']
        row['meets'] = row['median_within_5pct'] or row['efficiency'] >= 0.9
    return out


def plot_runs(df, a):
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    methods = list(dict.fromkeys(df.method))
    fig, ax = plt.subplots(figsize=(9, 4))
    for j, target in enumerate(sorted(df.target.unique())):
        ax.axhspan(target * (1 - LATENCY_TOLERANCE), target * (1 + LATENCY_TOLERANCE), color=f'C{j}', alpha=0.12)
        ax.axhline(target, color=f'C{j}', lw=1, ls=':')
        for i, m in enumerate(methods):
            d = df[(df.method == m) & (df.target == target)]
            if d.empty: continue
            r = d.iloc[0]
            extra = [r[f'retime_{k}'] for k in range(a.retime)]
            ax.scatter([i + 0.1 * (j - 0.5)] * len(extra), extra, s=12, color=f'C{j}', alpha=0.5)
            ax.scatter(i + 0.1 * (j - 0.5), r.measured_latency, s=40, color=f'C{j}', edgecolor='k',
                       label=f'target {target} (band: within 5 %)' if i == 0 else None)
    ax.set_xticks(range(len(methods)), methods)
    ax.set(ylabel='latency, fraction of dense', title=f"Each method's exported model under a latency target: "
           f"{df.model.iloc[0]}, {df['size'].iloc[0]} px, CPU, batch {df.batch.iloc[0]}\nlarge: the run's own reading; "
           f"small: {a.retime} more readings of the same model ({'each in a fresh process' if a.retime_process == 'fresh' else 'in one process'})")
    ax.legend(fontsize=7)
    return fig


def main_runs(a):
    t0 = time.perf_counter()
    df = pd.DataFrame(run_rows(a))
    print(df[['method', 'target', 'macs_kept', 'predicted_latency', 'measured_latency', 'median_reading', 'readings_within_5pct',
              'efficiency', 'within_5pct', 'median_within_5pct', 'meets']].round(3).to_string(index=False))
    print(df.groupby('target')[['within_5pct', 'median_within_5pct', 'meets']].sum().to_string())
    print(save(a.name, df, plot_runs(df, a), args=vars(a), seconds=round(time.perf_counter() - t0, 1)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='efficientnet_lite0')
    p.add_argument('--levels', nargs='+', type=float, default=[0.7, 0.5])
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--batch', type=int, default=None, help="images per timed pass on the CPU (default: PruneConfig's latency_batch); a GPU times batch 128")
    p.add_argument('--repeats', type=int, default=20)
    p.add_argument('--pairs', type=int, default=20, help='timed pairs per exported model (0: --repeats passes of each, alternating twice)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--samples', type=int, default=24, help="pruned copies the latency table is fitted on")
    p.add_argument('--name', default='latency_budget')
    p.add_argument('--runs', default=None, help="a sweep's results.csv: report its latency-target runs instead (CPU)")
    p.add_argument('--retime', type=int, default=4, help='with --runs: more readings of each exported model')
    p.add_argument('--retime-process', choices=('fresh', 'shared'), default='fresh',
                   help="with --runs: each reading in a fresh process (as deployed), or all in this one ('shared', the readings before 7a3bbf1)")
    a = p.parse_args(argv)
    a.onnx = False  # `time_pair` option
    if a.runs: return main_runs(a)
    asked = a.batch
    run = PruneConfig(model=a.model, size=a.size, target_latency=0.5, **({} if asked is None else {'latency_batch': asked}))
    a.device, a.batch = _latency_setting(run)  # where `prune` and its calibration time the latency
    if asked is not None and asked != a.batch:
        p.error(f'--batch {asked}: on a GPU `prune` times its latency at batch {a.batch}; leave --batch out there.')
    dense = create_model(a.model, pretrained=True).eval()
    groups = ChannelGroups(dense, torch.rand(1, 3, a.size, a.size))
    t0 = time.perf_counter()
    t = tables(groups, a)
    df = pd.DataFrame(rows(groups, t, a))
    print(df[['method', 'budget', 'target', 'macs_kept', 'predicted_latency', 'measured_latency', 'macs_speedup',
              'latency_speedup', 'efficiency', 'within_5pct', 'meets']].round(3).to_string(index=False))
    print(df.groupby('budget', sort=False)[['within_5pct', 'meets']].sum().to_string())
    print(save(a.name, df, plot(df, a), args=vars(a), groups=len(groups), seconds_table=round(t['seconds_table'], 1),
               seconds=round(time.perf_counter() - t0, 1),
               scales={f'{k[0]} {k[1]}': v.scale for k, v in t['calibrated'].items()}, table_spread=t['raw'].spread,
               table_shares=t['raw'].shares, table_overhead=t['raw'].overhead, table_fit_error=t['raw'].fit_error, table_samples=t['raw'].samples,
               table_dense_ms=t['raw'].dense_ms))


if __name__ == '__main__':
    main()
