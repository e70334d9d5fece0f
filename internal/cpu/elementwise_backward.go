package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// L2NormalizeBackward for y = x/max(||x||, 1e-12) per row of x[N,C]:
// dx = (dOut - y·(y·dOut))/||x|| overwrites. Where the norm is clamped the
// map is linear, dx = dOut/1e-12, as PyTorch's.
func (b *Backend) L2NormalizeBackward(dx, dOut, x compute.Tensor) {
	const op = "L2NormalizeBackward"
	c := x.Dim(-1)
	check(dx.Numel() == x.Numel() && dOut.Numel() == x.Numel(), op, "dx %v dOut %v x %v", dx, dOut, x)
	d, g, xd := data(dx), data(dOut), data(x)
	b.parallel(len(xd)/max(c, 1), max(1, 2048/max(c, 1)), func(lo, hi int) {
		for i := lo * c; i < hi*c; i += c {
			row, grow := xd[i:i+c], g[i:i+c]
			var ss, dot float64
			for j, v := range row {
				ss += float64(v) * float64(v)
				dot += float64(v) * float64(grow[j])
			}
			nrm := math.Sqrt(ss)
			if nrm <= 1e-12 {
				for j, gv := range grow {
					d[i+j] = float32(float64(gv) / 1e-12)
				}
				continue
			}
			inv := 1 / nrm
			// y·dOut = dot/||x||; dx = (dOut - x·dot/||x||²)/||x||
			k := dot * inv * inv
			for j, v := range row {
				d[i+j] = float32((float64(grow[j]) - float64(v)*k) * inv)
			}
		}
	})
}

// Zero sets every element of t to 0.
func (b *Backend) Zero(t compute.Tensor) {
	clear(data(t))
}

// SumSquares writes out[1] = Σ x², accumulated in float64: blocks of
// sumSqBlock values in parallel, each summed as sumSquares64 does, and the
// block sums added in order, so the result does not depend on the thread
// count.
func (b *Backend) SumSquares(out, x compute.Tensor) {
	check(out.Numel() == 1, "SumSquares", "out %v, want [1]", out)
	xd := data(x)
	nb := (len(xd) + sumSqBlock - 1) / sumSqBlock
	sums := make([]float64, nb)
	vec := useVec()
	b.parallel(nb, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sums[i] = sumSquares64(xd[i*sumSqBlock:min((i+1)*sumSqBlock, len(xd))], vec)
		}
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	data(out)[0] = float32(s)
}

// sumSqBlock is the number of values SumSquares gives one block.
const sumSqBlock = 1 << 16

// sumSquares64 is Σ x² in float64 with sixteen partial sums, s[l] over the
// elements 16i+l (the lanes of the vector code), added in order of l, then
// the leftover elements in order. (The square of a float32 is exact in
// float64.)
func sumSquares64(x []float32, vec bool) float64 {
	var s [16]float64
	n := 0
	if vec {
		n = sumSq16Vec(x, &s)
	}
	if n == 0 {
		for ; n+16 <= len(x); n += 16 {
			for l, v := range x[n : n+16] {
				s[l] += float64(v) * float64(v)
			}
		}
	}
	var t float64
	for _, v := range s {
		t += v
	}
	for _, v := range x[n:] {
		t += float64(v) * float64(v)
	}
	return t
}

// Clamp sets x = min(max(x, lo), hi) elementwise, in place.
func (b *Backend) Clamp(x compute.Tensor, lo, hi float32) {
	check(lo <= hi, "Clamp", "lo %g > hi %g", lo, hi)
	xd := data(x)
	for i, v := range xd {
		xd[i] = min(max(v, lo), hi)
	}
}
