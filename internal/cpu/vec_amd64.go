package cpu

import "golang.org/x/sys/cpu"

// hasAVX2: the CPU runs the vector loops of vec_amd64.s (x/sys/cpu also
// checks that the OS saves the YMM registers).
var hasAVX2 = cpu.X86.HasAVX2

// colSums64AVX2 is colSums64 on the first n columns, n a positive multiple
// of 4, rows >= 1.
//
//go:noescape
func colSums64AVX2(acc *float64, n int, src *float32, rows, ld int)

// colSums64Vec runs colSums64 on the longest prefix of columns the vector
// code covers and returns its length.
func colSums64Vec(acc []float64, src []float32, rows, ld int) int {
	n := len(acc) &^ 3
	if n > 0 {
		colSums64AVX2(&acc[0], n, &src[0], rows, ld)
	}
	return n
}

// scaleAVX2 is dst = c·src over n values, n a positive multiple of 8.
//
//go:noescape
func scaleAVX2(dst, src *float32, n int, c float32)

// scaleVec sets dst[i] = c·src[i] over the longest prefix the vector code
// covers and returns its length.
func scaleVec(dst, src []float32, c float32) int {
	n := min(len(dst), len(src)) &^ 7
	if n > 0 {
		scaleAVX2(&dst[0], &src[0], n, c)
	}
	return n
}

// quickGELUGradAVX2 is the QuickGELU backward of quickGELUBackward on n
// values, n a positive multiple of 4, given e = Exp32(-1.702·x).
//
//go:noescape
func quickGELUGradAVX2(dx, gr, x, e *float32, n int)

// quickGELUGradVec runs quickGELUGradAVX2 on the longest prefix of x the
// vector code covers and returns its length.
func quickGELUGradVec(dx, g, x, e []float32) int {
	n := len(x) &^ 3
	if n > 0 {
		_, _, _ = dx[n-1], g[n-1], e[n-1]
		quickGELUGradAVX2(&dx[0], &g[0], &x[0], &e[0], n)
	}
	return n
}

// The layer-norm loops of vec_amd64.s; see their comments there and the
// scalar code in layernorm.go and layernorm_backward.go.

//go:noescape
func sum4AVX2(x *float32, n int, s *[4]float64)

//go:noescape
func sqDev4AVX2(x *float32, n int, mu float64, s *[4]float64)

//go:noescape
func lnOutAVX2(out, x, w, b *float32, n int, mu, r float64)

//go:noescape
func lnBackSums4AVX2(gr, x, w *float32, n int, mu, r float64, s *[8]float64)

//go:noescape
func lnBackDxAVX2(dx, gr, x, w *float32, n int, mu, r, sg, sgx float64)

//go:noescape
func lnGradColsAVX2(sw, sb *float64, n int, gr, x *float32, ld, rows int, mean, rstd *float32)

// sum4Vec sets s to sum64's four partial sums over the longest prefix of x
// the vector code covers and returns its length.
func sum4Vec(x []float32, s *[4]float64) int {
	n := len(x) &^ 3
	if n > 0 {
		sum4AVX2(&x[0], n, s)
	}
	return n
}

// sqDev4Vec is sum4Vec for sumSquaredDev64.
func sqDev4Vec(x []float32, mu float64, s *[4]float64) int {
	n := len(x) &^ 3
	if n > 0 {
		sqDev4AVX2(&x[0], n, mu, s)
	}
	return n
}

// lnOutVec is the output loop of LayerNormForward's row over the longest
// prefix the vector code covers; it returns its length.
func lnOutVec(out, x, w, b []float32, mu, r float64) int {
	n := len(x) &^ 3
	if n > 0 {
		_, _, _ = out[n-1], w[n-1], b[n-1]
		lnOutAVX2(&out[0], &x[0], &w[0], &b[0], n, mu, r)
	}
	return n
}

// lnBackSums4Vec is the row sums of LayerNormBackward (sg in s[:4], sgx in
// s[4:]) over the longest prefix the vector code covers.
func lnBackSums4Vec(g, x, w []float32, mu, r float64, s *[8]float64) int {
	n := len(x) &^ 3
	if n > 0 {
		_, _ = g[n-1], w[n-1]
		lnBackSums4AVX2(&g[0], &x[0], &w[0], n, mu, r, s)
	}
	return n
}

// lnBackDxVec is the dx loop of LayerNormBackward's row over the longest
// prefix the vector code covers.
func lnBackDxVec(dx, g, x, w []float32, mu, r, sg, sgx float64) int {
	n := len(x) &^ 3
	if n > 0 {
		_, _, _ = dx[n-1], g[n-1], w[n-1]
		lnBackDxAVX2(&dx[0], &g[0], &x[0], &w[0], n, mu, r, sg, sgx)
	}
	return n
}

// lnGradColsVec accumulates the parameter gradients of rows rows into the
// longest prefix of columns (sw and sb, equal lengths) the vector code
// covers and returns its length.
func lnGradColsVec(sw, sb []float64, g, x []float32, ld, rows int, mean, rstd []float32) int {
	n := len(sw) &^ 3
	if n > 0 && rows > 0 {
		_, _ = sb[n-1], mean[rows-1]
		_, _ = rstd[rows-1], g[(rows-1)*ld+n-1]
		_ = x[(rows-1)*ld+n-1]
		lnGradColsAVX2(&sw[0], &sb[0], n, &g[0], &x[0], ld, rows, &mean[0], &rstd[0])
	}
	return n
}

// The attention loops of vec_amd64.s; see attention.go and
// attention_backward.go for the scalar code.

//go:noescape
func maxAVX2(x *float32, n int) (m float32, nan bool)

//go:noescape
func subAVX2(x *float32, n int, c float32)

//go:noescape
func attnGradAVX2(s, p *float32, n int, dot float64)

// maxVec returns the largest value of the longest prefix of x the vector
// code covers, whether that prefix holds a NaN, and the prefix's length
// (0: no prefix, m and nan meaningless).
func maxVec(x []float32) (m float32, nan bool, n int) {
	n = len(x) &^ 7
	if n > 0 {
		m, nan = maxAVX2(&x[0], n)
	}
	return m, nan, n
}

// subVec sets x[i] -= c over the longest prefix the vector code covers and
// returns its length.
func subVec(x []float32, c float32) int {
	n := len(x) &^ 7
	if n > 0 {
		subAVX2(&x[0], n, c)
	}
	return n
}

// attnGradVec sets s[j] = float32(p[j]·(s[j]-dot)) over the longest prefix
// the vector code covers and returns its length.
func attnGradVec(s, p []float32, dot float64) int {
	n := len(s) &^ 3
	if n > 0 {
		_ = p[n-1]
		attnGradAVX2(&s[0], &p[0], n, dot)
	}
	return n
}

//go:noescape
func addAVX2(out, a, b *float32, n int)

//go:noescape
func adamwAVX2(p, gr, m, v *float32, n int, c *[8]float32)

//go:noescape
func sumSq16AVX2(x *float32, n int, s *[16]float64)

// addVec sets out[i] = a[i] + b[i] over the longest prefix the vector code
// covers and returns its length.
func addVec(out, a, b []float32) int {
	n := len(out) &^ 7
	if n > 0 {
		_, _ = a[n-1], b[n-1]
		addAVX2(&out[0], &a[0], &b[0], n)
	}
	return n
}

// adamwVec runs the AdamW step over the longest prefix the vector code
// covers and returns its length; c is as adamwAVX2's.
func adamwVec(p, g, m, v []float32, c *[8]float32) int {
	n := len(p) &^ 7
	if n > 0 {
		_, _, _ = g[n-1], m[n-1], v[n-1]
		adamwAVX2(&p[0], &g[0], &m[0], &v[0], n, c)
	}
	return n
}

// sumSq16Vec sets s to sixteen partial sums of squares (lane l: the
// elements 16i+l) over the longest prefix of x the vector code covers and
// returns its length.
func sumSq16Vec(x []float32, s *[16]float64) int {
	n := len(x) &^ 15
	if n > 0 {
		sumSq16AVX2(&x[0], n, s)
	}
	return n
}
