#!/usr/bin/env bash
# bench-cpu.sh: clip against PyTorch and OpenBLAS on this machine's CPU, side
# by side in one run, at 1 and 2 threads; prints one table of ratios.
#
# Usage: scripts/bench-cpu.sh [--quick] [--install]
#   --quick    fewer rounds and iterations, no ViT-B/16: under 5 minutes on
#              2 cores, the full run under 15, once clip runs near PyTorch's
#              speed (a slower clip makes both longer)
#   --install  apt-get install the Python side if it is missing (otherwise
#              the script only says what to install, and installs nothing)
#
# What runs (DESIGN.md section 9; ../shared/notes/cpu-baselines.md for the
# method and the anchors):
#   SGEMM   `clip bench --what gemm` against numpy x @ W.T (float32) at the
#           ViT shapes (M,K,N) = (1600,768,2304) (1600,768,3072)
#           (1600,3072,768) (1600,768,768) and (1024,1024,1024)
#   image   ViT-B/32 at batch 32 (and ViT-B/16 at batch 8 without --quick)
#   text    ViT-B/32 text tower at batch 32: clip at 77 tokens and at the
#           token length of "a photo of a {label}." prompts, against PyTorch,
#           which pads every text to 77 and runs every position, as OpenAI's
#           model does (the goals: >= 5x PyTorch's texts/s for prompts, >= 1.3x
#           when every text is 77 tokens long)
#   train   one training step (both towers forward, CLIP loss, backward,
#           AdamW): the small config (configs/arch/small.json) at batch 64 and
#           ViT-B/32 at batch 16 (not with --quick), against PyTorch's step
#           (bench_torch_cpu.py --what train); with --quick at 2 threads only
#   RSS     the peak resident set size of every process
# The Python side is Debian's /usr/bin/python3 with python3-torch and
# python3-numpy, with OpenBLAS-openmp selected per process through
# LD_LIBRARY_PATH (the generic libblas.so.3 may be the reference BLAS, and the
# pthread OpenBLAS fights torch's OpenMP pool). The peer gets its best setup:
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this workplace sets to force
# OpenBLAS's Haswell (AVX2) kernels on newer processors, are unset for the
# Python commands alone, so OpenBLAS picks the kernel it would pick for this
# CPU (AVX-512 on Zen 4/5); the kernel it ran is printed. PEER_ENV=keep runs
# the peer with the variables as set instead.
#
# clip and the peer alternate run by run (ABAB) so that a burst of outside load
# hits both; every figure is the median over rounds of each run's median. The
# machine may be shared: compare ratios from one run, not absolute numbers
# across runs. Environment overrides: ROUNDS, GEMM_ROUNDS, ITERS, GEMM_ITERS,
# WARMUP, PYTHON, THREADS (default "1 2"), ONLY (the row groups to run, of
# "gemm image text train"; default all), KEEP=1 keeps the raw results.
set -euo pipefail
export LC_ALL=C # one decimal point for awk, printf and Python

quick=0
install=0
for arg in "$@"; do
	case "$arg" in
	--quick) quick=1 ;;
	--install) install=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench-cpu.sh: unknown argument $arg (want --quick, --install)" >&2
		exit 2
		;;
	esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py=${PYTHON:-/usr/bin/python3}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")
omplib=/usr/lib/$multiarch/openblas-openmp

if ((quick)); then
	rounds=${ROUNDS:-1} iters=${ITERS:-2}
else
	rounds=${ROUNDS:-2} iters=${ITERS:-3}
fi
gemm_rounds=${GEMM_ROUNDS:-2}
gemm_iters=${GEMM_ITERS:-5}
warmup=${WARMUP:-1}
threads_list=${THREADS:-1 2}
only=" ${ONLY:-gemm image text train} "
run() { [[ $only == *" $1 "* ]]; } # run GROUP: is the group selected?

# --- the Python side: present, or say what to install -----------------------
missing=()
if [[ ! -x $py ]]; then
	missing+=(python3 python3-numpy python3-torch)
else
	"$py" -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
	"$py" -c 'import torch' 2>/dev/null || missing+=(python3-torch)
fi
[[ -e $omplib/libblas.so.3 ]] || missing+=(libopenblas0-openmp)
if ((${#missing[@]})); then
	if ((!install)); then
		echo "bench-cpu.sh: missing the Python side: ${missing[*]}" >&2
		echo "  install with: apt-get install --no-install-recommends ${missing[*]}" >&2
		echo "  or rerun with --install" >&2
		exit 1
	fi
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	echo "bench-cpu.sh: installing ${missing[*]}" >&2
	"${sudo[@]}" apt-get update
	"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- build -------------------------------------------------------------------
make build >&2
clip=$root/bin/clip

work=$(mktemp -d)
cleanup() {
	if [[ ${KEEP:-0} == 1 ]]; then echo "raw results kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
results=$work/results.tsv # case <TAB> side <TAB> JSON line
: >"$results"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# The prompt length: "a photo of a {label}." for a few ImageNet-style labels,
# tokenized by clip itself; the longest sets L, since clip runs a batch up to
# its last end-of-text token.
labels=("dog" "tabby cat" "golden retriever" "sports car" "airliner" "hot-air balloon" "espresso" "goldfish")
prompts=()
for l in "${labels[@]}"; do prompts+=("a photo of a $l."); done
text_len=$("$clip" tokenize "${prompts[@]}" 2>/dev/null |
	"$py" -c 'import json, sys; print(max(len(json.loads(l)["ids"]) for l in sys.stdin))')

# --- one measurement ------------------------------------------------------------
n_runs=0
# record CASE SIDE CMD...: runs one benchmark process and files its JSON line.
# A failed run is reported and left out; the table then shows "-".
record() {
	local case=$1 side=$2 t0 out
	shift 2
	n_runs=$((n_runs + 1))
	t0=$EPOCHREALTIME
	if out=$("$@" 2>"$work/stderr"); then
		printf '%s\t%s\t%s\n' "$case" "$side" "$out" >>"$results"
		printf '  [%3d] %-30s %-4s %6.1f s\n' "$n_runs" "$case" "$side" "$(awk "BEGIN { print $EPOCHREALTIME - $t0 }")" >&2
	else
		echo "  [$n_runs] $case $side FAILED:" >&2
		tail -n 5 "$work/stderr" >&2
	fi
}

clip_bench() { # THREADS ARGS...
	local t=$1
	shift
	"$clip" bench --format json --threads "$t" --warmup "$warmup" "$@"
}

peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
[[ ${PEER_ENV:-} == keep ]] && peer_env=(env)

py_bench() { # THREADS ARGS...
	local t=$1
	shift
	"${peer_env[@]}" LD_LIBRARY_PATH=$omplib OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
		"$py" scripts/bench_torch_cpu.py --threads "$t" --warmup "$warmup" "$@"
}

shapes=("1600 768 2304" "1600 768 3072" "1600 3072 768" "1600 768 768" "1024 1024 1024")
images=("ViT-B-32 32")
((quick)) || images+=("ViT-B-16 8")
trains=("small 64")
((quick)) || trains+=("ViT-B-32 16")

echo "bench-cpu.sh: $([[ $quick == 1 ]] && echo quick || echo full) run, threads $threads_list, rows:$only, prompt length $text_len" >&2
for t in $threads_list; do
	run gemm && for s in "${shapes[@]}"; do
		read -r m k n <<<"$s"
		for ((r = 0; r < gemm_rounds; r++)); do
			record "gemm ${m}x${k}x${n} t$t" clip clip_bench "$t" --what gemm --m "$m" --k "$k" --n "$n" --iters "$gemm_iters"
			record "gemm ${m}x${k}x${n} t$t" peer py_bench "$t" --what gemm --m "$m" --k "$k" --n "$n" --iters "$gemm_iters"
		done
	done
	run image && for im in "${images[@]}"; do
		read -r arch batch <<<"$im"
		for ((r = 0; r < rounds; r++)); do
			record "image $arch b$batch t$t" clip clip_bench "$t" --model "configs/arch/$arch.json" --what image --batch "$batch" --iters "$iters"
			record "image $arch b$batch t$t" peer py_bench "$t" --arch "configs/arch/$arch.json" --what image --batch "$batch" --iters "$iters"
		done
	done
	run text && for ((r = 0; r < rounds; r++)); do
		record "text77 ViT-B-32 b32 t$t" clip clip_bench "$t" --model configs/arch/ViT-B-32.json --what text --batch 32 --iters "$iters"
		record "textL ViT-B-32 b32 t$t" clip clip_bench "$t" --model configs/arch/ViT-B-32.json --what text --batch 32 --text-len "$text_len" --iters "$iters"
		# PyTorch's cost does not depend on the end token's position: one run
		# is the peer of both rows.
		record "text77 ViT-B-32 b32 t$t" peer py_bench "$t" --arch configs/arch/ViT-B-32.json --what text --batch 32 --text-len "$text_len" --iters "$iters"
	done
	# Training: every text 77 tokens long on both sides, so the FLOP counts
	# (3 x forward) are the same.
	((quick && t == 1)) || { run train && for tr in "${trains[@]}"; do
		read -r arch batch <<<"$tr"
		for ((r = 0; r < rounds; r++)); do
			record "train $arch b$batch t$t" clip clip_bench "$t" --model "configs/arch/$arch.json" --what train --batch "$batch" --iters "$iters"
			record "train $arch b$batch t$t" peer py_bench "$t" --arch "configs/arch/$arch.json" --what train --batch "$batch" --iters "$iters"
		done
	done; }
done

# --- the machine ---------------------------------------------------------------
flag() { grep -qw "$1" /proc/cpuinfo && echo yes || echo no; }
cpuinfo() { sed -n "s/^$1[[:space:]]*: //p" /proc/cpuinfo | head -n1; }
pyinfo=$("${peer_env[@]}" LD_LIBRARY_PATH=$omplib OMP_NUM_THREADS=1 "$py" scripts/bench_torch_cpu.py --info)
{
	echo "machine:   $(lscpu | sed -n 's/^Model name: *//p' | head -n1) (family $(cpuinfo 'cpu family') model $(cpuinfo model)), $(nproc) CPUs; avx2 $(flag avx2), fma $(flag fma), avx512f $(flag avx512f)"
	echo "env:       OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset} in this shell; the peer runs with: ${peer_env[*]}; OpenBLAS kernel: $(echo "$pyinfo" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["openblas_core"])')"
	echo "python:    $(echo "$pyinfo" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print("python %s, torch %s, numpy %s" % (d["python"], d["torch"], d["numpy"])); print("blas:      " + " ".join(d["libs"]))')"
	echo "clip:      $("$clip" version 2>/dev/null | head -n1), $(go version | cut -d' ' -f3)"
	echo "run:       $(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - start)) s, $n_runs runs, rounds $rounds (gemm $gemm_rounds), iters $iters (gemm $gemm_iters), warmup $warmup; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "prompts:   \"a photo of a {label}.\" is at most $text_len tokens (${labels[*]})"
	echo
} >"$work/header"
cat "$work/header"

# --- the table ---------------------------------------------------------------------
"$py" - "$results" "$text_len" <<'EOF'
import collections, json, statistics, sys

runs = collections.defaultdict(list)  # (case, side) -> results, in run order
for line in open(sys.argv[1]):
    case, side, js = line.rstrip("\n").split("\t", 2)
    runs[case, side].append(json.loads(js))
text_len = sys.argv[2]


def med(case, side, key):
    """The median over rounds of one figure (each run reports its own median)."""
    rs = runs.get((case, side))
    return statistics.median(r[key] for r in rs) if rs else None


def f(v, fmt="%.1f"):
    return "-" if v is None else fmt % v


def ratio(a, b):
    return None if a is None or not b else a / b


rows = []  # (rank, first seen, threads, cells)
order = {}
for case in dict.fromkeys(c for c, _ in runs):
    kind, what, *rest = case.split()
    t = rest[-1][1:]
    order.setdefault(" ".join([kind, what] + rest[:-1]), len(order))
    peer = case
    if kind == "gemm":
        label, unit, key, goal, fmt = "SGEMM %s vs numpy" % what, "GFLOP/s", "gflops", "", "%.1f"
    elif kind == "image":
        label, unit, key, goal, fmt = "image %s %s" % (what, rest[0]), "img/s", "items_per_s", "", "%.2f"
    elif kind == "text77":
        label, unit, key, goal, fmt = "text %s %s L=77" % (what, rest[0]), "texts/s", "items_per_s", ">= 1.3", "%.2f"
    elif kind == "train":
        label, unit, key, goal, fmt = "train %s %s" % (what, rest[0]), "samples/s", "items_per_s", "", "%.2f"
    else:  # textL: clip at the prompt length against PyTorch's 77-token run
        peer = "text77 " + " ".join([what] + rest)
        label, unit, key, goal, fmt = "text %s %s L=%s vs 77" % (what, rest[0], text_len), "texts/s", "items_per_s", ">= 5", "%.2f"
    c, p = med(case, "clip", key), med(peer, "peer", key)
    rank = ["gemm", "image", "textL", "text77", "train"].index(kind)
    rows.append((rank, order[" ".join([kind, what] + rest[:-1])], int(t), (
        label, t, unit, f(c, fmt), f(p, fmt), f(ratio(c, p), "%.2f"),
        f(med(case, "clip", "gflops")), f(med(peer, "peer", "gflops")),
        "%s / %s" % (f(med(case, "clip", "peak_rss_mb"), "%.0f"), f(med(peer, "peer", "peak_rss_mb"), "%.0f")),
        goal)))
table = [("workload", "thr", "unit", "clip", "peer", "clip/peer", "clip GFLOP/s", "peer GFLOP/s", "peak RSS MiB clip / peer", "goal")]
table += [r[3] for r in sorted(rows, key=lambda r: r[:3])]
widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
for i, r in enumerate(table):
    print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip())
    if i == 0:
        print("  ".join("-" * w for w in widths))
print()
print("peer: numpy x @ W.T for SGEMM, PyTorch for the towers and training, both on OpenBLAS-openmp. Figures are")
print("medians over rounds; GFLOP/s counts the matmuls each side computes (clip's text tower stops at the end token,")
print("PyTorch runs all 77 positions; a training step is 3 x the forward of both towers, texts of 77 tokens); RSS is")
print("each process's peak. The machine may be shared: trust same-run ratios.")
EOF
