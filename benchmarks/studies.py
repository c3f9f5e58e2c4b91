"""The papers' studies at one scale: PASS's ablations (`pass_nb.studies.SCALES`), the VPNs paper's studies
(`VPNS_SCALES`) or the transfer study (`pass_nb.studies.TRANSFER_SCALES`), each as one table and one figure.

    python benchmarks/studies.py ablations              # CPU: Lite0 on digits at 32 px, 3 seeds x 19 runs
    python benchmarks/studies.py vpns                   # CPU: the same, VPNs unstructured at 90 % sparsity, 3 x 11 runs
    python benchmarks/studies.py transfer               # CPU: Fashion-MNIST (a part) -> digits at 32 px, 21 runs
    python benchmarks/studies.py vpns --scale cpu64 --studies prompt_kind prompt_size prompt_design  # 64 px Fashion-MNIST
    python benchmarks/studies.py transfer --scale vpns_cpu64 # VPNs' weight masks, Fashion-MNIST -> digits at 64 px
    python benchmarks/studies.py ablations --scale gpu  # all of Fashion-MNIST at 224 px (needs a GPU)

Runs go to results/<study>_<scale>/ (git-ignored, resumable: a rerun repeats nothing); the table and figure to
results/<study>_<scale>.csv/.png with the machine stamp in .json. The 12_studies notebook shows them.
"""
import argparse, time

from pass_nb.studies import SCALES, VPNS_SCALES, run_studies, plot_studies, TRANSFER_SCALES, transfer_study, plot_transfer

from common import RESULTS, save


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('study', choices=['ablations', 'vpns', 'transfer'])
    p.add_argument('--scale', default='cpu', help=f'ablations and vpns: {list(SCALES)}; transfer: {list(TRANSFER_SCALES)}')
    p.add_argument('--studies', nargs='+', default=None, help='only these studies of the method (default: all of them)')
    p.add_argument('--note', default='', help='a remark stored with the machine stamp')
    p.add_argument('--root', default='data', help='dataset folder (offline copies: $PASS_NB_DATA)')
    a = p.parse_args()
    scales = TRANSFER_SCALES if a.study == 'transfer' else SCALES
    if a.scale not in scales: p.error(f'--scale of the {a.study} study must be one of {list(scales)}, got {a.scale!r}')
    name, t0 = f'{a.study}_{a.scale}', time.time()
    if a.study in ('ablations', 'vpns'):
        scale = (SCALES if a.study == 'ablations' else VPNS_SCALES)[a.scale]
        res = run_studies(RESULTS/name, **scale, studies=a.studies, root=a.root)
        s, sp = scale['settings'], scale.get('budgets', [{'sparsity': 0.5}])[0]['sparsity']
        budget = f"{sp:.0%} of the {'weights' if a.study == 'vpns' else 'channels'} removed"
        fig = plot_studies(res, title=f"{a.scale} scale: {s['model']} on {s['dataset']} at {s['size']} px, "
                                      f"{budget}, {s['stage1_epochs']}+{s['stage2_epochs']} epochs, "
                                      f"{len(scale['seeds'])} seed(s)")
        print(res.pivot_table(index=['study', 'value'], values=['test_acc', 'macs_kept', 'seconds'], sort=False).round(3))
    else:
        res, table = transfer_study(out=RESULTS/name, **TRANSFER_SCALES[a.scale], root=a.root)
        fig = plot_transfer(res); print(table.round(3))
    print(save(name, res, fig, command=f'python benchmarks/studies.py {a.study} --scale {a.scale}', note=a.note,
               wall_s=round(time.time() - t0, 1), runs=res.run_dir.nunique(),
               runs_seconds=round(float(res.drop_duplicates('run_dir').seconds.sum()), 1)))  # a shared run counts once


if __name__ == '__main__': main()
