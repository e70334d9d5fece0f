//go:build cuda

package cuda

import "math"

// Float64 references for the benchmark shapes, where the CPU backend would
// be slow: the GPU check compares each timed result with them.

// attnRef64 is attention for batch element b in float64: out[Tq,C] and
// lse[H,Tq]; with dout non-nil also dq[Tq,C], dk[Tk,C], dv[Tk,C].
func attnRef64(q, k, v, dout []float32, b, tq, tk, c, heads int, causal bool) (out, lse, dq, dk, dv []float64) {
	d := c / heads
	scale := 1 / math.Sqrt(float64(d))
	qo, ko := b*tq*c, b*tk*c
	out = make([]float64, tq*c)
	lse = make([]float64, heads*tq)
	if dout != nil {
		dq, dk, dv = make([]float64, tq*c), make([]float64, tk*c), make([]float64, tk*c)
	}
	p := make([]float64, tk)
	dp := make([]float64, tk)
	for h := 0; h < heads; h++ {
		for i := 0; i < tq; i++ {
			n := tk
			if causal {
				n = i + 1
			}
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				var s float64
				for x := 0; x < d; x++ {
					s += float64(q[qo+i*c+h*d+x]) * float64(k[ko+j*c+h*d+x])
				}
				p[j] = s * scale
				mx = math.Max(mx, p[j])
			}
			var sum float64
			for j := 0; j < n; j++ {
				p[j] = math.Exp(p[j] - mx)
				sum += p[j]
			}
			lse[h*tq+i] = mx + math.Log(sum)
			for j := 0; j < n; j++ {
				p[j] /= sum
				for x := 0; x < d; x++ {
					out[i*c+h*d+x] += p[j] * float64(v[ko+j*c+h*d+x])
				}
			}
			if dout == nil {
				continue
			}
			// dP = dO·Vᵀ, dS = P∘(dP - Σ P∘dP), dQ = s·dS·K, dK += s·dSᵀ·Q, dV += Pᵀ·dO.
			var dot float64
			for j := 0; j < n; j++ {
				var s float64
				for x := 0; x < d; x++ {
					s += float64(dout[qo+i*c+h*d+x]) * float64(v[ko+j*c+h*d+x])
				}
				dp[j] = s
				dot += p[j] * s
			}
			for j := 0; j < n; j++ {
				ds := p[j] * (dp[j] - dot)
				for x := 0; x < d; x++ {
					dq[i*c+h*d+x] += scale * ds * float64(k[ko+j*c+h*d+x])
					dk[j*c+h*d+x] += scale * ds * float64(q[qo+i*c+h*d+x])
					dv[j*c+h*d+x] += p[j] * float64(dout[qo+i*c+h*d+x])
				}
			}
		}
	}
	return
}

// gemmRows64 is rows idx of a[M,K]·op(b) + bias in float64.
func gemmRows64(a, b, bias []float32, k, n int, transB bool, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for r, i := range idx {
		row := make([]float64, n)
		for j := 0; j < n; j++ {
			var s float64
			for x := 0; x < k; x++ {
				w := b[x*n+j]
				if transB {
					w = b[j*k+x]
				}
				s += float64(a[i*k+x]) * float64(w)
			}
			if bias != nil {
				s += float64(bias[j])
			}
			row[j] = s
		}
		out[r] = row
	}
	return out
}

// gradRows64 is rows idx of the weight gradient Σ_m x[m,i]·y[m,:] for
// x[M,P], y[M,Q] in float64 (db = dOutᵀ·a or aᵀ·dOut).
func gradRows64(x, y []float32, m, p, q int, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for r, i := range idx {
		row := make([]float64, q)
		for mm := 0; mm < m; mm++ {
			xv := float64(x[mm*p+i])
			if xv == 0 {
				continue
			}
			yr := y[mm*q : (mm+1)*q]
			for j, yv := range yr {
				row[j] += xv * float64(yv)
			}
		}
		out[r] = row
	}
	return out
}
