"""Where the channel masks multiply: PASS with `mask_at='all'` (every member's output, the default) against
`'after_norm'` (not a conv whose output only its BatchNorm reads), both run now on the same code, on exactly the settings
and seeds of quality_cpu.yaml (digits) and quality_cpu_fmnist.yaml (Fashion-MNIST). The two give the same outputs for
the same masks; they differ in the straight-through gradient of removed channels and in the work per step.

    python benchmarks/mask_at.py          # 48 runs, about 40 min on the 2-core CPU (a killed run resumes)
"""
from pathlib import Path

import pandas as pd
import yaml

from pass_nb.experiment import run_sweep
from common import save, RESULTS

HERE = Path(__file__).resolve().parent


def sweep(quality:str, mask_at:str)->pd.DataFrame:
    "PASS rows of the quality sweep `quality` (a yaml in this folder), rerun with `mask_at`."
    cfg = yaml.safe_load((HERE/f'{quality}.yaml').read_text())
    tag = quality.replace('quality_cpu', 'mask_at_cpu') + ('' if mask_at == 'after_norm' else '_all')
    cfg.update(methods=['pass'], out=str(RESULTS/tag), settings={**cfg['settings'], 'mask_at': mask_at})
    return run_sweep(cfg).assign(mask_at=mask_at)


def main():
    df = pd.concat([sweep(q, m) for q in ('quality_cpu', 'quality_cpu_fmnist') for m in ('all', 'after_norm')])
    t = df.groupby(['dataset', 'target_macs', 'mask_at']).agg(test_acc=('test_acc', 'mean'), test_acc_std=('test_acc', 'std'),
                                                             seconds=('seconds', 'median'), runs=('seed', 'count')).reset_index()
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, (ds, d) in zip(axes, t.groupby('dataset')):
        for m, e in d.groupby('mask_at'):
            ax.errorbar(e.target_macs, e.test_acc, e.test_acc_std, marker='o', capsize=3, label=f"mask_at='{m}'")
        ax.set(xlabel='MACs kept', ylabel='test accuracy (mean ± std, 3 seeds)', title=f'PASS, Lite0, {ds}'); ax.legend(fontsize=8)
    print(t.to_string(index=False))
    print(save('mask_at_cpu', t, fig, runs=len(df)))


if __name__ == '__main__': main()
