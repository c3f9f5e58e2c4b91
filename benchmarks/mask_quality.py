"""Mask quality before fine-tuning: every method's masks judged the same way on the frozen pretrained backbone.

For each seed, method and MACs level the method finds its masks (the learned ones with a stage 1 of `--epochs`
epochs, the sparse-training baselines with as many epochs of their regularised training, once per seed); then
`pass_nb.training.linear_probe` puts the masks on the *pristine* pretrained backbone, recalibrates its BatchNorm
statistics under them, and scores a logistic regression on the pooled features (no prompt: only the masks are
judged). Every method sees the same data, label mapping (`flm_linear` for the methods that train one) and epochs.

    python benchmarks/mask_quality.py --dataset fashion-mnist --out mask_quality_cpu_fmnist   # ~1 h on the 2-core CPU
    python benchmarks/mask_quality.py --dataset digits --out mask_quality_cpu_digits

Rows are appended to results/<out>.csv as they finish; a rerun skips the rows already there (kill-safe).
"""
import argparse, ast, copy, time
from pathlib import Path

import pandas as pd
import torch

from pass_nb.baselines import baseline_scores, make_regularizer, sparse_train, SPARSE_METHODS
from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import Budget, HyperNetwork, prompt_sensitivity
from pass_nb.label_mapping import make_label_map
from pass_nb.masks import ChannelGroups
from pass_nb.models import create_model, model_spec
from pass_nb.prompts import PromptedModel, make_prompt
from pass_nb.training import TrainConfig, ChannelScores, linear_probe, train_stage1, unit_magnitudes
from common import save, RESULTS

ONE_SHOT = ('random', 'group_l1', 'uniform_l1', 'magnitude')  # 'magnitude': z-scored |W| per group = PASS's start
LEARNED = ('pass', 'vpns')
METHODS = LEARNED + ONE_SHOT + tuple(SPARSE_METHODS)


def base_model(a, data, seed):
    "The prompted pretrained backbone with its label map (FLM start, learned linear), the same for every method of a seed."
    spec = model_spec(a.model)
    torch.manual_seed(seed)
    bb = create_model(spec.name, pretrained=True).eval()
    kw = {'pad': a.pad if a.pad is not None else max(1, a.size // 8)} if a.prompt == 'pad' else {}
    model = PromptedModel(make_prompt(a.prompt, a.size, **kw), bb, None, spec.mean, spec.std)
    model.label_map = make_label_map('flm_linear', spec.num_classes, data.num_classes, model=model,
                                     loader=make_loader(data.train, 128), progress=False)
    return model, spec


def one_shot_masks(method, groups, budget, seed):
    if method == 'magnitude': scores = [(v - v.mean()) / v.std() for v in unit_magnitudes(groups)]
    else: scores = baseline_scores(method, groups, seed)
    b = Budget(target_macs=budget.target_macs, allocation='uniform') if method == 'uniform_l1' else budget
    return b.final(groups, scores)


def learned_masks(method, base, spec, budget, size, train_dl, val_dl, cfg, run_dir, mask_at='all', hnet_kw=None):
    "Stage 1 of PASS (hypernetwork) or structured VPNs (one score per unit) on a copy of the frozen model."
    model = copy.deepcopy(base)
    groups = ChannelGroups(model.backbone, torch.rand(1, 3, size, size), mask_at=mask_at)
    gen = (HyperNetwork(groups, budget, size, mean=spec.mean, std=spec.std, **(hnet_kw or {})) if method == 'pass'
           else ChannelScores(groups, budget, init='relative'))
    r = train_stage1(model, groups, gen, train_dl, val_dl, cfg, run_dir)
    extra = {'stage1_val_acc': r.validation.val_acc}
    if method == 'pass': extra['prompt_units_flipped'] = prompt_sensitivity(gen, model.prompt)['units_flipped']
    return [m.cpu() for m in r.masks], extra


def regime_parser(doc:str, out:str)->argparse.ArgumentParser:
    "The options of the mask-quality regime (task, backbone, size, data, epochs, MACs levels), shared by its studies."
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='fashion-mnist'); p.add_argument('--model', default='efficientnet_lite0')
    p.add_argument('--size', type=int, default=64); p.add_argument('--max-train', type=int, default=2000)
    p.add_argument('--max-eval', type=int, default=400); p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--macs', type=float, nargs='+', default=[0.7, 0.5, 0.3])
    p.add_argument('--root', default='data'); p.add_argument('--out', default=out)
    p.add_argument('--prompt', default='pad', help="the prompt stage 1 learns with the masks ('pad', 'expand', 'none', ...)")
    p.add_argument('--pad', type=int, default=None, help="the pad prompt's border in pixels (default: size // 8)")
    return p


def main():
    p = regime_parser(__doc__, 'mask_quality_cpu')
    p.add_argument('--batch-size', type=int, default=64); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--methods', nargs='+', default=list(METHODS), choices=METHODS)
    p.add_argument('--stage1-val', type=int, default=400, help="validation images of the learned methods' stage 1 (its "
                   'per-epoch check; the probe scores on all --max-eval of them)')
    p.add_argument('--mask-at', default='all', help="where the learned methods' masks apply in stage 1 (see `ChannelGroups`)")
    p.add_argument('--generator-lr', type=float, default=None, help="the learned methods' mask-generator learning rate "
                   '(default: TrainConfig\'s, 1e-3)')
    p.add_argument('--allocation', default='global', choices=['global', 'uniform'],
                   help="the learned methods' allocation of the MACs budget over the groups (see `Budget`)")
    p.add_argument('--hnet', nargs='*', default=[], metavar='KEY=VALUE',
                   help="PASS's HyperNetwork options for a study, e.g. rank=16 (values are Python literals)")
    a = p.parse_args()
    hnet_kw = {k: ast.literal_eval(v) for k, v in (kv.split('=', 1) for kv in a.hnet)}
    csv, runs = RESULTS/f'{a.out}.csv', RESULTS/a.out
    done = pd.read_csv(csv) if csv.exists() else pd.DataFrame(columns=['seed', 'method', 'target_macs'])
    have = {(int(r.seed), r.method, float(r.target_macs)) for r in done.itertuples()}
    data = get_dataset(a.dataset, root=a.root, size=a.size, seed=0, max_train=a.max_train, max_eval=a.max_eval)
    for seed in a.seeds:
        base, spec = base_model(a, data, seed)
        groups = ChannelGroups(base.backbone, torch.rand(1, 3, a.size, a.size))
        cfg = TrainConfig(stage1_epochs=a.epochs, batch_size=a.batch_size, progress=False, seed=seed,
                          **({'generator_lr': a.generator_lr} if a.generator_lr else {}))
        train_dl = make_loader(data.train, a.batch_size, train=True, seed=seed)
        probe_train, val_dl = make_loader(data.train, 128), make_loader(data.val, 128)
        stage1_val = make_loader(torch.utils.data.Subset(data.val, range(min(len(data.val), a.stage1_val))), 128)
        dense = linear_probe(base, None, None, probe_train, val_dl, seed=seed)
        trained = {}  # sparse-training baselines: one regularised training per seed, pruned to every level
        for method in a.methods:
            for macs in a.macs:
                if (seed, method, macs) in have: continue
                t0, budget, extra = time.time(), Budget(target_macs=macs), {}
                if method in ONE_SHOT: masks = one_shot_masks(method, groups, budget, seed)
                elif method in LEARNED:
                    budget = Budget(target_macs=macs, allocation=a.allocation)
                    masks, extra = learned_masks(method, base, spec, budget, a.size, train_dl, stage1_val, cfg,
                                                 runs/f'{method}-macs{macs}-s{seed}', a.mask_at, hnet_kw)
                else:
                    if method not in trained:
                        m = copy.deepcopy(base)
                        g = ChannelGroups(m.backbone, torch.rand(1, 3, a.size, a.size))
                        sparse_train(m, make_regularizer(method, g), train_dl, cfg, a.epochs)
                        trained[method] = baseline_scores(method, g, seed)
                    masks = budget.final(groups, trained[method])
                accuracy = linear_probe(base, groups, masks, probe_train, val_dl, seed=seed)
                row = dict(dataset=a.dataset, size=a.size, seed=seed, method=method, target_macs=macs,
                           macs_kept=groups.predict_macs(masks) / groups.dense_macs, probe_acc=accuracy, dense_probe_acc=dense,
                           epochs=a.epochs if method not in ONE_SHOT else 0, seconds=round(time.time() - t0, 1), **extra)
                print(row, flush=True)
                append_row(csv, row)
    report(pd.read_csv(csv), a.out)


def append_row(csv:Path, row:dict):
    "Append `row` to `csv`, rewriting it with more columns when the row brings new ones (one-shot rows have fewer)."
    new = pd.DataFrame([row])
    if csv.exists():
        old = pd.read_csv(csv)
        if set(new.columns) - set(old.columns): pd.concat([old, new]).to_csv(csv, index=False); return
        new = new.reindex(columns=old.columns)
    new.to_csv(csv, mode='a', header=not csv.exists(), index=False)


def report(df, out):
    "Mean ± std per method and level, the paired difference of PASS to the best other method, and a figure."
    t = df.groupby(['method', 'target_macs']).probe_acc.agg(['mean', 'std', 'count']).reset_index()
    rows = []
    for macs, d in df.groupby('target_macs'):
        piv = d.pivot_table(index='seed', columns='method', values='probe_acc')
        if 'pass' not in piv or len(piv.columns) < 2: continue  # nothing to pair PASS with
        others = piv.drop(columns='pass').mean().sort_values(ascending=False)
        best = others.index[0]
        diff = (piv['pass'] - piv[best]).dropna()
        rows.append(dict(target_macs=macs, pass_mean=piv['pass'].mean(), best_other=best, best_other_mean=others.iloc[0],
                         paired_diff_mean=diff.mean(), paired_diff_std=diff.std(), seeds=len(diff),
                         separated=bool(diff.mean() > diff.std())))
    paired = pd.DataFrame(rows)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for m, d in t.groupby('method'):
        ax.errorbar(d.target_macs, d['mean'], d['std'], marker='o', capsize=3, label=m, lw=2.5 if m == 'pass' else 1)
    ax.axhline(df.dense_probe_acc.mean(), color='k', ls=':', label='dense')
    ax.set(xlabel='MACs kept', ylabel='linear-probe accuracy before fine-tuning',
           title=f'{df.dataset.iloc[0]}, {df["size"].iloc[0]} px, {df.seed.nunique()} seeds')
    ax.legend(fontsize=7, ncol=2)
    print(t.to_string(index=False)); print(paired.to_string(index=False))
    save(f'{out}_summary', t, fig, rows=len(df))
    paired.to_csv(RESULTS/f'{out}_paired.csv', index=False)
    (RESULTS/f'{out}_table.md').write_text(markdown_table(t) + '\n')


def markdown_table(t)->str:
    "Methods x MACs levels, mean ± std (seeds), the best mean of each level in bold."
    levels = sorted(t.target_macs.unique(), reverse=True)
    best = {m: t[t.target_macs == m]['mean'].max() for m in levels}
    order = t.groupby('method')['mean'].mean().sort_values(ascending=False).index
    lines = ['| method | ' + ' | '.join(f'MACs {m}' for m in levels) + ' | mean |', '|---' * (len(levels) + 2) + '|']
    for meth in order:
        d = t[t.method == meth].set_index('target_macs')
        cells = []
        for m in levels:
            if m not in d.index: cells.append('–'); continue
            c = f"{d.loc[m, 'mean']:.3f} ± {d.loc[m, 'std']:.3f} ({int(d.loc[m, 'count'])})"
            cells.append(f'**{c}**' if d.loc[m, 'mean'] == best[m] else c)
        lines.append(f'| {meth} | ' + ' | '.join(cells) + f" | {d['mean'].mean():.3f} |")
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
