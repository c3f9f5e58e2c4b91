"""Hypernetwork overhead: a stage-1 step of PASS (prompt + LSTM hypernetwork -> masks -> backbone) against the same
step with fixed masks (`pass_nb.transfer.FixedMasks`: prompt only), timed in one run through the real trainer
(`pass_nb.training.train_stage1`), on ResNet-18/34/50. The two configurations take steps in turns, each in a process of
its own; this is repeated in `--runs` fresh pairs of processes. Reports the mean over the runs of each run's median
step-time ratio and a 95 % t-interval over the runs. The PASS paper (Table 7, A100, 224 px) shows 3.1 / 4.1 / 16.7 %;
our targets are <= 3 % on the CPU at 224 px and <= 8 % at 64 px (and <= 5 % on a GPU at 224 px, batch 128).

    python benchmarks/overhead.py                                  # CPU variant: 64 px, batch 16, 6 runs of 24 steps
    python benchmarks/overhead.py --size 224 --batch 16 --dataset fashion-mnist --steps 27  # CPU, the GPU's image size, real images
    python benchmarks/overhead.py --size 224 --batch 128 --steps 30 --runs 3 --workers 6   # GPU (loader workers: see --workers)
    python benchmarks/overhead.py --size 224 --batch 16 --parts       # where the overhead is: masks, their gradients, LSTM
    python benchmarks/overhead.py --size 224 --batch 16 --dataset fashion-mnist --mask-at after_norm --name overhead_cpu_224_after_norm
    python benchmarks/overhead.py --control --name overhead_cpu_control   # fixed masks in both turns: the harness's own reading
    python benchmarks/overhead.py --split --steps 60 --name overhead_split_cpu   # where the extra time of a step goes
"""
import argparse, math, multiprocessing as mp, os, queue, statistics, tempfile, time
from pathlib import Path

import pandas as pd
import torch, torchvision
from scipy import stats
from tqdm.auto import tqdm

from pass_nb.data import get_dataset, make_loader
from pass_nb.hypernetwork import HyperNetwork, Budget, count_parameters
from pass_nb.label_mapping import LinearHead
from pass_nb.masks import ChannelGroups
from pass_nb.prompts import PromptedModel, PadPrompt
from pass_nb.training import TrainConfig, train_stage1, make_accelerator
from pass_nb.transfer import FixedMasks
from common import median_interval, save


def images(dataset:str, size:int, batch:int, steps:int, root:str):
    "Enough training images for `steps` + 3 warm-up steps: synthetic, or a seeded part of a real dataset."
    n = batch * (steps + 3)
    if dataset == 'synthetic': return get_dataset('synthetic', size=size, n_train=n, n_test=8, num_classes=10, val_fraction=0.0).train
    return get_dataset(dataset, root=root, size=size, max_train=n, max_eval=8).train


def loader(data:tuple, device:str):
    "A timed run's training loader; `data`: (dataset, size, batch, steps, root, workers), the first five for `images`."
    *spec, workers = data
    return make_loader(images(*spec), batch_size=spec[2], train=True, seed=0, device=device, workers=workers)


def stage1_run(arch:str, generator:str, size:int, mask_at:str):
    "The backbone, its groups, the prompted model and the mask generator of one configuration (seeded)."
    torch.manual_seed(0)
    bb = getattr(torchvision.models, arch)()
    groups = ChannelGroups(bb, torch.rand(1, 3, size, size), mask_at=mask_at)
    model = PromptedModel(PadPrompt(size, pad=max(1, size // 14)), bb, LinearHead(1000, 10))
    hnet = HyperNetwork(groups, Budget(sparsity=0.5), size)
    gen = hnet if generator == 'hypernetwork' else FixedMasks([m.detach() for m in hnet(model.prompt)])  # 'fixed' or 'control'
    return model, groups, gen, count_parameters(hnet), count_parameters(bb)


NAMES = ('fixed', 'hypernetwork')  # the two configurations
STEADY_MALLOC = {'MALLOC_MMAP_THRESHOLD_': '1000000000', 'MALLOC_TRIM_THRESHOLD_': '1000000000', 'MALLOC_TOP_PAD_': '1000000000'}

def _turns(g:str, other:str, arch:str, data:tuple, size:int, batch:int, mask_at:str, control:bool, sems:dict, done, ready, out):
    """One configuration's stage-1 run, in a process of its own, taking turns with the other configuration's process
    (`sems`: whose turn it is; `done`: which has finished; `ready`: both are built): its step times (s) go to `out`."""
    times, t0, params = [], [None], (None, None)
    def wait_turn():
        if not done[NAMES.index(other)]: sems[g].acquire()  # the other one, once finished, releases this one's turn for good
        t0[0] = time.perf_counter()
    try:
        accelerator = make_accelerator(TrainConfig())
        model, groups, gen, *params = stage1_run(arch, 'control' if control and g == 'hypernetwork' else g, size, mask_at)
        dl = loader(data, accelerator.device.type)
        cfg = TrainConfig(stage1_epochs=1, stage2_epochs=0, batch_size=batch, progress=False)
        sync = torch.cuda.synchronize if accelerator.device.type == 'cuda' else (lambda: None)
        def on_step(_):  # after each backward: the step is timed, then the other configuration takes its step
            sync(); times.append(time.perf_counter() - t0[0])
            sems[other].release(); wait_turn()
        ready.wait()  # neither starts while the other is still building its model
        wait_turn()
        with tempfile.TemporaryDirectory() as d: train_stage1(model, groups, gen, dl, None, cfg, d, accelerator=accelerator, on_step=on_step)
    except BaseException:
        ready.abort()  # the other process stops waiting for this one
        raise
    finally:
        done[NAMES.index(g)] = 1; sems[other].release()
        out.put((g, times, params))


def interleaved_steps(arch:str, data:tuple, size:int, batch:int, mask_at:str='all', control:bool=False, first:str='fixed')->tuple:
    """Stage-1 step times (s) of the two configurations, trained in turns, one step each (`first` takes the first), each
    in the main thread of its own process (`data`: the arguments of `images`): the fixed and the hypernetwork's times
    (3 warm-up steps dropped) and the parameter counts (hypernetwork, backbone). Step i of one and step i of the other
    run back to back, so a change in machine load hits both alike; the process whose turn it is not waits on a
    semaphore. (Not two threads of one process: on the 2-core CPU, PyTorch's OpenMP-parallel operations run slower in a
    second thread, the hypernetwork's small ones by about 60 %, which inflated the overhead.) `control`: the second
    configuration has fixed masks too (an A/A run: what the harness itself reads as overhead)."""
    ctx = mp.get_context('spawn')  # a fresh interpreter each: no OpenMP state inherited through a fork
    names = NAMES
    sems = {g: ctx.Semaphore(int(g == first)) for g in names}
    done, ready, out = ctx.Array('b', len(names)), ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_turns, args=(g, o, arch, data, size, batch, mask_at, control, sems, done, ready, out))
             for g, o in zip(names, names[::-1])]
    for p in procs: p.start()
    times, params = {}, {}
    for _ in procs:  # read before joining: a process exits only once its result is taken
        try: g, times[g], params[g] = out.get(timeout=3600)
        except queue.Empty: raise RuntimeError(f'a configuration of {arch} sent no step times (see the error above)') from None
    for p in procs: p.join()
    if any(p.exitcode for p in procs): raise RuntimeError(f'a configuration of {arch} failed (see the error above)')
    n = min(len(times[g]) for g in names)
    f, h = (torch.tensor(times[g][3:n], dtype=torch.float64) for g in names)  # 3 warm-up steps dropped
    return f, h, params['hypernetwork']


def overhead(arch:str, data:tuple, size:int, batch:int, mask_at:str='all', control:bool=False, runs:int=6)->dict:
    """The overhead of the hypernetwork over `runs` fresh pairs of processes (`interleaved_steps`; the first step
    alternates between the configurations). A process keeps its own memory layout for its whole life, and that moves
    its step time by a few percent (A/A runs of ResNet-18 at 64 px, batch 64, default allocator: run medians
    0.93-1.02): so the steps of one run are not independent samples of the overhead, the runs are. The overhead is the
    mean of the runs' median step-time ratios, with a 95 % t-interval over the runs. A single run gives its median and
    a bootstrap interval over its pairs, which leaves the difference between processes out."""
    fs, hs, medians = [], [], []
    for r in tqdm(range(runs), desc=f'{arch}: runs', leave=False):
        f, h, (n_hnet, n_backbone) = interleaved_steps(arch, data, size, batch, mask_at, control, first=NAMES[r % 2])
        fs.append(f); hs.append(h); medians.append(float((h / f).quantile(0.5)))  # the 0.5 quantile: torch's median takes the lower middle
    m = torch.tensor(medians, dtype=torch.float64)
    f, h = torch.cat(fs), torch.cat(hs)
    ratio = h / f
    if runs > 1:
        half = float(stats.t.ppf(0.975, runs - 1) * m.std() / math.sqrt(runs))
        lo, hi = float(m.mean()) - half, float(m.mean()) + half
    else: lo, hi = median_interval(ratio)
    return dict(step_ms_fixed=1e3 * float(f.quantile(0.5)), step_ms_hypernetwork=1e3 * float(h.quantile(0.5)), runs=runs, pairs=len(ratio),
                time_ratio=float(m.mean()), ratio_ci95_lo=lo, ratio_ci95_hi=hi,
                run_ratios=' '.join(f'{v:.4f}' for v in medians), ratio_q25=float(ratio.quantile(0.25)), ratio_q75=float(ratio.quantile(0.75)),
                hypernetwork_params=n_hnet, backbone_params=n_backbone)


def part_times(arch:str, size:int, batch:int, accelerator, reps:int=5)->dict:
    """Median time (ms) of the pieces of a stage-1 step, on frozen backbone weights with a prompt-like input gradient:
    the backbone without masks, with fixed mask hooks, with masks that carry straight-through gradients (each with
    `mask_at='all'` and `'after_norm'`, and each also with every mask multiplied, none folded into a BatchNorm or
    absorbed), and the hypernetwork's own forward + backward (LSTM, heads, top-k) alone (on an accelerator, also with its
    walk over the groups on the host: `HyperNetwork(walk_device='cpu')`). The backbone is in training
    mode: its BatchNorms use batch statistics, as in stage 1 by default."""
    torch.manual_seed(0)
    bb = getattr(torchvision.models, arch)()
    groups = ChannelGroups(bb, torch.rand(1, 3, size, size))
    bb = bb.to(accelerator.device).train().requires_grad_(False)  # BatchNorm on batch statistics, as stage 1 runs by default
    hnet = HyperNetwork(groups, Budget(sparsity=0.5), size).to(accelerator.device)
    prompt = PadPrompt(size, pad=max(1, size // 14)).to(accelerator.device)
    x = torch.rand(batch, 3, size, size, device=accelerator.device, requires_grad=True)  # stands in for the prompted images
    masks = [m.detach() for m in hnet(prompt)]
    sync = torch.cuda.synchronize if accelerator.device.type == 'cuda' else (lambda: None)
    def backbone(with_grad, mask_at='all', fold=True):
        if with_grad is None: return bb(x).sum().backward()
        groups.mask_at = mask_at
        with groups.apply_masks([m.clone().requires_grad_(with_grad) for m in masks], fold=fold): bb(x).sum().backward()
    def hypernetwork(h=hnet): sum(m.sum() for m in h(prompt)).backward()
    parts = {'no_masks': lambda: backbone(None), 'fixed_masks': lambda: backbone(False),
             'masks_with_grad': lambda: backbone(True), 'masks_with_grad_unfolded': lambda: backbone(True, fold=False),
             'hypernetwork_alone': hypernetwork,
             'fixed_masks_after_norm': lambda: backbone(False, 'after_norm'),
             'masks_with_grad_after_norm': lambda: backbone(True, 'after_norm'),
             'masks_with_grad_after_norm_unfolded': lambda: backbone(True, 'after_norm', fold=False)}
    if accelerator.device.type != 'cpu':  # the same hypernetwork with its walk over the groups on the host (`walk_device`)
        host = HyperNetwork(groups, Budget(sparsity=0.5), size, walk_device='cpu').to(accelerator.device)
        host.load_state_dict(hnet.state_dict()); parts['hypernetwork_alone_host_walk'] = lambda: hypernetwork(host)
    for f in parts.values(): f()  # warm-up
    ts = {name: [] for name in parts}
    for _ in range(reps):  # the pieces take turns, so that a change in machine load hits all of them
        for name, f in parts.items(): sync(); t0 = time.perf_counter(); f(); sync(); ts[name].append(1e3 * (time.perf_counter() - t0))
    out = {name + '_ms': sorted(v)[reps // 2] for name, v in ts.items()}
    for mask_at in ('all', 'after_norm'):
        groups.mask_at = mask_at
        with groups.apply_masks(masks) as h: out.update({f'{way}_{mask_at}': len(getattr(h, way)) for way in ('multiplied', 'folded', 'absorbed')})
    return dict(groups=len(groups.n_units), **out)


def parts_main(a, accelerator):
    "The pieces of a stage-1 step, each model timed twice (pieces alternate), the lower medians kept."
    rows = [dict(model=arch, repeat=r, device=accelerator.device.type, dataset='random', size=a.size, batch=a.batch,
                 **part_times(arch, a.size, a.batch, accelerator)) for arch in a.models for r in range(2)]
    for r in rows: print(r, flush=True)
    t = pd.DataFrame(rows).drop(columns='repeat').groupby(['model', 'device', 'dataset', 'size', 'batch', 'groups', 'multiplied_all', 'folded_all', 'absorbed_all', 'multiplied_after_norm', 'folded_after_norm', 'absorbed_after_norm'],
                                                          sort=False).min().reset_index()
    t['mask_cost_pct'] = 100 * (t.fixed_masks_ms / t.no_masks_ms - 1)
    t['mask_grad_cost_pct'] = 100 * (t.masks_with_grad_ms / t.fixed_masks_ms - 1)
    t['mask_grad_cost_unfolded_pct'] = 100 * (t.masks_with_grad_unfolded_ms / t.fixed_masks_ms - 1)
    t['hypernetwork_pct'] = 100 * t.hypernetwork_alone_ms / t.fixed_masks_ms
    bars = ['mask_cost_pct', 'mask_grad_cost_unfolded_pct', 'mask_grad_cost_pct', 'mask_grad_cost_after_norm_pct',
            'after_norm_unfolded_vs_none_pct', 'after_norm_vs_none_pct', 'hypernetwork_pct']
    if 'hypernetwork_alone_host_walk_ms' in t:  # on an accelerator: the walk on the host instead
        t['hypernetwork_host_walk_pct'] = 100 * t.hypernetwork_alone_host_walk_ms / t.fixed_masks_ms; bars.append('hypernetwork_host_walk_pct')
    t['mask_grad_cost_after_norm_pct'] = 100 * (t.masks_with_grad_after_norm_ms / t.fixed_masks_ms - 1)
    t['after_norm_vs_none_pct'] = 100 * (t.masks_with_grad_after_norm_ms / t.no_masks_ms - 1)
    t['after_norm_unfolded_vs_none_pct'] = 100 * (t.masks_with_grad_after_norm_unfolded_ms / t.no_masks_ms - 1)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    t.set_index('model')[bars].plot.bar(ax=ax, rot=0)
    ax.set(ylabel='% of the step', title=f'pieces of a stage-1 step, {accelerator.device.type}, {a.size} px, batch {a.batch}')
    ax.legend(['mask hooks (vs none)', 'their gradients, every mask multiplied (vs fixed)',
               'their gradients, BN masks folded, conv masks absorbed (vs fixed)', "the same, mask_at='after_norm' (vs fixed, 'all')",
               "learned masks, 'after_norm', all multiplied (vs none)", "learned masks, 'after_norm', BN masks folded (vs none)",
               'hypernetwork fwd+bwd (vs fixed)', 'the same, its walk on the host (vs fixed)'][:len(bars)], fontsize=7)
    print(t.to_string(index=False))
    print(save(a.name or f'overhead_parts_{accelerator.device.type}', t, fig, reps=5, statistic='min over repeats of the median'))


SEGMENTS = ('masks', 'forward', 'backward', 'rest')  # of a stage-1 step, in the trainer's order

def _segments(marks:list)->dict:
    """Median ms of each segment of a step from the marks `(label, time)`: m0 (the generator is called), m1 (its masks
    are made), f1 (the model's forward has ended), s (the backward has ended); a step runs from its m0 to the next one
    (3 warm-up steps dropped; calls outside the steps, e.g. a recalibration's, leave windows without `s`, not counted)."""
    starts, steps = [i for i, (label, _) in enumerate(marks) if label == 'm0'], []
    for a, b in zip(starts, starts[1:]):
        t = {}
        for label, v in marks[a:b]: t.setdefault(label, v)
        if {'m1', 'f1', 's'} <= t.keys(): steps.append((t['m1'] - t['m0'], t['f1'] - t['m1'], t['s'] - t['f1'], marks[b][1] - t['s']))
    steps = steps[3:]
    return {**{f'{k}_ms': 1e3 * statistics.median(d[j] for d in steps) for j, k in enumerate(SEGMENTS)}, 'steps': len(steps)}


def split_times(arch:str, data:tuple, size:int, batch:int, mask_at:str, accelerator, phases:int=3)->list:
    """Where a stage-1 step's time goes, for the fixed masks and the hypernetwork, trained in turns in this process's main
    thread, `phases` times each (a fresh model each time): the generator's call (`masks`), the model's forward with the
    masks' update (`forward`), the loss and backward (`backward`), and the optimiser steps and the next batch (`rest`),
    marked by hooks on the generator and the model and by the trainer's `on_step`. One row per configuration and phase."""
    sync = torch.cuda.synchronize if accelerator.device.type == 'cuda' else (lambda: None)
    rows = []
    for phase in range(phases):
        for g in NAMES:
            model, groups, gen, *_ = stage1_run(arch, g, size, mask_at)
            dl = loader(data, accelerator.device.type)
            cfg, marks = TrainConfig(stage1_epochs=1, stage2_epochs=0, batch_size=batch, progress=False), []
            def mark(label):
                def hook(*_): sync(); marks.append((label, time.perf_counter()))  # returns None: outputs unchanged
                return hook
            hooks = [gen.register_forward_pre_hook(mark('m0')), gen.register_forward_hook(mark('m1')), model.register_forward_hook(mark('f1'))]
            try:
                with tempfile.TemporaryDirectory() as d: train_stage1(model, groups, gen, dl, None, cfg, d, accelerator=accelerator, on_step=mark('s'))
            finally:
                for h in hooks: h.remove()
            rows.append(dict(model=arch, config=g, phase=phase, **_segments(marks)))
            print(rows[-1], flush=True)
    return rows


def split_main(a, accelerator):
    "The segments of a step per model and configuration (median over the phases), and what the hypernetwork adds to each."
    data = (a.dataset, a.size, a.batch, a.steps, a.root, a.workers)
    t = pd.DataFrame([r for arch in a.models for r in split_times(arch, data, a.size, a.batch, a.mask_at, accelerator, a.phases)])
    cols = [f'{k}_ms' for k in SEGMENTS]
    med = t.groupby(['model', 'config'], sort=False)[cols].median()
    fixed = med.xs('fixed', level='config')
    out = fixed.add_prefix('fixed_').join((med.xs('hypernetwork', level='config') - fixed).add_prefix('extra_')).reset_index()
    out['fixed_step_ms'] = fixed[cols].sum(axis=1).values
    out['extra_step_ms'] = out[[f'extra_{c}' for c in cols]].sum(axis=1)
    out['extra_pct'] = 100 * out.extra_step_ms / out.fixed_step_ms
    out['extra_range_ms'] = [' '.join(f'{k}:{lo:.2f}..{hi:.2f}' for k, lo, hi in _extra_ranges(t[t.model == m], cols)) for m in out.model]
    print(out.to_string(index=False))
    fig = split_plot(out, f'{accelerator.device.type}, {a.size} px, batch {a.batch}, {a.phases} phases')
    print(save(a.name or f'overhead_split_{accelerator.device.type}', out, fig, steps=a.steps, phases=a.phases, rows=t.to_dict('records'),
               statistic='per phase the median over its steps; per model the median over the phases; extra = hypernetwork - fixed'))


def split_plot(out, setting:str):
    "What the hypernetwork adds to each segment of a step, stacked per model (`out`: `split_main`'s table)."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    out.set_index('model')[[f'extra_{k}_ms' for k in SEGMENTS]].plot.bar(ax=ax, stacked=True, rot=0)
    ax.legend(["the generator's call", "forward (the masks' update included)", 'loss and backward', 'optimiser steps, next batch'], fontsize=7)
    ax.set(ylabel='ms added to a step', title=f'what the hypernetwork adds, by segment\n{setting}')
    return fig


def _extra_ranges(t, cols)->list:
    "Per segment, the lowest and highest difference between the two configurations' phases taken in the same order."
    h, f = (t[t.config == g].sort_values('phase')[cols].values for g in NAMES[::-1])
    return [(c.removesuffix('_ms'), float(min(h[:, j] - f[:, j])), float(max(h[:, j] - f[:, j]))) for j, c in enumerate(cols)]


def plot(out, a, device:str):
    "The overhead per model with its 95 % interval over the runs and each run's median (dots), against the target for this size and device."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.4))
    err = [100 * (out.time_ratio - out.ratio_ci95_lo), 100 * (out.ratio_ci95_hi - out.time_ratio)]
    ax.bar(out.model, 100 * (out.time_ratio - 1), yerr=err, capsize=4, color='tab:blue', alpha=0.8, label='mean of the runs, 95 % interval')
    for i, runs in enumerate(out.run_ratios):
        v = [100 * (float(x) - 1) for x in runs.split()]
        ax.plot([i] * len(v), v, 'o', c='black', ms=3, label='one run (its median)' if i == 0 else None)
    target = 8 if a.size <= 64 else (3 if device == 'cpu' else 5)
    ax.axhline(target, ls='--', c='grey', label=f'target {target} %'); ax.axhline(0, c='black', lw=0.5)
    what = 'control: fixed masks in both turns' if a.control else 'hypernetwork overhead'
    ax.set(ylabel='stage-1 step overhead (%)', title=f'{what}\n{device}, {a.dataset}, {a.size} px, batch {a.batch}, {a.runs} runs')
    ax.legend(fontsize=7)
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', nargs='+', default=['resnet18', 'resnet34', 'resnet50'])
    p.add_argument('--size', type=int, default=64); p.add_argument('--batch', type=int, default=16)
    p.add_argument('--steps', type=int, default=24, help='timed steps of each configuration per run (3 more run first, untimed)')
    p.add_argument('--runs', type=int, default=6, help='fresh pairs of processes; the interval is over the runs (one run: over its pairs)')
    p.add_argument('--allocator', choices=['steady', 'default'], default='steady',
                   help="'steady': glibc malloc keeps the memory it has (no mmap/trim per step; the steps of a process "
                        "vary less between processes); 'default': the environment's settings. Set for the timed processes of the paired runs (not --parts or --split).")
    p.add_argument('--dataset', default='synthetic', help="'synthetic' or a real dataset, e.g. fashion-mnist, digits")
    p.add_argument('--workers', type=int, default=0, help='data-loader worker processes of each timed process (0: the main process '
                   'makes each batch between steps; on a GPU that is most of a step, so give a GPU run some)')
    p.add_argument('--root', default='data', help='dataset folder'); p.add_argument('--name', default=None, help='results/<name>.csv')
    p.add_argument('--parts', action='store_true', help='time the pieces of a step instead (random images)')
    p.add_argument('--mask-at', default='all', help="'all' (the default) or 'after_norm' (see `ChannelGroups`)")
    p.add_argument('--control', action='store_true', help='both configurations with fixed masks: the harness\'s own bias and spread')
    p.add_argument('--split', action='store_true', help='where the extra time of a step goes (one process, the configurations in turns; '
                   '--allocator does not apply: export MALLOC_* before starting for the steady allocator)')
    p.add_argument('--phases', type=int, default=3, help='with --split: phases of each configuration')
    a = p.parse_args(argv)
    if a.runs < 1: p.error('--runs must be at least 1')
    accelerator = make_accelerator(TrainConfig())
    # --parts and --split time in this process, whose C library read its allocator settings at its start: the stamp records those
    if a.parts: return parts_main(a, accelerator)
    if a.split: return split_main(a, accelerator)
    if a.allocator == 'steady':  # read by each spawned process's C library at its start; recorded in the results' stamp
        for k, v in STEADY_MALLOC.items(): os.environ.setdefault(k, v)
    data = (a.dataset, a.size, a.batch, a.steps, a.root, a.workers)
    rows = []
    for arch in a.models:
        rows.append(dict(model=arch, device=accelerator.device.type, dataset=a.dataset, mask_at=a.mask_at, size=a.size, batch=a.batch,
                         control=a.control, **overhead(arch, data, a.size, a.batch, a.mask_at, a.control, a.runs)))
        print(rows[-1], flush=True)
    out = pd.DataFrame(rows)
    out['overhead_pct'] = 100 * (out.time_ratio - 1)
    fig = plot(out, a, accelerator.device.type)
    name = a.name or f'overhead_{accelerator.device.type}'
    print(out.to_string(index=False)); print(save(name, out, fig, steps=a.steps, runs=a.runs, allocator=a.allocator,
                                                  statistic="mean over runs (fresh process pairs) of each run's median adjacent-step "
                                                            'time ratio; ratio_ci95: t-interval over the runs (one run: bootstrap over its pairs); '
                                                            'ratio_q25/q75: quartiles of all pairs'))


if __name__ == '__main__': main()
