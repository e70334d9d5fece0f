package cpu

import (
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// MatMulBackward is the backward of MatMulForward without activation
// (training keeps the pre-activation; see ActivationBackward). For
// out[M,N] = a[M,K] @ b + bias: da[M,K] = dOut·bᵀ (dOut·b when transB)
// overwrites; db += aᵀ·dOut ([K,N]), or dOutᵀ·a ([N,K]) when transB;
// dBias[N] += the column sums of dOut. Nil outputs are skipped.
func (b *Backend) MatMulBackward(da, db, dBias, dOut, a, w compute.Tensor, transB bool) {
	const op = "MatMulBackward"
	m, n, k, err := compute.MatMulBackwardDims(da, db, dBias, dOut, a, w, transB)
	check(err == nil, op, "%v", err)
	g := data(dOut)
	if !da.IsNil() {
		// da[M,K] = dOut[M,N]·op(b)ᵀ: b stored [K,N] is read transposed,
		// b stored [N,K] (transB) as it is.
		sgemm.Gemm(sgemm.Params{
			M: m, N: k, K: n, TransB: !transB, Alpha: 1,
			A: g, B: data(w), C: data(da), Threads: b.threads,
		})
	}
	if !db.IsNil() {
		if transB {
			// db[N,K] += dOutᵀ[N,M]·a[M,K]
			sgemm.Gemm(sgemm.Params{
				M: n, N: k, K: m, TransA: true, Alpha: 1, Beta: 1,
				A: g, B: data(a), C: data(db), Threads: b.threads,
			})
		} else {
			// db[K,N] += aᵀ[K,M]·dOut[M,N]
			sgemm.Gemm(sgemm.Params{
				M: k, N: n, K: m, TransA: true, Alpha: 1, Beta: 1,
				A: data(a), B: g, C: data(db), Threads: b.threads,
			})
		}
	}
	if !dBias.IsNil() {
		b.addColumnSums(data(dBias), g, m, n)
	}
}

// addColumnSums adds to dst[j] the sum over the rows of src[rows,cols]
// of column j, accumulated in float64 in row order. Ranges of columns run
// in parallel, so the result does not depend on the thread count; within a
// range the rows are read front to back (colSums64).
func (b *Backend) addColumnSums(dst, src []float32, rows, cols int) {
	const block = 512 // columns summed per pass: 4 KiB of float64 sums
	groups := (cols + 3) / 4
	b.parallel(groups, max(1, 4096/max(rows, 1)), func(lo, hi int) {
		var acc [block]float64
		j1 := min(hi*4, cols)
		for j := lo * 4; j < j1; j += block {
			s := acc[:min(block, j1-j)]
			clear(s)
			colSums64(s, src[j:], rows, cols)
			for k, v := range s {
				dst[j+k] += float32(v)
			}
		}
	})
}
