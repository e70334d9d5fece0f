package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// LayerNormForward normalises x[N,C] over C: out = (x-mean)·rstd·w + b, with
// rstd = 1/sqrt(var+eps) (biased variance). mean[N] and rstd[N] are saved
// for the backward. Statistics accumulate in float64 so the result is the
// correctly rounded float32 of the exact value, as OpenAI's fp32 LayerNorm
// intends.
func (b *Backend) LayerNormForward(out, mean, rstd, x, w, bias compute.Tensor, eps float32) {
	const op = "LayerNormForward"
	c := x.Dim(-1)
	n := x.Numel() / c
	check(out.Numel() == x.Numel(), op, "out %v x %v", out, x)
	check(w.Numel() == c && bias.Numel() == c, op, "w %v b %v for width %d", w, bias, c)
	check(mean.Numel() == n && rstd.Numel() == n, op, "mean %v rstd %v for %d rows", mean, rstd, n)
	o, in, wd, bd, md, rd := data(out), data(x), data(w), data(bias), data(mean), data(rstd)
	b.parallel(n, max(1, 2048/c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := in[i*c : i*c+c]
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			mu := s / float64(c)
			var ss float64
			for _, v := range row {
				d := float64(v) - mu
				ss += d * d
			}
			r := 1 / math.Sqrt(ss/float64(c)+float64(eps))
			md[i], rd[i] = float32(mu), float32(r)
			orow := o[i*c : i*c+c]
			for j, v := range row {
				orow[j] = float32((float64(v)-mu)*r)*wd[j] + bd[j]
			}
		}
	})
}
