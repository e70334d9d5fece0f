package sgemm

import "sync/atomic"

// kc is the depth of a packed block along K. It is one constant for every
// kernel and every call because it fixes where each element's sum is split
// (see the package doc). At 256 a B panel (16 KiB at 16 columns, 32 KiB at
// 32) stays in L1 and each tile's pass over C is amortised over 256 steps.
const kc = 256

// packSlack is the number of values a panel packer may write past its panel.
const packSlack = 8

// Flags passed to a micro-kernel.
const (
	// flagAccumulate: c = alpha·acc + c (one fused multiply-add in the
	// assembly kernels). Without it c = alpha·acc and c is never read, so
	// garbage (NaN) in c is ignored.
	flagAccumulate = 1 << iota
	// flagBias: then c += bias[0:nr].
	flagBias
)

// kernel is one micro-kernel with the blocking that suits it.
type kernel struct {
	name   string
	mr, nr int // register tile of C
	mc     int // rows of op(A) packed per block (multiple of mr): the A block, mc×kc, stays in L2
	nc     int // columns of op(B) packed per block (multiple of nr): the B block, kc×nc, stays in L3
	lanes  int // multiply-adds per cycle per core, for the cost model
	// micro computes the mr×nr tile c (row stride ldc) from k steps of the
	// packed panels a (k×mr, mr values per step) and b (k×nr): the tile's
	// sums are alpha·Σ a·b over the k steps in order, combined with c as
	// flags say.
	micro func(k int, a, b, c []float32, ldc int, alpha float32, flags int, bias []float32)
	// transposePanel, when not nil, packs one full panel of w = mr or nr
	// lines stored as source rows (A stored [M,K], B stored [N,K]; see
	// packPanels): step k's values src[r·ld+k], r < w, go to d[k·w+r], for
	// k < kb. It may write up to packSlack values past the panel, which the
	// next panel or the slack at the end of the buffer absorbs.
	transposePanel func(d, src []float32, ld, w, kb int)
	// copyPanels, when not nil, packs panels full panels of w values a
	// step whose values are contiguous in the source (op(A) stored [K,M],
	// op(B) stored [K,N]) from kb rows ld apart, a whole block at a time:
	// panel q's step k is src[k·ld+q·w:][:w], stored at d[q·w·kb+k·w:].
	copyPanels func(d, src []float32, ld, kb, panels, w int)
	scratch    freeList[scratch] // packing buffers sized for this kernel
}

var (
	// best is the fastest kernel this CPU runs: the first of kernels, the
	// list the arch files build from the CPU's features, fastest first.
	best = kernels[0]
	// current is the kernel Gemm uses: best, or generic when forced.
	current atomic.Pointer[kernel]
)

func init() { current.Store(best) }

// SetForceGeneric makes Gemm use the pure-Go kernel (on) or the fastest
// kernel for this CPU (off). It is meant for tests and benchmarks; it is
// safe to call concurrently with Gemm, and calls in flight keep the kernel
// they started with.
func SetForceGeneric(on bool) {
	if on {
		current.Store(&genericKernel)
	} else {
		current.Store(best)
	}
}

// Kernel names the kernel Gemm uses now: "avx512", "avx2-fma" or "generic".
func Kernel() string { return current.Load().name }
