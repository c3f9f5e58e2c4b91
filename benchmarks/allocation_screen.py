"""Which matters more for mask quality here, the ranking of units within a group or the groups' shares of the budget?

For one seed, every pair (ranking, shares) of three rankings (group L1, root-layer magnitude, GrowReg's trained
importance) and three share rules (uniform, the magnitude prior's global z-score, GrowReg's global threshold) is probed
the same way as benchmarks/mask_quality.py (same data, base model, probe), at each MACs level.

    python allocation_screen.py --dataset fashion-mnist --max-eval 2000 --seeds 0 --out mq_fmnist_allocation
"""
import copy, time
import pandas as pd
import torch
import torch.nn.functional as F
import mask_quality as mq
from pass_nb.baselines import baseline_scores, make_regularizer, sparse_train
from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import Budget
from pass_nb.masks import ChannelGroups, masks_from_counts
from pass_nb.training import TrainConfig, linear_probe, unit_magnitudes
from common import RESULTS


def taylor_scores(base, size, loader):
    "First-order Taylor importance: each unit's squared mask gradient of the stage-1 loss, summed over one epoch."
    model = copy.deepcopy(base).train(); model.backbone.requires_grad_(False)
    g = ChannelGroups(model.backbone, torch.rand(1, 3, size, size))
    masks = [torch.ones(n, requires_grad=True) for n in g.n_units]
    total = [torch.zeros(n) for n in g.n_units]
    with g.apply_masks(masks):
        for x, y in loader:
            grads = torch.autograd.grad(F.cross_entropy(model(x), y), masks)
            for t, gr in zip(total, grads): t += gr.detach() ** 2
    return total


def main():
    p = mq.regime_parser(__doc__, 'mq_allocation')
    p.add_argument('--seeds', type=int, nargs='+', default=[0]); p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--rankings', nargs='+', default=['group_l1', 'magnitude', 'growreg'])
    p.add_argument('--shares', nargs='+', default=['uniform', 'magnitude', 'growreg'])
    a = p.parse_args()
    csv = RESULTS/f'{a.out}.csv'
    have = set()
    if csv.exists(): have = {(int(r.seed), float(r.target_macs), r.ranking, r.shares) for r in pd.read_csv(csv).itertuples()}
    data = get_dataset(a.dataset, root=a.root, size=a.size, seed=0, max_train=a.max_train, max_eval=a.max_eval)
    for seed in a.seeds:
        base, spec = mq.base_model(a, data, seed)
        groups = ChannelGroups(base.backbone, torch.rand(1, 3, a.size, a.size))
        cfg = TrainConfig(stage1_epochs=a.epochs, batch_size=a.batch_size, progress=False, seed=seed)
        train_dl = make_loader(data.train, a.batch_size, train=True, seed=seed)
        probe_train, val_dl = make_loader(data.train, 128), make_loader(data.val, 128)
        rankings = {'group_l1': baseline_scores('group_l1', groups),
                    'magnitude': [(v - v.mean()) / v.std() for v in unit_magnitudes(groups)]}
        if 'growreg' in a.rankings + a.shares:
            m = copy.deepcopy(base); g = ChannelGroups(m.backbone, torch.rand(1, 3, a.size, a.size))
            sparse_train(m, make_regularizer('growreg', g), train_dl, cfg, a.epochs)
            rankings['growreg'] = baseline_scores('growreg', g, seed)
        if 'taylor' in a.rankings + a.shares: rankings['taylor'] = taylor_scores(base, a.size, train_dl)
        for macs in a.macs:
            b = Budget(target_macs=macs)
            shares = {s: Budget(target_macs=macs, allocation='uniform').final(groups, rankings['group_l1']) if s == 'uniform'
                      else b.final(groups, rankings[s]) for s in a.shares}
            for sname, smasks in shares.items():
                counts = [int(x.sum()) for x in smasks]
                for rname in a.rankings:
                    scores = rankings[rname]
                    if (seed, macs, rname, sname) in have: continue
                    t0 = time.time()
                    masks = masks_from_counts(scores, counts)
                    acc = linear_probe(base, groups, masks, probe_train, val_dl, seed=seed)
                    row = dict(dataset=a.dataset, seed=seed, target_macs=macs, ranking=rname, shares=sname,
                               macs_kept=groups.predict_macs(masks) / groups.dense_macs, probe_acc=acc,
                               seconds=round(time.time() - t0, 1))
                    print(row, flush=True); mq.append_row(csv, row)
    df = pd.read_csv(csv)
    print(df.pivot_table(index=['target_macs', 'ranking'], columns='shares', values='probe_acc').round(3).to_string())


if __name__ == '__main__':
    main()
