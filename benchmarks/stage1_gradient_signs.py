"""How consistently each group's units are pushed in PASS's stage 1 (benchmarks/README.md §8).

Runs PASS's stage 1 as mask_quality.py does (one seed, one MACs level) and records, at every step, the gradient of
the loss with respect to each unit's score (what the straight-through estimator gives the hypernetwork's per-unit
bias). Per group: the mean over units of |mean over steps of sign(gradient)| (1: every step pushes the same way; near
0: the sign flips at random), the mean |gradient|, and the units kept at the start and at the end.

    python stage1_gradient_signs.py --dataset fashion-mnist --max-eval 2000 --macs 0.7 --out stage1_gradient_signs
"""
import copy
import pandas as pd
import torch
import mask_quality as mq
from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import Budget, HyperNetwork
from pass_nb.masks import ChannelGroups
from pass_nb.training import TrainConfig, train_stage1
from common import save


def main():
    p = mq.regime_parser(__doc__, 'stage1_gradient_signs')
    p.add_argument('--seed', type=int, default=0); p.add_argument('--batch-size', type=int, default=64)
    a = p.parse_args()
    data = get_dataset(a.dataset, root=a.root, size=a.size, seed=0, max_train=a.max_train, max_eval=a.max_eval)
    base, spec = mq.base_model(a, data, a.seed)
    rows = []
    for macs in a.macs:
        model = copy.deepcopy(base)
        groups = ChannelGroups(model.backbone, torch.rand(1, 3, a.size, a.size))
        hnet = HyperNetwork(groups, Budget(target_macs=macs), a.size, mean=spec.mean, std=spec.std)
        with torch.no_grad(): start = [m.detach() for m in hnet.eval()(model.prompt)]
        hnet.train()
        signs, mags = [], []
        def record(state):
            g = state.generator.heads.bias.grad
            if g is not None: signs.append(g.sign()); mags.append(g.abs())
        cfg = TrainConfig(stage1_epochs=a.epochs, batch_size=a.batch_size, progress=False, seed=a.seed)
        r = train_stage1(model, groups, hnet, make_loader(data.train, a.batch_size, train=True, seed=a.seed),
                         None, cfg, mq.RESULTS/a.out/f'pass-macs{macs}-s{a.seed}', on_step=record)
        S, M = torch.stack(signs).mean(0).abs(), torch.stack(mags).mean(0)
        for i, (g, s0, s1) in enumerate(zip(groups, start, r.masks)):
            lo, hi = hnet.heads.offsets[i], hnet.heads.offsets[i + 1]
            rows.append(dict(target_macs=macs, group=i, name=g.name, units=g.n_units, macs_per_unit=groups.unit_costs()[i],
                             sign_consistency=float(S[lo:hi].mean()), mean_abs_grad=float(M[lo:hi].mean()),
                             kept_start=int(s0.sum()), kept_end=int(s1.sum()), steps=len(signs)))
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 3.6))
    for macs, d in df.groupby('target_macs'):
        ax1.plot(d.group, d.mean_abs_grad, marker='o', label=f'MACs {macs}')
        ax2.plot(d.group, d.sign_consistency, marker='o', label=f'MACs {macs}')
        ax3.plot(d.group, (d.kept_end - d.kept_start) / d.units, marker='o', label=f'MACs {macs}')
    chance = (2 / (torch.pi * df.steps.iloc[0])) ** 0.5  # E|mean of n random signs| ≈ sqrt(2 / (π n))
    ax2.axhline(chance, color='k', ls=':', label='random signs'); ax3.axhline(0, color='k', lw=0.5)
    ax1.set(yscale='log', xlabel='channel group (forward order)', ylabel='mean |gradient| of a unit\'s score')
    ax2.set(xlabel='channel group (forward order)', ylabel='sign consistency over the steps', ylim=(0, 0.3))
    ax3.set(xlabel='channel group (forward order)', ylabel='change of the kept fraction in stage 1')
    for ax in (ax1, ax2, ax3): ax.legend(fontsize=7)
    fig.suptitle(f'PASS stage 1, {a.dataset}, {a.size} px, seed {a.seed}, {a.epochs} epochs', fontsize=9)
    save(a.out, df, fig, seed=a.seed)


if __name__ == '__main__':
    main()
