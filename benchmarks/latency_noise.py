"""How stable is a pruned/dense latency ratio on this machine? Within one run, and from run to run.

A latency target can only be checked to the precision with which the machine reproduces a latency ratio. This times a
few exported structures of EfficientNet-Lite0 (ImageNet weights; random scores at several MACs levels) against the dense
model, one forward pass each in turn (`--pairs` pairs, `pass_nb.models.latency_ratio`, as `prune` times them), and
reports per run and structure the median of the pairs' ratios (pruned / dense) with a distribution-free 95 % interval
of it (the files of 3edd1e9 in the README: a bootstrap interval, every pass on one shared batch). The runs follow one another in one process; each run
times every structure. The spread of one structure's medians across runs, against the width of its interval inside a
run, says whether a tolerance such as 5 % of the target can be confirmed here.

    python benchmarks/latency_noise.py                      # CPU, 64 px, batch 32, 3 structures, 8 runs of 100 pairs
    python benchmarks/latency_noise.py --threads 1 --name latency_noise_1thread

With `--fresh`, each run times the pair in a new Python process (`latency_ratio(fresh_process=True)`, as `prune` times
its readings), and every process is kept (`busy=None`); the figure then also plots each reading against the dense
model's median pass, marking the processes `latency_ratio`'s default `busy` would leave out as slowed by other work:

    python benchmarks/latency_noise.py --fresh --levels 0.5 --runs 24 --pairs 20 --name latency_busy

`--replot` draws a saved `--fresh` result again, its `busy` marks and summary recomputed with today's default `busy`
(the timings are kept as measured, and so is their JSON stamp; a `replotted` entry records when and with which `busy`):

    python benchmarks/latency_noise.py --replot --name latency_busy_epyc
"""
import argparse, inspect, json, time

import pandas as pd
import torch
from tqdm.auto import tqdm

from pass_nb.baselines import baseline_scores
from pass_nb.hypernetwork import Budget
from pass_nb.masks import ChannelGroups
from pass_nb.models import create_model, latency_ratio, _steady_processes
from common import RESULTS, allocator_env, machine, save

BUSY = inspect.signature(latency_ratio).parameters['busy'].default  # the share by which a slowed process's dense pass runs slower


def plot(df, a):
    "Each structure's ratio per run, with its 95 % interval inside the run."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2 if a.fresh else 1, figsize=(12 if a.fresh else 7, 3.6), squeeze=False)
    ax = axes[0, 0]
    alloc = ', allocator settings in the environment' if allocator_env() else ''  # the allocator moves the ratios
    for k, (macs, d) in enumerate(df.groupby('macs_kept')):
        ax.errorbar(d.run + 0.08 * k, d.ratio, yerr=[d.ratio - d.ci95_lo, d.ci95_hi - d.ratio], fmt='o', capsize=3,
                    label=f'MACs kept {macs:.2f}')
    setting = f'{a.model}, cpu, {a.threads} thread(s), batch {a.batch}, {a.size} px{alloc}'
    ax.set(xlabel='run' + (' (each a fresh process)' if a.fresh else ''), ylabel='pruned / dense latency (median of pairs)',
           title='bars: 95 % interval inside a run' if a.fresh else f'{setting}\nbars: 95 % interval inside a run')
    ax.set_xticks(sorted(df.run.unique()))
    if a.fresh:  # each run a fresh process: its ratio against its dense pass, and the processes `busy` leaves out
        ax2 = axes[0, 1]
        for k, (macs, d) in enumerate(df.groupby('macs_kept')):
            ax2.scatter(d.dense_ms, d.ratio, s=14, color=f'C{k}', edgecolor=['k' if b else 'none' for b in d.busy])
        ax2.axvline((1 + BUSY) * df.dense_ms.min(), color='grey', ls=':', label=f'{1 + BUSY:.2f} x the fastest dense pass: busy')
        ax2.set(xlabel='dense model, median ms per pass in that process', ylabel='pruned / dense latency',
                title='one point per fresh process (outlined: left out as busy)')
        ax2.legend(fontsize=7); ax.legend(fontsize=7); fig.suptitle(setting); fig.tight_layout()
    else: ax.legend(fontsize=7, loc='center left', bbox_to_anchor=(1.01, 0.5))
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='efficientnet_lite0')
    p.add_argument('--levels', nargs='+', type=float, default=[0.7, 0.5, 0.3], help='MACs kept by each structure')
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=32)
    p.add_argument('--runs', type=int, default=8); p.add_argument('--pairs', type=int, default=100)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--fresh', action='store_true', help='each run in a new process, keeping every process (busy=None)')
    p.add_argument('--name', default='latency_noise')
    p.add_argument('--replot', action='store_true', help="draw the saved --fresh result `--name` again with today's busy; no timing")
    a = p.parse_args(argv)
    if a.replot: return replot(a.name)
    torch.set_num_threads(a.threads)
    dense = create_model(a.model, pretrained=True).eval()
    groups = ChannelGroups(dense, torch.rand(1, 3, a.size, a.size))
    scores = baseline_scores('random', groups, seed=0)
    masks = {lv: Budget(target_macs=lv).final(groups, scores) for lv in a.levels}
    smalls = {lv: groups.export(m).eval() for lv, m in masks.items()}
    kept = {lv: groups.predict_macs(m) / groups.dense_macs for lv, m in masks.items()}
    rows, t0 = [], time.perf_counter()
    for run in tqdm(range(a.runs), desc='runs'):
        for lv, small in smalls.items():
            r = latency_ratio(small, dense, a.batch, a.size, pairs=a.pairs, fresh_process=a.fresh, busy=None)  # in turn, one pass each: what `prune` times
            rows.append(dict(run=run, macs_kept=round(kept[lv], 3), ratio=r['ratio'], ci95_lo=r['ratio_lo'], ci95_hi=r['ratio_hi'],
                             dense_ms=r['reference_ms'], seconds=round(time.perf_counter() - t0, 1)))
            print(rows[-1], flush=True)
    df, s = summarise(pd.DataFrame(rows))
    print(s.round(3).to_string(index=False))
    print(save(a.name, df, plot(df, a), args=vars(a), summary=s.round(4).to_dict('records'),
               seconds=round(time.perf_counter() - t0, 1)))


def summarise(df)->tuple:
    "The runs with their `busy` marks (against today's default `busy`), and the spread per structure."
    runs = [dict(reference_ms=v) for v in df.dense_ms]  # what `latency_ratio`'s default would leave out, were they one reading's processes
    steady = {id(r) for r in _steady_processes(runs, BUSY)}
    df = df.assign(busy=[id(r) not in steady for r in runs])
    s = pd.DataFrame([dict(macs_kept=m, ratio_min=d.ratio.min(), ratio_max=d.ratio.max(),
                           within_run_halfwidth=float(((d.ci95_hi - d.ci95_lo) / 2 / d.ratio).median()),
                           between_runs_range=float((d.ratio.max() - d.ratio.min()) / d.ratio.median()),
                           busy=int(d.busy.sum()), steady_ratio_min=d.ratio[~d.busy].min(), steady_ratio_max=d.ratio[~d.busy].max(),
                           dense_ms_steady_max=d.dense_ms[~d.busy].max())
                      for m, d in df.groupby('macs_kept')])  # relative: half the interval inside a run; max - min across runs
    return df, s


def replot(name:str):
    "Draw `results/<name>.*` again with today's `busy`; the timings and their stamp stay as measured."
    stamp = json.loads((RESULTS/f'{name}.json').read_text())
    a = argparse.Namespace(**stamp['args'])
    if not a.fresh: raise SystemExit(f'{name}: --replot redraws a --fresh result (its busy marks); this one timed in one process.')
    df, s = summarise(pd.read_csv(RESULTS/f'{name}.csv'))
    df.to_csv(RESULTS/f'{name}.csv', index=False)
    fig = plot(df, a); fig.tight_layout(); fig.savefig(RESULTS/f'{name}.png', dpi=120)
    now = machine()
    stamp.update(summary=s.round(4).to_dict('records'), replotted=dict(date=now['date'], commit=now['commit'], busy=BUSY))
    (RESULTS/f'{name}.json').write_text(json.dumps(stamp, indent=1, default=str) + '\n')
    print(s.round(3).to_string(index=False))


if __name__ == '__main__':
    main()
