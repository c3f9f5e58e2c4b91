"""Trained ResNet-18 weights to start a latency sweep from, when no pretrained ones can be downloaded.

A latency-target run calibrates on its own masks with the weights it starts from, and exports the weights stage 2
fine-tuned. On the AMD EPYC the time of PyTorch's max-pool (in its default layout) depends on the values it pools
(`latency_weights.py --layers`), so a run that starts from a random init and exports trained weights lands off its
target. A user starts from trained weights. This trains a randomly initialised ResNet-18 on the sweep's task with
`pass_nb prune` and a budget that removes nothing (stage 2 fine-tunes the dense model through its prompt and label map;
it is the same for any method), then writes its backbone's state dict for `--weights` (`latency_methods_cpu_resnet18_trained.yaml`).

    python benchmarks/trained_start.py        # about 3 minutes on the 2-core CPU
"""
import argparse
from pathlib import Path

import torch

from pass_nb.cli import main as pass_nb
from pass_nb.masks import load_pruned
from pass_nb.models import create_model

RESULTS = Path(__file__).resolve().parent/'results'/'trained_start'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='resnet18'); p.add_argument('--dataset', default='fashion-mnist')
    p.add_argument('--size', type=int, default=64); p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--max-train', type=int, default=10000); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default=None, help='where the state dict goes (default: results/trained_start/<model>_<dataset><size>.pt)')
    a = p.parse_args(argv)
    name = f'{a.model}_{a.dataset}{a.size}'
    run, out = RESULTS/'runs'/name, Path(a.out or RESULTS/f'{name}.pt')
    rc = pass_nb(['prune', '--model', a.model, '--weights', 'none', '--method', 'uniform_l1', '--target-macs', '1',
                  '--dataset', a.dataset, '--size', str(a.size), '--label-map', 'flm_linear', '--stage1-epochs', '1',
                  '--stage2-epochs', str(a.epochs), '--batch-size', '64', '--max-train', str(a.max_train), '--max-eval', '500',
                  '--root', 'data', '--seed', str(a.seed), '--out', str(run)])
    if rc: raise SystemExit(rc)
    model = load_pruned(run/'pruned_model.pt', create_model(a.model, pretrained=False))
    dense = create_model(a.model, pretrained=False)
    if [t.shape for t in model.state_dict().values()] != [t.shape for t in dense.state_dict().values()]:
        raise SystemExit(f'{run}: the exported model is not the dense {a.model}; nothing written.')
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix('.tmp'); torch.save(model.state_dict(), tmp); tmp.replace(out)  # no half-written file
    print(f'{out}: {a.model} trained on {a.dataset} at {a.size} px (accuracy in {run}/summary.json)')


if __name__ == '__main__':
    main()
