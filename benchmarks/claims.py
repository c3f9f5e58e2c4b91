"""The PASS paper's ablation claims, re-measured in the mask-quality regime (README section 8, claims table).

Each study is PASS with one setting changed (its hypernetwork's inputs, body or hidden size, its allocation, its
prompt's kind or size), run through `mask_quality.py` (stage 1 on the frozen pretrained Lite0, 64 px Fashion-MNIST,
2,000 training and 2,000 validation images; masks judged by the linear probe with BatchNorm recalibrated), seeds 0-2,
MACs 0.5 and 0.3. The default PASS runs in the same batch, so every difference is paired by seed on the same code.

    python claims.py run      # the missing runs, one after another (resumable: finished rows are skipped); ~75 min
    python claims.py table    # results/claims_cpu.{csv,md}: one row per claim with a verdict, one figure per study

Verdicts, per MACs level, from the paired difference d (the paper's better setting minus the other, over seeds):
holds where mean(d) > std(d) > 0 at every level, does not hold where mean(d) < -std(d) at some level, and otherwise
"cannot separate". The "matters little" claim holds where no setting is separated from the default at any level.
"""
import subprocess, sys

import pandas as pd

from common import RESULTS, save

FOLDER = 'claims_cpu'  # results/claims_cpu/<study>=<value>.csv, one per run batch of mask_quality.py
REGIME = ['--dataset', 'fashion-mnist', '--max-eval', '2000', '--seeds', '0', '1', '2', '--methods', 'pass',
          '--macs', '0.5', '0.3', '--root', '../data']
DEFAULT = 'default'
VARIANTS = {  # name: mask_quality.py options that change PASS's default
    DEFAULT: [],
    'inputs=prompt': ['--hnet', "inputs='prompt'"], 'inputs=weights': ['--hnet', "inputs='weights'"],
    'body=mlp': ['--hnet', "body='mlp'"], 'body=cnn': ['--hnet', "body='cnn'"],
    'allocation=uniform': ['--allocation', 'uniform'],
    'prompt=expand': ['--prompt', 'expand'],
    'prompt=none': ['--prompt', 'none'], 'pad=4': ['--pad', '4'], 'pad=16': ['--pad', '16'],
    'hidden=32': ['--hnet', 'hidden=32'], 'hidden=256': ['--hnet', 'hidden=256'],
}
# claim number: (the paper's statement, its number, the better setting, the settings it beats); None: "matters little"
CLAIMS = {
    1: ('LSTM + weights + prompt beats prompt only and weights only (Table 2)',
        'CIFAR-100, 50 % sparsity: 79.11 against 77.94 (prompt only) and 77.83 (weights only)',
        DEFAULT, ['inputs=prompt', 'inputs=weights']),
    2: ('an LSTM body beats an MLP and a CNN (Table 2)', 'CIFAR-100, 50 %: LSTM 79.11, MLP 77.84',
        DEFAULT, ['body=mlp', 'body=cnn']),
    3: ('the additive (pad) prompt beats the expansive one (Fig. 4)', 'CIFAR-100, 10-50 %: additive above expansive at every level',
        DEFAULT, ['prompt=expand']),
    4: ('prompt size matters: accuracy rises to a peak at 16 px of 224 and falls after (Fig. 4)',
        'CIFAR-100: peak at 16 px (7 % of the side)', 'pad=4', ['prompt=none', DEFAULT, 'pad=16']),
    5: ('the hidden size of the hypernetwork matters little (Fig. 5)', 'CIFAR-100: 32-256 within a small range',
        None, ['hidden=32', 'hidden=256']),
    6: ('global allocation beats uniform (Fig. 5)', 'CIFAR-100 and Tiny-ImageNet: global above uniform at every level',
        DEFAULT, ['allocation=uniform']),
}


def run():
    "Run every variant's missing rows, one mask_quality.py process at a time."
    (RESULTS/FOLDER).mkdir(exist_ok=True)
    for name, opts in VARIANTS.items():
        print(f'== {name}', flush=True)
        subprocess.run([sys.executable, 'mask_quality.py', *REGIME, *opts, '--out', f'{FOLDER}/{name}'], check=True)


def rows()->pd.DataFrame:
    "Every finished run: one row per (variant, seed, MACs level)."
    frames = [pd.read_csv(f).assign(variant=name) for name in VARIANTS
              if (f := RESULTS/FOLDER/f'{name}.csv').exists()]
    if not frames: sys.exit(f'no runs in results/{FOLDER}/ yet: run `python claims.py run` first.')
    return pd.concat(frames, ignore_index=True)


def paired(df, a, b)->pd.DataFrame:
    "Per MACs level: mean and std over seeds of probe(a) - probe(b), and how many seeds both have."
    piv = df[df.variant.isin([a, b])].pivot_table(index=['target_macs', 'seed'], columns='variant', values='probe_acc')
    if a not in piv or b not in piv: return pd.DataFrame(columns=['mean', 'std', 'count'])
    return (piv[a] - piv[b]).dropna().groupby(level='target_macs').agg(['mean', 'std', 'count'])


def verdict(diffs:list)->str:
    "holds / does not hold / cannot separate, from the paired differences of the better setting against each other one."
    if any(((d['mean'] < -d['std']) & (d['count'] >= 3)).any() for d in diffs): return 'does not hold'
    if diffs and all(len(d) and ((d['mean'] > d['std']) & (d['count'] >= 3)).all() for d in diffs): return 'holds'
    return 'cannot separate at this scale'


def fmt_diff(d)->str:
    return '; '.join(f'MACs {m}: {r["mean"]:+.3f} ± {r["std"]:.3f} ({int(r["count"])})' for m, r in d.sort_index(ascending=False).iterrows())


def table():
    df = rows()
    stats = df.groupby(['variant', 'target_macs']).probe_acc.agg(['mean', 'std', 'count'])
    def ours(v):
        if v not in stats.index.get_level_values(0): return f'{v}: not run'
        return f'{v}: ' + ', '.join(f'{r["mean"]:.3f} ± {r["std"]:.3f}' for _, r in stats.loc[v].sort_index(ascending=False).iterrows())
    out = []
    for n, (claim, paper, better, others) in CLAIMS.items():
        if better is None:  # "matters little": nothing separated from the default, in either direction
            diffs = [paired(df, o, DEFAULT) for o in others]
            sep = any(len(d) and ((d['mean'].abs() > d['std']) & (d['count'] >= 3)).any() for d in diffs)
            complete = all(len(d) and (d['count'] >= 3).all() for d in diffs)
            v = 'does not hold' if sep else ('holds' if complete else 'cannot separate at this scale')
            shown = [f'{o} − default: {fmt_diff(d)}' for o, d in zip(others, diffs)]
            settings = [DEFAULT, *others]
        else:
            diffs = [paired(df, better, o) for o in others]
            v, settings = verdict(diffs), [better, *others]
            shown = [f'{better} − {o}: {fmt_diff(d)}' for o, d in zip(others, diffs)]
        out.append(dict(claim=n, statement=claim, paper=paper, ours=' | '.join(ours(s) for s in settings),
                        paired_difference=' | '.join(shown), verdict=v))
    res = pd.DataFrame(out)
    md = ['| # | claim | paper | ours: probe accuracy at MACs 0.5, 0.3 (mean ± std, 3 seeds) | paired difference | verdict |',
          '|---|---|---|---|---|---|']
    md += [f'| {r.claim} | {r.statement} | {r.paper} | {r.ours} | {r.paired_difference} | **{r.verdict}** |' for r in res.itertuples()]
    (RESULTS/'claims_cpu.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))
    save('claims_cpu', res, figure(stats), command='python benchmarks/claims.py table', runs=len(df))


def figure(stats):
    "One panel per study: probe accuracy per setting (mean ± std over seeds), one line per MACs level."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    studies = {n: ([DEFAULT] if c[2] != DEFAULT and c[2] is not None else []) + [c[2] or DEFAULT] + c[3]
               for n, c in CLAIMS.items()}
    studies[4] = ['prompt=none', 'pad=4', DEFAULT, 'pad=16']  # in order of size (the default pad is 8 px)
    fig, axes = plt.subplots(1, len(studies), figsize=(3.1 * len(studies), 3.4), sharey=True)
    for ax, (n, vs) in zip(axes, studies.items()):
        vs = list(dict.fromkeys(v for v in vs if v in stats.index.get_level_values(0)))
        for macs in sorted(stats.index.get_level_values(1).unique(), reverse=True):
            s = stats.xs(macs, level='target_macs').reindex(vs)
            ax.errorbar(range(len(vs)), s['mean'], s['std'], marker='o', capsize=3, label=f'MACs {macs}')
        ax.set_xticks(range(len(vs)), [v.replace('default', 'PASS\n(default)').replace('=', '=\n') for v in vs], fontsize=7)
        ax.set_title(f'claim {n}', fontsize=9)
    axes[0].set_ylabel('linear-probe accuracy\n(masks before fine-tuning)'); axes[0].legend(fontsize=7)
    fig.suptitle('PASS ablations in the mask-quality regime: Lite0, 64 px Fashion-MNIST, 3 seeds', fontsize=10)
    fig.tight_layout()
    return fig


if __name__ == '__main__':
    {'run': run, 'table': table}.get(sys.argv[1] if len(sys.argv) > 1 else '', lambda: sys.exit(__doc__))()
