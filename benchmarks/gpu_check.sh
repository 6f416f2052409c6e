#!/usr/bin/env bash
# One-shot GPU check, sized for a ~10-minute slot on one GPU (it stops by DEADLINE, below; the
# figures in the README's GPU section come from it). Run from the repository root on a machine whose python has jax with
# CUDA, flax, torch, mpmath, hypothesis, chex and pytest-xdist:
#
#     OUT=gpu_out bash benchmarks/gpu_check.sh
#
# Phase 1 (CPU-bound compilation, run side by side): the accuracy tests (test_elementwise,
# test_axis: every dtype, values, derivatives, transformations) on the GPU, and the bfloat16 and
# float16 accuracy tables beside jax.nn.  Phase 2 (alone, so timings are quiet): throughput of
# the common entries in bfloat16, then of every entry in float32, at 2^26 elements (large enough
# that kernel time, not dispatch, dominates), against jax.nn and torch on CUDA.
# Each step has its own time limit and writes its own files, so a step that runs out of time
# loses only its own results, and no step starts or runs past DEADLINE seconds after the start
# (default 520), so the files are packed even where the machine's own limit is near.  Phase 1
# also writes the training-step memory table (memory.py, XLA's memory_analysis on the GPU) for
# the common entries, and the kernel count of every entry's programs in float32 and bfloat16
# (kernels.py: a second kernel in an elementwise program is an array written and read back).  PHASES=2 runs phase 2 alone, CHUNKS="2 3" only those float32 chunks (with
# BF16=0 no bfloat16 run), to complete an earlier run.  A reference cache (tests/.refcache, or
# JAXACTS_REF_CACHE) made on another machine is used as is: the grids do not depend on it.
set -u
OUT=${OUT:-gpu_out}
PY=${PYTHON:-python3}
W=$(mktemp -d)  # everything is written here, then packed into $OUT/gpu_check.tgz
mkdir -p "$OUT"
# Two files come back: the archive and one summary of the Markdown tables (a device tool may
# return only a few files).
trap 'tar czf "$OUT/gpu_check.tgz" -C "$W" . ; for f in "$W"/*.md; do [[ -e $f ]] &&
  printf "\n## %s\n\n" "$(basename "$f")" && cat "$f"; done >"$OUT/summary.md"' EXIT
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
T1=${T1:-230}
T2=${T2:-140}
PHASES=${PHASES:-1 2}
CHUNKS=${CHUNKS:-1 2 3}
BF16=${BF16:-1}
SIZE=${SIZE:-26}
DEADLINE=${DEADLINE:-520}
T0=$(date +%s)
# lim T: T, or what is left before the deadline (less a margin for packing), if that is less
lim() { local left=$(( T0 + DEADLINE - 10 - $(date +%s) )); (( left < $1 )) && echo "$left" || echo "$1"; }
COMMON=relu,leaky_relu,gelu,silu,sigmoid,tanh,softplus,log_sigmoid,elu,selu,mish,softmax,log_softmax,glu

{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv
  $PY -c "import jax, jaxlib, flax, torch; print('jax', jax.__version__, 'flax', flax.__version__,
'torch', torch.__version__, jax.devices())"; } >"$W/env.txt" 2>&1
cat "$W/env.txt"

if [[ " $PHASES " == *" 1 "* ]]; then
start=$(date +%s)
timeout "$(lim "$T1")" $PY -m pytest tests/test_elementwise.py tests/test_axis.py \
  tests/test_flush_bands.py tests/test_periodic.py tests/test_cancellation.py -n 9 -q \
  -p no:cacheprovider --junitxml="$W/tests.xml" >"$W/tests.log" 2>&1 &
for dt in bfloat16 float16; do
  timeout "$(lim "$T1")" $PY benchmarks/accuracy.py --dtypes "$dt" --out "$W/accuracy_$dt.csv" \
    >"$W/accuracy_$dt.md" 2>"$W/accuracy_$dt.err" &
done
timeout "$(lim "$T1")" $PY benchmarks/memory.py --only "$COMMON" --frameworks linen --out "$W/memory.csv" \
  >"$W/memory.md" 2>"$W/memory.err" &
for dt in float32 bfloat16; do
  timeout "$(lim "$T1")" $PY benchmarks/kernels.py --dtype "$dt" --out "$W/kernels_$dt.csv" \
    >"$W/kernels_$dt.md" 2>"$W/kernels_$dt.err" &
done
wait
echo "phase 1: $(( $(date +%s) - start )) s"
grep -E "^(FAILED|ERROR|XPASS)" "$W/tests.log" | cut -c1-200 | head -20
tail -2 "$W/tests.log"
tail -25 "$W/memory.md"
grep -H "^| one kernel" "$W"/kernels_*.md
grep -h "meet\|met" "$W"/accuracy_*.md | head -6
fi

start=$(date +%s)
# bfloat16 first (the common entries, about a minute), then float32 in three chunks of the
# registry (a chunk that runs out of time loses only itself)
[[ $BF16 == 1 ]] && (( $(lim "$T2") > 20 )) && timeout "$(lim "$T2")" $PY benchmarks/throughput.py --sizes "$SIZE" --dtypes bfloat16 --rounds 7 \
  --min-time 0.01 --only "$COMMON" --out "$W/throughput_bfloat16.json" \
  >"$W/throughput_bfloat16.md" 2>"$W/throughput_bfloat16.err"
names=$($PY -c "import jaxacts as ja; print(' '.join(ja.names()))")
chunks=$($PY -c "import sys; n=sys.argv[1:]; k=-(-len(n)//3)
print(' '.join(','.join(n[i:i+k]) for i in range(0, len(n), k)))" $names)
i=0
for only in $chunks; do
  i=$((i+1))
  [[ " $CHUNKS " == *" $i "* ]] || continue
  (( $(lim "$T2") > 20 )) || { echo "chunk $i: no time left"; continue; }
  timeout "$(lim "$T2")" $PY benchmarks/throughput.py --sizes "$SIZE" --dtypes float32 --rounds 7 \
    --min-time 0.01 --only "$only" --out "$W/throughput_float32_$i.json" \
    >"$W/throughput_float32_$i.md" 2>"$W/throughput_float32_$i.err"
done
echo "phase 2: $(( $(date +%s) - start )) s"
grep -h -A12 "Issue 6 throughput targets" "$W"/throughput_*.md
