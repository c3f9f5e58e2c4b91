"""Hypernetwork overhead: a stage-1 step of PASS (prompt + LSTM hypernetwork -> masks -> backbone) against the same
step with fixed masks (`pass_nb.transfer.FixedMasks`: prompt only), timed in one run through the real trainer
(`pass_nb.training.train_stage1`), on ResNet-18/34/50. Reports the median step-time ratio and, on CUDA, the peak
memory ratio. The PASS paper (Table 7, A100, 224 px) shows 3-17 %; our target is <= 5 % on GPU at 224 px, batch 128.

    python benchmarks/overhead.py                                  # CPU variant: 64 px, batch 16
    python benchmarks/overhead.py --size 224 --batch 128 --steps 30   # GPU
"""
import argparse, tempfile, time
from pathlib import Path

import pandas as pd
import torch, torchvision

from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import HyperNetwork, Budget, count_parameters
from pass_nb.label_mapping import LinearHead
from pass_nb.masks import ChannelGroups
from pass_nb.prompts import PromptedModel, PadPrompt
from pass_nb.training import TrainConfig, train_stage1, make_accelerator
from pass_nb.transfer import FixedMasks
from common import save


def step_times(arch:str, generator:str, size:int, batch:int, steps:int, acc)->dict:
    "Median stage-1 step time (s) and CUDA peak memory of one configuration."
    torch.manual_seed(0)
    bb = getattr(torchvision.models, arch)()
    groups = ChannelGroups(bb, torch.rand(1, 3, size, size))
    model = PromptedModel(PadPrompt(size, pad=max(1, size // 14)), bb, LinearHead(1000, 10))
    budget = Budget(sparsity=0.5)
    hnet = HyperNetwork(groups, budget, size)
    gen = hnet if generator == 'hypernetwork' else FixedMasks([m.detach() for m in hnet(model.prompt)])
    data = get_dataset('synthetic', size=size, n_train=batch * (steps + 3), n_test=8, num_classes=10, val_fraction=0.0)
    dl = make_loader(data.train, batch_size=batch, train=True, seed=0, device=acc.device.type)
    stamps = []
    def on_step(_):
        if acc.device.type == 'cuda': torch.cuda.synchronize()
        stamps.append(time.perf_counter())
    if acc.device.type == 'cuda': torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    cfg = TrainConfig(stage1_epochs=1, stage2_epochs=0, batch_size=batch, progress=False)
    with tempfile.TemporaryDirectory() as d: train_stage1(model, groups, gen, dl, None, cfg, d, accelerator=acc, on_step=on_step)
    gaps = torch.tensor(stamps[3:], dtype=torch.float64).diff()  # from one step's backward to the next: a whole step; 3 warm-up steps dropped
    return dict(step_ms=1e3 * float(gaps.median()),
                peak_mem_mb=torch.cuda.max_memory_allocated() / 2**20 if acc.device.type == 'cuda' else float('nan'),
                generator_params=count_parameters(hnet), backbone_params=count_parameters(bb))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18', 'resnet34', 'resnet50'])
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=16)
    p.add_argument('--steps', type=int, default=12); p.add_argument('--repeats', type=int, default=2)
    a = p.parse_args(argv)
    acc = make_accelerator(TrainConfig())
    rows = []
    for arch in a.models:
        for r in range(a.repeats):  # alternate the two so that drift in machine load hits both
            for gen in ('fixed', 'hypernetwork'):
                rows.append(dict(model=arch, repeat=r, generator=gen, device=acc.device.type, size=a.size, batch=a.batch,
                                 **step_times(arch, gen, a.size, a.batch, a.steps, acc)))
                print(rows[-1], flush=True)
    raw = pd.DataFrame(rows)
    t = raw.groupby(['model', 'generator']).agg(step_ms=('step_ms', 'min'), peak_mem_mb=('peak_mem_mb', 'max'),
                                                 generator_params=('generator_params', 'first'),
                                                 backbone_params=('backbone_params', 'first')).reset_index()
    w = t.pivot(index='model', columns='generator').reindex(a.models)
    out = pd.DataFrame({'model': a.models, 'device': acc.device.type, 'size': a.size, 'batch': a.batch,
                        'step_ms_fixed': w['step_ms']['fixed'].values, 'step_ms_hypernetwork': w['step_ms']['hypernetwork'].values,
                        'hypernetwork_params': w['generator_params']['hypernetwork'].values,
                        'backbone_params': w['backbone_params']['hypernetwork'].values})
    out['time_ratio'] = out.step_ms_hypernetwork / out.step_ms_fixed
    out['overhead_pct'] = 100 * (out.time_ratio - 1)
    out['mem_ratio'] = (w['peak_mem_mb']['hypernetwork'] / w['peak_mem_mb']['fixed']).values
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.bar(out.model, out.overhead_pct, color='tab:blue'); ax.axhline(5, ls='--', c='grey', label='target 5 %')
    ax.set(ylabel='stage-1 step overhead (%)', title=f'hypernetwork overhead, {acc.device.type}, {a.size} px, batch {a.batch}')
    ax.legend()
    name = f'overhead_{acc.device.type}'
    print(out.to_string(index=False)); print(save(name, out, fig, steps=a.steps, repeats=a.repeats, statistic='min over repeats of the median step'))


if __name__ == '__main__': main()
