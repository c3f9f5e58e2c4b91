"""Shared by the benchmark scripts: where results go and the machine/commit/date stamp written next to them."""
import datetime, json, os, platform, subprocess
from pathlib import Path

import torch

from pass_nb.masks import allocator_env  # re-exported: the benchmarks' stamps record it

RESULTS = Path(__file__).resolve().parent/'results'


def machine()->dict:
    "What produced a result: host CPU/GPU, library versions, commit, date, and any memory-allocator settings (they move timings)."
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(['git', 'status', '--porcelain', '--', 'pass_nb'], cwd=root, capture_output=True, text=True).stdout.strip())
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    out = dict(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), commit=commit + ('+dirty' if dirty else ''),
               cpu=cpu, cores=os.cpu_count(), torch_threads=torch.get_num_threads(), torch=torch.__version__,
               gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, python=platform.python_version())
    allocator = allocator_env()
    return {**out, 'allocator_env': allocator} if allocator else out


def save(name:str, df, fig=None, **extra)->Path:
    "Write `results/<name>.csv`, `<name>.png` and `<name>.json` (machine stamp + `extra`)."
    RESULTS.mkdir(parents=True, exist_ok=True)
    df.to_csv(RESULTS/f'{name}.csv', index=False)
    if fig is not None: fig.tight_layout(); fig.savefig(RESULTS/f'{name}.png', dpi=120)
    (RESULTS/f'{name}.json').write_text(json.dumps({**machine(), **extra}, indent=1, default=str) + '\n')
    return RESULTS/f'{name}.csv'


def median_interval(r:torch.Tensor, resamples:int=4000, level:float=0.95, seed:int=0)->tuple:
    """Percentile-bootstrap interval of the median of `r` (the pairs resampled with replacement). It treats the pairs as
    independent; a slow drift of the machine's speed is shared by the two steps of a pair, so it cancels in each ratio."""
    g = torch.Generator().manual_seed(seed)
    medians = r[torch.randint(len(r), (resamples, len(r)), generator=g)].quantile(0.5, dim=1)
    return float(medians.quantile((1 - level) / 2)), float(medians.quantile((1 + level) / 2))
