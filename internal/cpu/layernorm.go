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
			mu := sum64(row) / float64(c)
			r := 1 / math.Sqrt(sumSquaredDev64(row, mu)/float64(c)+float64(eps))
			md[i], rd[i] = float32(mu), float32(r)
			orow := o[i*c : i*c+c]
			for j, v := range row {
				orow[j] = float32((float64(v)-mu)*r)*wd[j] + bd[j]
			}
		}
	})
}

// sum64 adds x in float64 with four independent partial sums: one running
// sum would make every addition wait for the previous one.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquaredDev64 is Σ(x-mu)² in float64, with four partial sums.
func sumSquaredDev64(x []float32, mu float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-mu, float64(x[i+1])-mu, float64(x[i+2])-mu, float64(x[i+3])-mu
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mu
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}
