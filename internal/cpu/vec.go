package cpu

import "github.com/clip-go/clip/internal/sgemm"

// The loops of the memory-bound ops (column sums, layer norm, activation
// backward, AdamW, residual adds) have AVX2 versions on amd64 (vec_amd64.s)
// that do the scalar Go code's floating-point operations in the same order,
// lane by lane, and therefore give the same bits; the scalar code is the
// specification and runs everywhere else. useVec picks the vector code. It
// follows the GEMM kernel: forcing the pure-Go kernel (sgemm.SetForceGeneric)
// also forces the scalar loops, so the pure-Go backend stays tested.
func useVec() bool { return hasAVX2 && sgemm.Kernel() != "generic" }

// colSums64 adds to acc[j], for j < len(acc), the float64 sum of column j
// of the rows×len(acc) matrix src with leading dimension ld, one row after
// another.
func colSums64(acc []float64, src []float32, rows, ld int) {
	if rows <= 0 || len(acc) == 0 {
		return
	}
	_ = src[(rows-1)*ld+len(acc)-1]
	n := 0
	if useVec() {
		n = colSums64Vec(acc, src, rows, ld)
	}
	colSums64Go(acc[n:], src[n:], rows, ld)
}

// colSums64Go is the scalar colSums64.
func colSums64Go(acc []float64, src []float32, rows, ld int) {
	if len(acc) == 0 {
		return
	}
	for i := range rows {
		row := src[i*ld : i*ld+len(acc)]
		for j, v := range row {
			acc[j] += float64(v)
		}
	}
}
