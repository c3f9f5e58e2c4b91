"""The demo's cost: wall time and peak memory of `pass_nb demo` (the README's first command), measured with
`/usr/bin/time -v` in a fresh folder. The README promises at most 5 minutes and 4 GB on a 2-core CPU.

    python benchmarks/demo_cost.py
"""
import re, subprocess, sys, tempfile
from pathlib import Path

import pandas as pd

from common import save
from pass_nb.experiment import RunSummary


def main():
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(['/usr/bin/time', '-v', sys.executable, '-m', 'pass_nb.cli', 'demo', '--no-progress'],
                           cwd=d, capture_output=True, text=True)
        if p.returncode != 0: raise SystemExit(p.stderr[-3000:])
        s = RunSummary.read(Path(d)/'runs'/'demo')
    wall = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)', p.stderr).group(1)
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(':'))))
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', p.stderr).group(1))
    a, q = s.accuracy, s.mask_quality or {}
    df = pd.DataFrame([dict(wall_s=secs, peak_rss_gb=rss / 2**20, dense_val=a.dense_val, stage1_val=a.stage1_val,
                            test_acc=a.test, macs_kept=s.macs['kept'], cpu_speedup=s.latency_cpu_ms['speedup'],
                            probe_masks=q.get('masks'), probe_random_same_macs=q.get('random_same_macs'),
                            prompt_units_flipped=(s.prompt_sensitivity or {}).get('units_flipped'))])
    print(p.stdout); print(df.to_string(index=False)); print(save('demo_cost', df, None, command='pass_nb demo --no-progress'))


if __name__ == '__main__': main()
