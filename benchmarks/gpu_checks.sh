#!/usr/bin/env bash
# The GPU benchmarks that fit one short call on a lent GPU machine (estimated 5-8 minutes on an H200, not yet run),
# prepared so that a session with a device can run them at once: the hypernetwork overhead at 224 px, batch 128
# (ResNet-18/34/50; with mask_at 'all' (the default) and 'after_norm', and the pieces of a step) and the realised speed-up at
# batch 128. Results go to benchmarks/results/ and, when $OUT is set, are copied there too (at most 8 files come back
# from the device: the CSVs and JSONs are what matter).
#
# On a machine without internet, carry torch-pruning as a wheel (it is pure Python). In the repository root, here:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl torch-pruning==1.6.1
# then, on the device (carry: [".whl"]):
#   bash benchmarks/gpu_checks.sh
# A CPU smoke run of the same script (tiny sizes, nothing committed):
#   DEVICE=cpu SIZE=32 BATCH=2 STEPS=2 MODELS=resnet18 NAME_SUFFIX=_smoke bash benchmarks/gpu_checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
DEVICE=${DEVICE:-cuda} SIZE=${SIZE:-224} BATCH=${BATCH:-128} STEPS=${STEPS:-30} RUNS=${RUNS:-3} MODELS=${MODELS:-resnet18 resnet34 resnet50}
SUFFIX=${NAME_SUFFIX:-}
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
if [ "$DEVICE" = cuda ]; then python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device: run with DEVICE=cpu for a smoke run'"; fi
# overhead.py picks the accelerator's device (CUDA when there is one)
names=("overhead_${DEVICE}${SUFFIX}" "overhead_${DEVICE}_after_norm${SUFFIX}" "overhead_parts_${DEVICE}${SUFFIX}" "speedup_${DEVICE}${SUFFIX}")
python3 benchmarks/overhead.py --models $MODELS --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --runs "$RUNS" --name "${names[0]}"
python3 benchmarks/overhead.py --models $MODELS --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --runs "$RUNS" --mask-at after_norm --name "${names[1]}"
python3 benchmarks/overhead.py --models $MODELS --size "$SIZE" --batch "$BATCH" --parts --name "${names[2]}"
python3 benchmarks/speedup.py --device "$DEVICE" --batch "$BATCH" --size "$SIZE" --name "${names[3]}"
if [ -n "${OUT:-}" ]; then for n in "${names[@]}"; do cp "benchmarks/results/$n".{csv,json} "$OUT"/; done; fi
