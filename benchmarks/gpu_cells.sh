#!/usr/bin/env bash
# The notebooks' `#| gpu` cells on a lent GPU machine: `nbdev_test --flags gpu` on each notebook that has some, one
# process per notebook, all at once (each notebook's other cells run too, as in CI). 12_studies is left out: its GPU
# cells are studies of hours. Each notebook's log goes into one file, $OUT/gpu_cells.log (or /tmp), and the last lines
# say which notebooks passed; the exit status is 0 only when all did.
#
# The device's image has neither nbdev nor IPython. Carry them as wheels beside gpu_checks.sh's (all pure Python but
# watchdog's; about 7 MB), leaving out what the image already has and fastcore, which gpu_checks' wheels hold. Here:
#   python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux2014_x86_64 \
#     -d .whl/nb nbdev==2.4.14 "execnb<0.2" "fastcore<2" "ghapi<2" "fastgit<0.1"
#   rm -f .whl/nb/{build,fastcore,packaging,psutil,pygments,pyyaml,PyYAML,setuptools,six,typing_extensions,wheel}-*.whl
# then, on the device (carry: [".whl"]):
#   bash benchmarks/gpu_cells.sh
# Here, the same mechanics without a GPU (the other cells only):  FLAGS= NOTEBOOKS=02_models bash benchmarks/gpu_cells.sh
set -uo pipefail
cd "$(dirname "$0")/.."
wheels=$(ls .whl/*.whl .whl/nb/*.whl 2>/dev/null)
if [ -n "$wheels" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $wheels || exit 3
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
NOTEBOOKS=${NOTEBOOKS:-02_models 06_hypernetwork 07_training 09_vpns 11_experiment} FLAGS=${FLAGS-gpu} LIMIT=${LIMIT:-420}
log=${OUT:-/tmp}/gpu_cells.log; : > "$log"
for nb in $NOTEBOOKS; do
  [ -f "nbs/$nb.ipynb" ] || { echo "gpu_cells: no notebook nbs/$nb.ipynb" >&2; exit 2; }
  ( start=$SECONDS
    timeout "$LIMIT" python3 -c "from nbdev.test import nbdev_test; nbdev_test(path='nbs/$nb.ipynb', flags='$FLAGS', n_workers=0)" \
      > "/tmp/gpu_cells_$nb.log" 2>&1
    echo "gpu_cells: $nb exit $? after $((SECONDS - start)) s" >> "/tmp/gpu_cells_$nb.log" ) &
done
wait
status=0
for nb in $NOTEBOOKS; do
  cat "/tmp/gpu_cells_$nb.log" >> "$log"
  tail -n 1 "/tmp/gpu_cells_$nb.log"; tail -n 1 "/tmp/gpu_cells_$nb.log" | grep -q " exit 0 " || status=1
done
exit $status
