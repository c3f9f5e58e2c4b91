"""Scale: the same PASS stage-1 run as N processes (accelerate / torchrun; gloo on CPU, NCCL on GPUs) and as one process
with the same global batch must give the same masks and metrics, within floating-point tolerance.

    python benchmarks/scale.py run --out /tmp/scale_1                                          # 1 process
    accelerate launch --cpu --num_processes 2 benchmarks/scale.py run --out /tmp/scale_2         # 2 processes (CPU)
    python benchmarks/scale.py compare /tmp/scale_1 /tmp/scale_2                              # writes results/scale_*.csv
"""
import argparse, json
from pathlib import Path

import pandas as pd
import timm, torch

from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import HyperNetwork, Budget
from pass_nb.label_mapping import LinearHead
from pass_nb.masks import ChannelGroups
from pass_nb.prompts import PromptedModel, PadPrompt
from pass_nb.training import TrainConfig, train_stage1, make_accelerator, MetricsLog
from common import save

GLOBAL_BATCH, SIZE = 32, 16


def run(out:Path, epochs:int):
    cfg = TrainConfig(stage1_epochs=epochs, stage2_epochs=0, batch_size=GLOBAL_BATCH, progress=False, seed=0)
    accelerator = make_accelerator(cfg, cpu=not torch.cuda.is_available())
    if GLOBAL_BATCH % accelerator.num_processes: raise SystemExit(f'{GLOBAL_BATCH} images do not split over {accelerator.num_processes} processes.')
    torch.manual_seed(0)
    bb = timm.create_model('test_resnet', num_classes=10)
    groups = ChannelGroups(bb, torch.rand(1, 3, SIZE, SIZE))
    model = PromptedModel(PadPrompt(SIZE, pad=2), bb, LinearHead(10, 4))
    hnet = HyperNetwork(groups, Budget(sparsity=0.5), SIZE, hidden=16)
    data = get_dataset('synthetic', size=SIZE, n_train=160, n_test=16, num_classes=4, val_fraction=0.2)
    per_process = GLOBAL_BATCH // accelerator.num_processes  # each process takes whole batches of this size, in turn
    train = make_loader(data.train, batch_size=per_process, train=True, seed=0)
    val = make_loader(data.val, batch_size=per_process)
    r = train_stage1(model, groups, hnet, train, val, cfg, out, accelerator=accelerator)
    if accelerator.is_main_process:
        (out/'result.json').write_text(json.dumps(dict(processes=accelerator.num_processes, masks=[m.tolist() for m in r.masks],
                                                       val_acc=r.validation.val_acc, val_loss=r.validation.val_loss)))


def compare(one:Path, many:Path):
    a, b = (json.loads((p/'result.json').read_text()) for p in (one, many))
    ra, rb = MetricsLog(one).rows(), MetricsLog(many).rows()
    flips = sum(int(x != y) for ma, mb in zip(a['masks'], b['masks']) for x, y in zip(ma, mb))
    rows = [dict(epoch=int(x['epoch']), processes_a=a['processes'], processes_b=b['processes'],
                 train_loss_a=float(x['train_loss']), train_loss_b=float(y['train_loss']),
                 val_loss_a=float(x['val_loss']), val_loss_b=float(y['val_loss']),
                 val_acc_a=float(x['val_acc']), val_acc_b=float(y['val_acc'])) for x, y in zip(ra, rb)]
    df = pd.DataFrame(rows)
    df['train_loss_diff'] = (df.train_loss_a - df.train_loss_b).abs()
    df['val_loss_diff'] = (df.val_loss_a - df.val_loss_b).abs()
    df['mask_flips_final'] = flips
    print(df.to_string(index=False))
    print(save(f"scale_{a['processes']}v{b['processes']}", df, None, units=sum(map(len, a['masks'])), mask_flips=flips,
               global_batch=GLOBAL_BATCH))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('run'); r.add_argument('--out', required=True); r.add_argument('--epochs', type=int, default=3)
    c = sub.add_parser('compare'); c.add_argument('one'); c.add_argument('many')
    a = p.parse_args()
    run(Path(a.out), a.epochs) if a.cmd == 'run' else compare(Path(a.one), Path(a.many))
