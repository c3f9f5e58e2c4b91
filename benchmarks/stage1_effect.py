"""Does PASS's stage 1 improve its masks over its own start? The same probe before and after, with and without the prompt.

For each MACs level: the hypernetwork's masks at initialisation (the z-scored magnitude start) and after a stage 1 of
`--epochs` epochs, each judged by `pass_nb.training.linear_probe` on the pristine pretrained backbone (BatchNorm
recalibrated under the masks), once without a prompt (as `mask_quality.py` judges every method) and once through the
prompt stage 1 learned. Also: how many units the masks changed.

    python benchmarks/stage1_effect.py --macs 0.5 0.7 0.3   # Fashion-MNIST 64 px, ~4 minutes a level alone on the 2-core CPU
"""
import copy, sys

import pandas as pd
import torch

from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import Budget, HyperNetwork
from pass_nb.masks import ChannelGroups
from pass_nb.models import create_model
from pass_nb.prompts import PromptedModel
from pass_nb.training import TrainConfig, linear_probe, train_stage1
from common import save
from mask_quality import base_model, regime_parser


def main():
    p = regime_parser(__doc__, 'stage1_effect_cpu')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    data = get_dataset(a.dataset, root=a.root, size=a.size, seed=0, max_train=a.max_train, max_eval=a.max_eval)
    tl, vl = make_loader(data.train, 64), make_loader(data.val, 64)
    base, spec = base_model(a, data, a.seed)
    rows = []
    for t in a.macs:
        model = copy.deepcopy(base)
        groups = ChannelGroups(model.backbone, torch.rand(1, 3, a.size, a.size))
        torch.manual_seed(a.seed)
        gen = HyperNetwork(groups, Budget(target_macs=t), a.size, mean=spec.mean, std=spec.std)
        with torch.no_grad(): start = [m.clone() for m in gen.budget.final(groups, gen.scores(model.prompt))]
        cfg = TrainConfig(stage1_epochs=a.epochs, batch_size=64, seed=a.seed, progress=False)
        r = train_stage1(model, groups, gen, make_loader(data.train, 64, train=True, seed=a.seed), vl, cfg,
                         f'runs/stage1_effect/{a.dataset}-{t}-s{a.seed}')
        end = [m.cpu() for m in r.masks]
        bb = create_model(spec.name, pretrained=True).eval()
        fresh = PromptedModel(copy.deepcopy(model.prompt), bb, None, spec.mean, spec.std)
        fg = ChannelGroups(bb, torch.rand(1, 3, a.size, a.size))
        row = dict(dataset=a.dataset, size=a.size, seed=a.seed, target_macs=t, epochs=a.epochs, stage1_val_acc=r.validation.val_acc,
                   units=groups.total_units, units_changed=sum(int((x != y).sum()) for x, y in zip(start, end)))
        for when, masks in (('start', start), ('end', end)):
            row[f'probe_{when}'] = linear_probe(fresh, fg, masks, tl, vl, seed=a.seed)
            row[f'probe_{when}_prompt'] = linear_probe(fresh, fg, masks, tl, vl, use_prompt=True, seed=a.seed)
        print(row, flush=True); rows.append(row)
    save(a.out, pd.DataFrame(rows), command=' '.join(sys.argv))


if __name__ == '__main__': main()
