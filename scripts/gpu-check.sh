#!/usr/bin/env bash
# gpu-check.sh: check and time the CUDA kernels on a GPU machine.
#
# Runs on the GPU machine (CUDA 13 driver, PyTorch, no Go, no network), from
# the repository root, with build/gpu made here by `make gpu-check-build`
# and carried there:
#
#   bash scripts/gpu-check.sh            (device tool: carry ["build/gpu"])
#
# Steps, each under a time limit and all under one deadline (about 2-3
# minutes in all; GPU_CHECK_BUDGET seconds, default 345, at most):
#   1. nvidia-smi, and the CUDA clip's `version` (the binary starts, the
#      driver accepts it);
#   2. the checks: every kernel against the CPU backend on fresh random
#      inputs, outputs poisoned with NaN, odd shapes included, forward and
#      backward (go test binary build/gpu/cuda.test, CLIP_CUDA_SYNC=1 so
#      that a fault names its kernel);
#   3. the benchmarks at CLIP's training shapes (TestBench), with float64
#      references;
#   4. PyTorch on the same work and the same GPU, and ONE table
#      (scripts/gpu_check_torch.py).
# cuBLASLt and NCCL are the CUDA wheels' under site-packages, found here and
# passed as CLIP_CUBLASLT_LIB / CLIP_NCCL_LIB (set them to override).
#
# Small results (logs, JSON lines, the table) go to $OUT when set (the
# device tool fetches it), else /tmp/clip-gpu-check; the benchmark's large
# .npy files to $CLIP_GPU_WORK (default /tmp/clip-gpu-work). Exit status 0
# only if every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."

GPU_DIR=${GPU_DIR:-build/gpu}
RESULTS=${OUT:-/tmp/clip-gpu-check}
WORK=${CLIP_GPU_WORK:-/tmp/clip-gpu-work}
mkdir -p "$RESULTS" "$WORK"
if [ ! -x "$GPU_DIR/cuda.test" ]; then
	echo "gpu-check: $GPU_DIR/cuda.test missing: run make gpu-check-build on the build machine and carry $GPU_DIR" >&2
	exit 2
fi
export PYTHONUNBUFFERED=1
started=$(date +%s)
deadline=$((started + ${GPU_CHECK_BUDGET:-345}))
status=0
step() { echo "== $* ($(($(date +%s) - started)) s)"; }
# limit N: a step's time limit, N seconds or what is left before the
# deadline if less (at least 1), so that the steps together stay under it.
limit() {
	local left=$((deadline - $(date +%s)))
	if [ "$left" -lt "$1" ]; then echo $((left > 1 ? left : 1)); else echo "$1"; fi
}

step "device"
timeout "$(limit 15)" nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 | tee "$RESULTS/nvidia-smi.csv"

# find_lib NAME...: the first pip-installed copy of one of the names.
find_lib() {
	timeout "$(limit 20)" python3 - "$@" <<'PY'
import glob, os, site, sys, sysconfig
roots = set(site.getsitepackages() + [site.getusersitepackages(), sysconfig.get_paths()["purelib"]])
for name in sys.argv[1:]:
    for r in sorted(roots):
        hits = sorted(glob.glob(os.path.join(r, "nvidia", "**", name), recursive=True))
        if hits:
            print(hits[0])
            sys.exit(0)
PY
}
: "${CLIP_CUBLASLT_LIB:=$(find_lib libcublasLt.so.13 libcublasLt.so.12 'libcublasLt.so.*')}"
: "${CLIP_NCCL_LIB:=$(find_lib libnccl.so.2)}"
export CLIP_CUBLASLT_LIB CLIP_NCCL_LIB
echo "cuBLASLt: ${CLIP_CUBLASLT_LIB:-not found}"
echo "NCCL:     ${CLIP_NCCL_LIB:-not found}"
# A missing library fails its test rather than skipping it.
export CLIP_GPU_REQUIRE=1

if [ -x "$GPU_DIR/clip-cuda" ]; then
	timeout "$(limit 15)" "$GPU_DIR/clip-cuda" version 2>&1 | tee "$RESULTS/clip-version.txt" || { echo "gpu-check: clip-cuda version failed"; status=1; }
	if timeout "$(limit 15)" "$GPU_DIR/clip-cuda" --help 2>/dev/null | grep -q '^  gpu '; then
		timeout "$(limit 30)" "$GPU_DIR/clip-cuda" gpu 2>&1 | tee "$RESULTS/clip-gpu.txt" || { echo "gpu-check: clip-cuda gpu failed"; status=1; }
	fi
fi

step "checks (every kernel against the CPU backend)"
rm -f "$RESULTS/check.jsonl"
t=$(limit 90)
CLIP_CUDA_SYNC=1 CLIP_GPU_REPORT="$RESULTS/check.jsonl" timeout "$t" \
	"$GPU_DIR/cuda.test" -test.v -test.run '^Test' -test.skip '^TestBench$' -test.timeout "$((t > 10 ? t - 5 : t))s" >"$RESULTS/check.log" 2>&1
rc=$?
grep -E '^ *--- FAIL|^(FAIL|ok|PASS|panic)|_test\.go:[0-9]+:' "$RESULTS/check.log" | tail -n 40
echo "checks: exit $rc"
[ $rc -eq 0 ] || { tail -n 5 "$RESULTS/check.log"; status=1; }

step "benchmarks"
rm -rf "$WORK/bench"
t=$(limit 120)
timeout "$t" env CLIP_GPU_BENCH="$WORK/bench" \
	"$GPU_DIR/cuda.test" -test.v -test.run '^TestBench$' -test.timeout "$((t > 10 ? t - 5 : t))s" >"$RESULTS/bench.log" 2>&1
rc=$?
grep -E '^ *--- FAIL|^(FAIL|panic)|_test\.go:[0-9]+:' "$RESULTS/bench.log" | tail -n 40
echo "benchmarks: exit $rc"
[ $rc -eq 0 ] || { tail -n 5 "$RESULTS/bench.log"; status=1; }
cp "$WORK/bench/bench.jsonl" "$RESULTS/bench.jsonl" 2>/dev/null

step "PyTorch on the same work, and the table"
timeout "$(limit 140)" python3 scripts/gpu_check_torch.py --check "$RESULTS/check.jsonl" --bench "$WORK/bench/bench.jsonl" \
	--out "$RESULTS/table.txt" 2>"$RESULTS/torch.log"
rc=$?
[ $rc -eq 0 ] || { echo "PyTorch step: exit $rc (see $RESULTS/torch.log)"; tail -n 5 "$RESULTS/torch.log"; status=1; }
echo "gpu-check: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started)) s; results in $RESULTS"
exit $status
