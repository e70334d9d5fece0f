package cpu

import (
	"github.com/clip-go/clip/internal/compute"
)

// MatMulForward computes out[M,N] = a[M,K] @ b + bias[N], then act.
// b is [K,N], or [N,K] when transB (PyTorch's Linear weight layout).
// bias may be nil.
func (b *Backend) MatMulForward(out, a, w, bias compute.Tensor, transB bool, act compute.Activation) {
	const op = "MatMulForward"
	check(len(a.Shape) == 2 && len(w.Shape) == 2 && len(out.Shape) == 2, op, "want 2-D tensors, got out %v a %v b %v", out, a, w)
	m, k := a.Shape[0], a.Shape[1]
	n := w.Shape[1]
	wk := w.Shape[0]
	if transB {
		n, wk = w.Shape[0], w.Shape[1]
	}
	check(wk == k, op, "inner dimensions differ: a %v b %v transB=%v", a, w, transB)
	check(out.Shape[0] == m && out.Shape[1] == n, op, "out %v, want [%d,%d]", out, m, n)
	check(bias.IsNil() || bias.Numel() == n, op, "bias %v, want [%d]", bias, n)

	bt := data(w)
	if !transB {
		// The kernel reads b as rows of K; transpose once so its inner loop
		// walks contiguous memory for both operands.
		bt = transpose(bt, k, n)
	}
	b.gemmNT(data(out), data(a), bt, m, n, k)
	b.biasAct(data(out), data(bias), m, n, act)
}

// transpose returns the [n,k] transpose of x[k,n].
func transpose(x []float32, k, n int) []float32 {
	t := make([]float32, len(x))
	for i := 0; i < k; i++ {
		row := x[i*n : i*n+n]
		for j, v := range row {
			t[j*k+i] = v
		}
	}
	return t
}

// gemmNT computes c[M,N] = a[M,K] @ bt[N,K]^T with float32 accumulation,
// parallel over blocks of rows. Every element is summed in the same order
// (p = 0..K-1, one accumulator) whichever path computes it, so a row's
// result does not depend on the batch it is in: an image embedded alone and
// in a batch of 32 gives the same bits. The 4x4 register block reuses each loaded
// element four times; issue-level speed comes from the assembly kernel that
// replaces this one.
func (b *Backend) gemmNT(c, a, bt []float32, m, n, k int) {
	const rows = 4
	blocks := (m + rows - 1) / rows
	b.parallel(blocks, max(1, 16384/(n*k+1)), func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			i0 := blk * rows
			i1 := min(i0+rows, m)
			// Column tiles keep a slab of bt hot in cache across the rows.
			const colTile = 64
			for j0 := 0; j0 < n; j0 += colTile {
				j1 := min(j0+colTile, n)
				if i1-i0 == rows {
					kernel4xN(c, a, bt, i0, j0, j1, n, k)
					continue
				}
				for i := i0; i < i1; i++ {
					ar := a[i*k : i*k+k]
					for j := j0; j < j1; j++ {
						c[i*n+j] = dotSeq(ar, bt[j*k:j*k+k])
					}
				}
			}
		}
	})
}

// kernel4xN fills rows i0..i0+3, columns j0..j1 of c.
func kernel4xN(c, a, bt []float32, i0, j0, j1, n, k int) {
	a0 := a[i0*k : i0*k+k]
	a1 := a[(i0+1)*k : (i0+1)*k+k]
	a2 := a[(i0+2)*k : (i0+2)*k+k]
	a3 := a[(i0+3)*k : (i0+3)*k+k]
	j := j0
	for ; j+2 <= j1; j += 2 {
		b0 := bt[j*k : j*k+k]
		b1 := bt[(j+1)*k : (j+1)*k+k]
		var s00, s01, s10, s11, s20, s21, s30, s31 float32
		for p := range b0 {
			x0, x1 := b0[p], b1[p]
			y := a0[p]
			s00 += y * x0
			s01 += y * x1
			y = a1[p]
			s10 += y * x0
			s11 += y * x1
			y = a2[p]
			s20 += y * x0
			s21 += y * x1
			y = a3[p]
			s30 += y * x0
			s31 += y * x1
		}
		c[i0*n+j], c[i0*n+j+1] = s00, s01
		c[(i0+1)*n+j], c[(i0+1)*n+j+1] = s10, s11
		c[(i0+2)*n+j], c[(i0+2)*n+j+1] = s20, s21
		c[(i0+3)*n+j], c[(i0+3)*n+j+1] = s30, s31
	}
	for ; j < j1; j++ {
		bj := bt[j*k : j*k+k]
		c[i0*n+j] = dotSeq(a0, bj)
		c[(i0+1)*n+j] = dotSeq(a1, bj)
		c[(i0+2)*n+j] = dotSeq(a2, bj)
		c[(i0+3)*n+j] = dotSeq(a3, bj)
	}
}

// dotSeq is a float32 dot product summed in index order, the order of the
// register-blocked kernel.
func dotSeq(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// dot is a float32 dot product with four partial sums.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// biasAct adds bias to every row of c[M,N] and applies act in place.
func (b *Backend) biasAct(c, bias []float32, m, n int, act compute.Activation) {
	if bias == nil && act == compute.ActNone {
		return
	}
	b.parallel(m, max(1, 4096/(n+1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := c[i*n : i*n+n]
			if bias != nil {
				for j := range row {
					row[j] += bias[j]
				}
			}
			applyAct(row, row, act)
		}
	})
}
