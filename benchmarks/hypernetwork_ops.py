"""Operations of one hypernetwork step, by part: how many ATen operations the hypernetwork's forward and backward issue
on ResNet-18/34/50, and how many of them do arithmetic (on a GPU each of those is a kernel launch; views and
metadata calls are not). The count is taken with torch's profiler on one step after three steps of random mask
gradients, so the walk over the groups meets its memo about as a training step does (a group whose input mask changed
since the last step is recomputed: `walk_misses`). On the lent H200 (benchmarks README §7) the hypernetwork took 10-26 ms
a step whatever the batch: this says where its operations are.

    python benchmarks/hypernetwork_ops.py                 # CPU, 64 px: results/hypernetwork_ops_cpu.*
"""
import argparse, collections, functools, warnings

import pandas as pd
import torch, torchvision
from torch.profiler import profile, ProfilerActivity, record_function

import pass_nb.hypernetwork as H
from pass_nb.masks import ChannelGroups
from pass_nb.prompts import PadPrompt
from common import save

PARTS = {'embed_prompt': 'encoder', '_recurrence': 'walk', '_body_pass': 'body'}  # HyperNetwork methods -> part
NOT_ARITHMETIC = {  # views, metadata and host reads: no kernel of their own
    'view', 'slice', 'select', 'chunk', 'split', 'split_with_sizes', 'lift_fresh', 'detach', 'alias', 't', 'transpose',
    'expand', 'as_strided', 'unsqueeze', 'squeeze', 'reshape', '_unsafe_view', 'unbind', 'narrow', 'permute', 'flatten',
    'contiguous', 'result_type', 'empty', 'empty_like', 'empty_strided', 'new_empty_strided', 'zeros', 'to', '_to_copy',
    'item', '_local_scalar_dense', 'is_nonzero', 'numel', 'resolve_conj', 'resolve_neg'}


def labelled(f, label:str):
    "`f` with its calls marked as `label` in the profile."
    @functools.wraps(f)
    def call(*a, **kw):
        with record_function(label): return f(*a, **kw)
    return call


def part_of(event, main_thread:int)->str:
    "The innermost marked part an operation ran in ('backward' in autograd's own threads; 'outside': the loss and the optimiser)."
    p = event.cpu_parent
    while p is not None:
        if p.name.startswith('part:'): return p.name[5:]
        p = p.cpu_parent
    return 'outside' if event.thread == main_thread else 'backward'


def is_outermost(event)->bool:
    "An ATen operation not called by another ATen operation (a composite's own calls are not counted twice)."
    p = event.cpu_parent
    while p is not None:
        if p.name.startswith('aten::'): return False
        p = p.cpu_parent
    return True


def count(arch:str, size:int)->list:
    "Rows (model, part, operations, arithmetic operations) of one profiled hypernetwork step."
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        groups = ChannelGroups(getattr(torchvision.models, arch)(), torch.rand(1, 3, size, size))
    hnet, prompt = H.HyperNetwork(groups, H.Budget(sparsity=0.5), size).train(), PadPrompt(size, pad=max(1, size // 14))
    opt = torch.optim.SGD([*hnet.parameters(), *prompt.parameters()], lr=1e-3)
    def step(grads):
        with record_function('part:other forward'): masks = hnet(prompt)  # the budget's top-k, the straight-through masks
        loss = sum((m * g).sum() for m, g in zip(masks, grads))
        with record_function('part:backward'): loss.backward()
        opt.step(); opt.zero_grad()
    for _ in range(3): step([torch.randn(n) for n in groups.n_units])
    with profile(activities=[ProfilerActivity.CPU]) as prof: step([torch.randn(n) for n in groups.n_units])
    ops = [e for e in prof.events() if e.name.startswith('aten::') and is_outermost(e)]
    main_thread = next(e.thread for e in prof.events() if e.name == 'part:other forward')
    n, arith = collections.Counter(), collections.Counter()
    for e in ops:
        part = part_of(e, main_thread); n[part] += 1; arith[part] += e.name[6:] not in NOT_ARITHMETIC
    misses = sum(e.name == 'aten::std_mean' and part_of(e, main_thread) == 'walk' for e in ops)  # one per recomputed statistic
    return [dict(model=arch, groups=len(groups), walk_misses=misses, part=k, operations=n[k], arithmetic=arith[k]) for k in n if k != 'outside']


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18', 'resnet34', 'resnet50'])
    p.add_argument('--size', type=int, default=64); p.add_argument('--name', default='hypernetwork_ops_cpu')
    a = p.parse_args(argv)
    for method, part in PARTS.items(): setattr(H.HyperNetwork, method, labelled(getattr(H.HyperNetwork, method), f'part:{part}'))
    H.UnitHeads.forward = labelled(H.UnitHeads.forward, 'part:heads')
    H.Budget.step_flat = labelled(H.Budget.step_flat, 'part:budget')
    df = pd.DataFrame([r for arch in a.models for r in count(arch, a.size)])
    table = df.pivot_table(index='model', columns='part', values='arithmetic', sort=False).fillna(0).astype(int)
    table['total'] = table.sum(axis=1); table['walk_share'] = (table['walk'] / table['total']).round(3)
    print(df.to_string(index=False)); print(table.to_string())
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.2))
    table.drop(columns=['total', 'walk_share']).plot.bar(stacked=True, ax=ax, rot=0)
    ax.set(ylabel='arithmetic operations per step', title=f'hypernetwork step, {a.size} px: operations by part')
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc='upper left')
    print(save(a.name, df, fig, size=a.size, table=table.reset_index().to_dict('records')))


if __name__ == '__main__': main()
