//go:build cuda

package cuda

import (
	"fmt"
	"slices"

	"gorgonia.org/cu"

	"github.com/clip-go/clip/internal/compute"
)

// check panics with the op name when a programmer error (a shape mismatch)
// is found, as the CPU backend does.
func check(ok bool, op, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf("cuda.%s: %s", op, fmt.Sprintf(format, args...)))
	}
}

// tile is the GEMM block tile; bf16 operand copies are padded to it.
const tile = 128

// pad rounds n up to a multiple of the tile.
func pad(n int) int { return (n + tile - 1) / tile * tile }

// ceilDiv is ⌈a/b⌉ for positive b.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// toBF16 queues dst (bf16 [rowsPad][colsPad]) = src (fp32 [rows][cols], row
// stride ld) rounded to bf16 and zero-padded (kernel cvt_pad_bf16).
func (d *Device) toBF16(dst cu.DevicePtr, rowsPad, colsPad int, src cu.DevicePtr, rows, cols, ld int) {
	chunks := rowsPad * colsPad / 8
	blocks := min(ceilDiv(chunks, 256), 8192)
	d.launch("cvt_pad_bf16", dim3{blocks, 1, 1}, dim3{256, 1, 1},
		ptrArg(dst), intArg(rowsPad), intArg(colsPad), ptrArg(src), intArg(rows), intArg(cols), intArg(ld))
}

// bToBF16 queues dst = the padded bf16 copy of a product's b operand as
// it is stored, [N,K] when transB, else [K,N], and returns the copy's row
// stride: pad(K) or pad(N).
func (d *Device) bToBF16(dst cu.DevicePtr, b compute.Tensor, n, k int, transB bool) (ld int) {
	if transB {
		d.toBF16(dst, pad(n), pad(k), devPtr(b), n, k, k)
		return pad(k)
	}
	d.toBF16(dst, pad(k), pad(n), devPtr(b), k, n, n)
	return pad(n)
}

// bf16Bytes is the size of a padded bf16 copy.
func bf16Bytes(rowsPad, colsPad int) int64 { return int64(rowsPad) * int64(colsPad) * 2 }

// gemmCall is one launch of gemm_nk, gemm_kn or gemm_tkn (see gemm.cu):
// C[M,N] (row stride ldc) = act(alpha·A·B + bias) or += alpha·A·B, with A
// and B padded bf16 copies, mPad x nPad the padded output and kPad the
// padded inner size. splits > 1 divides the k-tiles among that many blocks
// per output tile, which then add into C with atomics (accumulate must be
// 2, and C hold what the sum starts from).
type gemmCall struct {
	kernel           string
	c                cu.DevicePtr
	ldc              int
	a                cu.DevicePtr
	lda              int
	b                cu.DevicePtr
	ldb              int
	bias             cu.DevicePtr
	m, n             int
	mPad, nPad, kPad int
	alpha            float32
	act              int
	accumulate       int // 0 store, 1 add, 2 add with atomics (split-K)
	splits           int
}

func (d *Device) gemm(g gemmCall) {
	if g.splits > 1 && g.accumulate != 2 {
		panic("cuda: a split-K GEMM must accumulate with atomics")
	}
	d.launch(g.kernel, dim3{g.nPad / tile, g.mPad / tile, max(g.splits, 1)}, dim3{256, 1, 1},
		ptrArg(g.c), intArg(g.ldc), ptrArg(g.a), intArg(g.lda), ptrArg(g.b), intArg(g.ldb), ptrArg(g.bias),
		intArg(g.m), intArg(g.n), intArg(g.kPad/32), f32Arg(g.alpha), intArg(g.act), intArg(g.accumulate))
}

// splitK is how many blocks should share the k-tiles of each output tile
// of a GEMM with outTiles tiles and kTiles k-tiles: enough for about two
// blocks per multiprocessor, with at least 8 k-tiles each.
func (d *Device) splitK(outTiles, kTiles int) int {
	s := ceilDiv(2*d.info.SMs, max(outTiles, 1))
	return max(min(s, kTiles/8), 1)
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b []int) bool { return slices.Equal(a, b) }
