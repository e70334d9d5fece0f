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
	vec := useVec()
	b.parallel(n, max(1, 2048/c), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := in[i*c : i*c+c]
			mu := sum64(row, vec) / float64(c)
			r := 1 / math.Sqrt(sumSquaredDev64(row, mu, vec)/float64(c)+float64(eps))
			md[i], rd[i] = float32(mu), float32(r)
			normalizeRow(o[i*c:i*c+c], row, wd, bd, mu, r, vec)
		}
	})
}

// normalizeRow writes out[j] = float32((x[j]-mu)·r)·w[j] + b[j]. The
// conversion keeps the compiler from fusing the product with the sum (as it
// may on GOAMD64=v3), so the vector code does the same operations.
func normalizeRow(out, x, w, b []float32, mu, r float64, vec bool) {
	j := 0
	if vec {
		j = lnOutVec(out, x, w, b, mu, r)
	}
	for ; j < len(x); j++ {
		out[j] = float32(float32((float64(x[j])-mu)*r)*w[j]) + b[j]
	}
}

// sum64 adds x in float64 with four partial sums, s[l] over the elements
// 4i+l, the leftover elements into s[0], then (s[0]+s[1])+(s[2]+s[3]): one
// running sum would make every addition wait for the previous one, and the
// four sums are the four lanes of the vector code.
func sum64(x []float32, vec bool) float64 {
	var s [4]float64
	n := 0
	if vec {
		n = sum4Vec(x, &s)
	}
	if n == 0 {
		for ; n+4 <= len(x); n += 4 {
			s[0] += float64(x[n])
			s[1] += float64(x[n+1])
			s[2] += float64(x[n+2])
			s[3] += float64(x[n+3])
		}
	}
	for ; n < len(x); n++ {
		s[0] += float64(x[n])
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// sumSquaredDev64 is Σ(x-mu)² in float64, with sum64's four partial sums.
func sumSquaredDev64(x []float32, mu float64, vec bool) float64 {
	var s [4]float64
	n := 0
	if vec {
		n = sqDev4Vec(x, mu, &s)
	}
	if n == 0 {
		for ; n+4 <= len(x); n += 4 {
			d0, d1, d2, d3 := float64(x[n])-mu, float64(x[n+1])-mu, float64(x[n+2])-mu, float64(x[n+3])-mu
			s[0] += float64(d0 * d0)
			s[1] += float64(d1 * d1)
			s[2] += float64(d2 * d2)
			s[3] += float64(d3 * d3)
		}
	}
	for ; n < len(x); n++ {
		d := float64(x[n]) - mu
		s[0] += float64(d * d)
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}
