"""The two papers' claims, one row each, re-measured where masks matter (benchmarks/README.md section 12).

Claims 1-6 are PASS's ablations: PASS with one setting changed (its hypernetwork's inputs, body or hidden size, its
allocation, its prompt's kind or size), run through `mask_quality.py` (stage 1 on the frozen pretrained Lite0, 64 px
Fashion-MNIST, 2,000 training and 2,000 validation images; the masks judged by the linear probe with BatchNorm
recalibrated), seeds 0-2, MACs 0.5 and 0.3; the default PASS runs in the same batch, so every difference is paired by
seed on the same code. The other claims are read from the benchmarks that measure them (each row names its command).

    python claims.py run      # claims 1-6: the missing runs, one after another (resumable); ~75 min on 2 cores
    python claims.py table    # results/claims_cpu.{csv,md,json}: every claim with a verdict; results/claims_cpu.png

Verdicts from the paired differences d (the claimed better setting minus each other one, over seeds, at each level):
"does not hold" where some mean(d) < -std(d), "holds" where mean(d) > std(d) for every other setting at every level,
otherwise "cannot separate at this scale"; a claim that something "matters little" holds where no setting is
separated from the default either way, and one that a setting "reaches" another where it is not below it in the mean. Three seeds at least, or "not measured".
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
# claims 1-6, the PASS ablations: (statement, the paper's number, the better setting, the settings it beats); a better
# setting of None: "matters little" (nothing separated from the default)
ABLATIONS = {
    1: ('LSTM + weights + prompt beats prompt only and weights only (PASS, Table 2)',
        'CIFAR-100, 50 % sparsity: 79.11 against 77.94 (prompt only) and 77.83 (weights only)',
        DEFAULT, ['inputs=prompt', 'inputs=weights']),
    2: ('an LSTM body beats an MLP and a CNN (PASS, Table 2)', 'CIFAR-100, 50 %: LSTM 79.11, MLP 77.84',
        DEFAULT, ['body=mlp', 'body=cnn']),
    3: ('the additive (pad) prompt beats the expansive one (PASS, Fig. 4)', 'CIFAR-100, 10-50 %: additive above expansive at every level',
        DEFAULT, ['prompt=expand']),
    4: ('prompt size: accuracy peaks at 16 px of 224 (PASS, Fig. 4)', 'CIFAR-100: rises from 0 to 16 px, falls to 48 px',
        'pad=4', ['prompt=none', DEFAULT, 'pad=16']),
    5: ('the hypernetwork\'s hidden size matters little (PASS, Fig. 5)', 'CIFAR-100: 32-256 within a small range',
        None, ['hidden=32', 'hidden=256']),
    6: ('global allocation beats uniform (PASS, Fig. 5)', 'CIFAR-100 and Tiny-ImageNet: global above uniform at every level',
        DEFAULT, ['allocation=uniform']),
}

def run():
    "Run every variant's missing rows, one mask_quality.py process at a time."
    (RESULTS/FOLDER).mkdir(exist_ok=True)
    for name, opts in VARIANTS.items():
        print(f'== {name}', flush=True)
        subprocess.run([sys.executable, 'mask_quality.py', *REGIME, *opts, '--out', f'{FOLDER}/{name}'], check=True)



def paired(df, col, a, b, level='target_macs', value='probe_acc')->pd.DataFrame:
    "Per level: mean and std over seeds of value(a) - value(b) (rows where `col` is a or b), and how many seeds pair."
    piv = df[df[col].isin([a, b])].pivot_table(index=[level, 'seed'], columns=col, values=value)
    if a not in piv or b not in piv: return pd.DataFrame(columns=['mean', 'std', 'count'])
    return (piv[a] - piv[b]).dropna().groupby(level=level).agg(['mean', 'std', 'count'])


def separated(d, sign=1)->pd.Series:
    "Levels where the paired difference is beyond its std over >= 3 seeds, in the direction of `sign`."
    return (sign * d['mean'] > d['std']) & (d['count'] >= 3)


def verdict(diffs:list, claim:str='beats')->str:
    """The verdict from the paired differences of the claimed setting against each other one. 'beats': does not hold
    where one is separated below zero, holds where all are separated above zero at every level. 'reaches': does not
    hold where one is separated below zero, holds where none is below zero in the mean. 'matters little': does not hold
    where any is separated from zero either way, holds otherwise. Anything else cannot be separated at this scale."""
    if not diffs or any(len(d) == 0 for d in diffs): return 'not measured'
    if claim == 'matters little':
        return 'does not hold' if any((separated(d) | separated(d, -1)).any() for d in diffs) else 'holds'
    if any(separated(d, -1).any() for d in diffs): return 'does not hold'
    if claim == 'beats' and all(separated(d).all() for d in diffs): return 'holds'
    if claim == 'reaches' and all((d['mean'] >= 0).all() for d in diffs): return 'holds'
    return 'cannot separate at this scale'


def fmt_diff(d, name='MACs')->str:
    if len(d) == 0: return 'not measured'
    return '; '.join(f'{name} {m}: {r["mean"]:+.3f} ± {r["std"]:.3f}' for m, r in d.sort_index(ascending=False).iterrows())


def fmt_means(df, col, settings, level='target_macs', value='probe_acc')->str:
    "Each setting's mean ± std over seeds at every level."
    st = df[df[col].isin(settings)].groupby([col, level])[value].agg(['mean', 'std'])
    out = []
    for v in settings:
        if v not in st.index.get_level_values(0): out.append(f'{v}: not measured'); continue
        out.append(f'{v}: ' + ', '.join(f'{r["mean"]:.3f} ± {r["std"]:.3f}' for _, r in st.loc[v].sort_index(ascending=False).iterrows()))
    return '; '.join(out)


def unmeasured(row:dict)->dict:
    "A claim's row whose benchmark has not run."
    return dict(row, ours='not measured', paired_difference='', verdict='not measured')


def read(path, **kw):
    "A results CSV, or None when that study has not run."
    f = RESULTS/path
    return pd.read_csv(f, **kw) if f.exists() else None


def ablation_rows()->tuple:
    "(claims 1-6 from the runs of `run()`, those runs' rows)."
    frames = [pd.read_csv(f).assign(variant=name) for name in VARIANTS if (f := RESULTS/FOLDER/f'{name}.csv').exists()]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=['variant', 'target_macs', 'seed', 'probe_acc'])
    out = []
    for n, (claim, paper, better, others) in ABLATIONS.items():
        if better is None:  # "matters little": nothing separated from the default, in either direction
            diffs = [paired(df, 'variant', o, DEFAULT) for o in others]
            v = verdict(diffs, 'matters little')
            shown, settings = [f'{o} − default: {fmt_diff(d)}' for o, d in zip(others, diffs)], [DEFAULT, *others]
        else:
            diffs = [paired(df, 'variant', better, o) for o in others]
            v, settings = verdict(diffs), [better, *others]
            shown = [f'{better} − {o}: {fmt_diff(d)}' for o, d in zip(others, diffs)]
        out.append(dict(claim=n, statement=claim, paper=paper, measure='probe, MACs 0.5 and 0.3',
                        ours=fmt_means(df, 'variant', settings), paired_difference=' | '.join(shown), verdict=v,
                        command='python benchmarks/claims.py run'))
    return out, df


def against_best(df, method, col='method', level='target_macs', value='probe_acc')->tuple:
    "Paired difference of `method` to the best other method of each level (by mean), and that method's name per level."
    diffs, names = [], []
    for lv, d in df.groupby(level):
        means = d[d[col] != method].groupby(col)[value].mean()
        if means.empty or method not in set(d[col]): continue
        best = means.idxmax(); names.append(f'{lv}: {best}')
        diffs.append(paired(d, col, method, best, level, value))
    return (pd.concat(diffs) if diffs else pd.DataFrame(columns=['mean', 'std', 'count'])), ', '.join(names)


def pass_vs_baselines()->dict:
    "Claim 7: PASS's masks against every baseline's, before fine-tuning (probe) and after it (test accuracy)."
    mq, e2e = read('mask_quality_cpu_fmnist_val2000.csv'), read('quality_cpu_fmnist64/results.csv')
    parts, diffs = [], []
    if mq is not None:
        d, best = against_best(mq, 'pass'); diffs.append(d)
        parts.append(f'probe, PASS − best other ({best}): {fmt_diff(d)}')
    if e2e is not None:
        d, best = against_best(e2e, 'pass', value='test_acc'); diffs.append(d)
        parts.append(f'end to end, PASS − best other ({best}): {fmt_diff(d)}')
    return dict(claim=7, statement='PASS beats the baselines at equal MACs (PASS, Fig. 2)',
                paper='CIFAR-100, ResNet-18: above DepGraph, GrowReg, Slim and Group-L1 at every level',
                measure='probe at MACs 0.7/0.5/0.3 (README §8); test accuracy after 2 + 2 epochs at 0.5/0.3 (§9)',
                ours=(fmt_means(mq, 'method', ['pass']) if mq is not None else ''), paired_difference=' | '.join(parts),
                verdict=verdict(diffs), command='python benchmarks/mask_quality.py ... (§8); pass_nb sweep benchmarks/quality_cpu_fmnist64.yaml')


def transfer_rows()->list:
    "Claims 8-9: transferred masks and hypernetworks against the best baseline run directly on the target."
    t = read('transfer_cpu64.csv')
    out = []
    for n, method, what, paper in ((8, 'transfer_masks', 'mask', 'Tiny-ImageNet → CIFAR-100, 50 %: 78.81 against DepGraph 69.40'),
                                   (9, 'transfer_hypernetwork', 'hypernetwork', 'Tiny-ImageNet → CIFAR-100, 50 %: 78.67 against DepGraph 69.40')):
        row = dict(claim=n, statement=f'{what} transfer beats the baselines run directly on the target (PASS, Table 1)', paper=paper,
                   measure='Fashion-MNIST → digits, 50 % channel sparsity, test accuracy after 2 + 2 epochs',
                   command='python benchmarks/studies.py transfer --scale cpu64 --root ../data')
        if t is None: out.append(unmeasured(row)); continue
        base = t[t.method.isin([method, 'group_l1', 'random'])]
        d, best = against_best(base, method, level='sparsity', value='test_acc')
        out.append(dict(row, ours=fmt_means(t, 'method', [method, 'pass', 'group_l1', 'random'], 'sparsity', 'test_acc'),
                        paired_difference=f'{method} − best baseline ({best}): {fmt_diff(d, "sparsity")}', verdict=verdict([d])))
    return out


def cost_rows()->list:
    "Claims 10-11: the hypernetwork's size (counted here) and its time in a stage-1 step (README §2)."
    import torch, torchvision
    from pass_nb.hypernetwork import Budget, HyperNetwork
    from pass_nb.masks import ChannelGroups
    from pass_nb.models import create_model
    sizes = {}
    for name in ('resnet18', 'resnet34', 'resnet50', 'efficientnet_lite0'):
        net = (getattr(torchvision.models, name)(weights=None) if name.startswith('resnet')
               else create_model(name, pretrained=False)).eval()
        h = HyperNetwork(ChannelGroups(net, torch.rand(1, 3, 64, 64)), Budget(sparsity=0.5), 64)
        sizes[name] = (sum(p.numel() for p in h.parameters()), sum(p.numel() for p in net.parameters()))
    pct = {k: 100 * a / b for k, (a, b) in sizes.items()}
    size_row = dict(claim=10, statement='the hypernetwork is small: 2.8 % of ResNet-18 (PASS, Table 3)',
                    paper='hidden 64: ResNet-18 0.31M (2.8 %), ResNet-34 0.56M, ResNet-50 1.5M',
                    measure='parameters, hidden 64, counted by this script',
                    ours='; '.join(f'{k}: {sizes[k][0] / 1e6:.3f}M ({v:.2f} %)' for k, v in pct.items()),
                    paired_difference='', verdict='holds' if max(pct.values()) <= 3 else 'does not hold',
                    command='python benchmarks/claims.py table')
    o = read('overhead_cpu_224.csv')
    paper = {'resnet18': 3.1, 'resnet34': 4.1, 'resnet50': 16.7}
    row = dict(claim=11, statement='the hypernetwork adds little time to a stage-1 step (PASS, Table 7)',
               paper='A100: +3.1 % (ResNet-18), +4.1 % (34), +16.7 % (50)',
               measure='CPU, 224 px, batch 16, steps paired with fixed masks, 6 runs in fresh processes (README §2)',
               command='python benchmarks/overhead.py --size 224 --batch 16 --dataset fashion-mnist --name overhead_cpu_224 --steps 27')
    if o is None: return [size_row, unmeasured(row)]
    o = o[o.model.isin(list(paper))]
    # the interval over runs (one run: a bootstrap interval of its median); files written before overhead.py had one: the quartiles
    lo, hi, what = (('ratio_ci95_lo', 'ratio_ci95_hi', '95 % interval') if 'ratio_ci95_lo' in o else ('ratio_q25', 'ratio_q75', 'quartiles'))
    pct = lambda r, c: 100 * (getattr(r, c) - 1)
    ours = '; '.join(f'{r.model}: {r.overhead_pct:+.1f} % ({what} {pct(r, lo):+.1f} … {pct(r, hi):+.1f})' for r in o.itertuples())
    ok = all(pct(r, lo) <= paper[r.model] for r in o.itertuples())
    return [size_row, dict(row, ours=ours, paired_difference=f"holds where the lower end of each model's {what} is at or below the paper's figure",
                           verdict='holds' if ok else 'does not hold')]


def vpns_rows()->list:
    "Claims 12-16: VPNs against HYDRA, in half the epochs, its prompt designs and sizes, its transfer."
    hv, half = read('hydra_vpns_cpu_fmnist64/results.csv'), read('vpns_half_cpu_fmnist64/results.csv')
    st = read('vpns_cpu64.csv', dtype={'value': str})
    cmd = 'pass_nb sweep benchmarks/hydra_vpns_cpu_fmnist64.yaml'
    out = []
    row = dict(claim=12, statement='VPNs beats HYDRA at 90 % weight sparsity (VPNs)', paper='up to +3.41 % over the best baseline at 90 %',
               measure='test accuracy after 2 + 2 epochs, each method with its own recipe', command=cmd)
    if hv is None: out.append(unmeasured(row))
    else:
        d = paired(hv, 'method', 'vpns_unstructured', 'hydra', 'sparsity', 'test_acc')
        out.append(dict(row, ours=fmt_means(hv, 'method', ['vpns_unstructured', 'hydra'], 'sparsity', 'test_acc'),
                        paired_difference=f'VPNs − HYDRA: {fmt_diff(d, "sparsity")}', verdict=verdict([d])))
    row = dict(claim=13, statement="VPNs reaches HYDRA's accuracy in half its epochs (VPNs)", paper='better than HYDRA with half the epochs',
               measure='test accuracy: VPNs 1 + 1 epochs against HYDRA 2 + 2', command=cmd + ' && pass_nb sweep benchmarks/vpns_half_cpu_fmnist64.yaml')
    if hv is None or half is None: out.append(unmeasured(row))
    else:
        both = pd.concat([half.assign(method='vpns_half'), hv[hv.method == 'hydra']])
        d = paired(both, 'method', 'vpns_half', 'hydra', 'sparsity', 'test_acc')
        out.append(dict(row, ours=fmt_means(both, 'method', ['vpns_half', 'hydra'], 'sparsity', 'test_acc'),
                        paired_difference=f'VPNs (half) − HYDRA: {fmt_diff(d, "sparsity")}', verdict=verdict([d], 'reaches')))
    scmd = 'python benchmarks/studies.py vpns --scale cpu64 --studies prompt_kind prompt_size prompt_design --root ../data'
    for n, statement, paper, study, better, others in (
            (14, 'the pad prompt beats the other designs (VPNs)', 'pad above fixed and random patches and the expansive prompt',
             ('prompt_kind', 'prompt_design'), 'pad', ['expand', 'random', 'fixed']),
            (15, "pad size: the paper's 16 px border of 224 is enough, wider ones do not help (VPNs)",
             'Tiny-ImageNet: pad sizes 16 → 64 px of 224; 16 is its default', ('prompt_size',), '4', ['8', '16'])):
        row = dict(claim=n, statement=statement, paper=paper, measure='test accuracy after 2 + 2 epochs, 90 % of the weights removed', command=scmd)
        if st is None: out.append(unmeasured(row)); continue
        s = st[st.study.isin(study)].assign(setting=lambda x: x.value)
        if study == ('prompt_size',):  # the default border (8 px at 64) is the default run of every study
            s = pd.concat([s, st[(st.study == 'prompt_kind') & (st.value == 'pad')].assign(setting='8')])
        s = s.drop_duplicates(['setting', 'seed'])
        diffs = [paired(s, 'setting', better, o, 'sparsity', 'test_acc') for o in others]
        out.append(dict(row, ours=fmt_means(s, 'setting', [better, *others], 'sparsity', 'test_acc'),
                        paired_difference=' | '.join(f'{better} − {o}: {fmt_diff(d, "sparsity")}' for o, d in zip(others, diffs)),
                        verdict=verdict(diffs)))
    row = dict(claim=16, statement='VPNs subnetworks transfer across datasets (VPNs)', paper='transferred subnetworks keep their advantage',
               measure="Fashion-MNIST → digits, 90 % of the weights removed: VPNs' masks from the source, fine-tuned on the target, "
                       'against VPNs and HYDRA run on the target (2 + 2 epochs)',
               command='python benchmarks/studies.py transfer --scale vpns_cpu64 --root ../data')
    t = read('transfer_vpns_cpu64.csv')
    if t is None: out.append(unmeasured(row))
    else:
        d, best = against_best(t, 'transfer_weight_masks', level='sparsity', value='test_acc')
        out.append(dict(row, ours=fmt_means(t, 'method', ['transfer_weight_masks', 'vpns_unstructured', 'hydra'], 'sparsity', 'test_acc'),
                        paired_difference=f'transferred − best run on the target ({best}): {fmt_diff(d, "sparsity")}',
                        verdict=verdict([d], 'reaches')))
    return out


def table():
    "All claims: results/claims_cpu.{csv,md,json} and the ablations' figure results/claims_cpu.png."
    ablations, df = ablation_rows()
    res = pd.DataFrame([*ablations, pass_vs_baselines(), *transfer_rows(), *cost_rows(), *vpns_rows()])
    md = ['| # | claim | paper | measure | ours (mean ± std, 3 seeds) | paired difference (mean ± std over seeds) | verdict |',
          '|---|---|---|---|---|---|---|']
    md += [f'| {r.claim} | {r.statement} | {r.paper} | {r.measure} | {r.ours} | {r.paired_difference} | **{r.verdict}** |'
           for r in res.itertuples()]
    (RESULTS/'claims_cpu.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))
    save('claims_cpu', res, figure(df) if len(df) else None, command='python benchmarks/claims.py table', ablation_runs=len(df))


def figure(df):
    "One panel per PASS ablation: probe accuracy per setting (mean ± std over seeds), one line per MACs level."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    stats = df.groupby(['variant', 'target_macs']).probe_acc.agg(['mean', 'std'])
    studies = {n: list(dict.fromkeys([DEFAULT if c[2] is None else c[2], DEFAULT, *c[3]])) for n, c in ABLATIONS.items()}
    studies[4] = ['prompt=none', 'pad=4', DEFAULT, 'pad=16']  # in order of size (the default pad is 8 px)
    studies[5] = ['hidden=32', DEFAULT, 'hidden=256']
    fig, axes = plt.subplots(1, len(studies), figsize=(2.9 * len(studies), 3.4), sharey=True)
    for ax, (n, vs) in zip(axes, studies.items()):
        vs = [v for v in vs if v in stats.index.get_level_values(0)]
        for macs in sorted(stats.index.get_level_values(1).unique(), reverse=True):
            s = stats.xs(macs, level='target_macs').reindex(vs)
            ax.errorbar(range(len(vs)), s['mean'], s['std'], marker='o', capsize=3, label=f'MACs {macs}')
        ax.set_xticks(range(len(vs)), [{'default': 'PASS\n(default)'}.get(v, v.replace('=', '=\n')) for v in vs], fontsize=7)
        ax.set_title(f'claim {n}: {ABLATIONS[n][0].split(" (")[0]}', fontsize=7, wrap=True)
    axes[0].set_ylabel('linear-probe accuracy\n(masks before fine-tuning)'); axes[0].legend(fontsize=7)
    fig.suptitle('PASS ablations where masks matter: Lite0, 64 px Fashion-MNIST, mean ± std over 3 seeds', fontsize=10)
    return fig


if __name__ == '__main__':
    {'run': run, 'table': table}.get(sys.argv[1] if len(sys.argv) > 1 else '', lambda: sys.exit(__doc__))()
