package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/internal/compute"
)

// Every backward is checked against central differences of the scalar
// objective L = Σ dOut·f(inputs), with f evaluated in float64 by a direct
// reference (so the numeric gradient is accurate to ~1e-9), on a sample of
// coordinates. The analytic gradient is the float32 op's.
const gradTolerance = 2e-4

func widen64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// checkGrad compares got (the analytic gradient of obj with respect to x)
// with central differences at up to 48 sampled coordinates of x, which obj
// reads. It reports the worst element, relative to the largest gradient.
func checkGrad(t *testing.T, name string, obj func() float64, x []float64, got []float32) {
	t.Helper()
	if len(got) != len(x) {
		t.Fatalf("%s: %d gradients for %d inputs", name, len(got), len(x))
	}
	r := rand.New(rand.NewPCG(uint64(len(x)), 7))
	idx := make([]int, 0, 48)
	if len(x) <= 48 {
		for i := range x {
			idx = append(idx, i)
		}
	} else {
		for range 48 {
			idx = append(idx, r.IntN(len(x)))
		}
	}
	var scale float64
	for _, g := range got {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("%s: non-finite gradient %g", name, g)
		}
		scale = math.Max(scale, math.Abs(float64(g)))
	}
	num := make([]float64, len(idx))
	for n, i := range idx {
		save := x[i]
		h := 1e-6 * math.Max(1, math.Abs(save))
		x[i] = save + h
		fp := obj()
		x[i] = save - h
		fm := obj()
		x[i] = save
		num[n] = (fp - fm) / (2 * h)
		scale = math.Max(scale, math.Abs(num[n]))
	}
	worst, maxDiff := 0, -1.0
	for n, i := range idx {
		d := math.Abs(float64(got[i]) - num[n])
		if d > maxDiff {
			worst, maxDiff = n, d
		}
	}
	if maxDiff > gradTolerance*scale+1e-6 {
		i := idx[worst]
		t.Errorf("%s: worst |analytic-numeric| %.3g (%.3g of max|grad| %.3g) at %d: analytic %g numeric %g",
			name, maxDiff, maxDiff/scale, scale, i, got[i], num[worst])
	}
}

func TestMatMulBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	be := New(2)
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 13}, {33, 31, 65}} {
		for _, transB := range []bool{false, true} {
			m, k, n := s[0], s[1], s[2]
			t.Run(fmt.Sprintf("%dx%dx%d_T%v", m, k, n, transB), func(t *testing.T) {
				a, w, bias, g := randSlice(r, m*k, 1), randSlice(r, k*n, 1), randSlice(r, n, 1), randSlice(r, m*n, 1)
				wShape := []int{k, n}
				if transB {
					wShape = []int{n, k}
				}
				a64, w64, b64 := widen64(a), widen64(w), widen64(bias)
				obj := func() float64 {
					var l float64
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							s := b64[j]
							for p := 0; p < k; p++ {
								wv := w64[p*n+j]
								if transB {
									wv = w64[j*k+p]
								}
								s += a64[i*k+p] * wv
							}
							l += float64(g[i*n+j]) * s
						}
					}
					return l
				}
				da := randSlice(r, m*k, 1) // garbage: must be overwritten
				dw, db := make([]float32, k*n), make([]float32, n)
				be.MatMulBackward(FromSlice(da, m, k), FromSlice(dw, wShape...), FromSlice(db, n),
					FromSlice(g, m, n), FromSlice(a, m, k), FromSlice(w, wShape...), transB)
				checkGrad(t, "da", obj, a64, da)
				checkGrad(t, "db", obj, w64, dw)
				checkGrad(t, "dBias", obj, b64, db)
				// Accumulation: a second call doubles db and dBias, da stays.
				da2, dw2, db2 := append([]float32(nil), da...), append([]float32(nil), dw...), append([]float32(nil), db...)
				be.MatMulBackward(FromSlice(da2, m, k), FromSlice(dw2, wShape...), FromSlice(db2, n),
					FromSlice(g, m, n), FromSlice(a, m, k), FromSlice(w, wShape...), transB)
				assertAccumulated(t, "da", da2, da, 1)
				assertAccumulated(t, "db", dw2, dw, 2)
				assertAccumulated(t, "dBias", db2, db, 2)
				// Nil outputs are skipped.
				be.MatMulBackward(compute.Tensor{}, compute.Tensor{}, compute.Tensor{},
					FromSlice(g, m, n), FromSlice(a, m, k), FromSlice(w, wShape...), transB)
			})
		}
	}
}

// assertAccumulated checks got == factor·want elementwise (to rounding).
func assertAccumulated(t *testing.T, name string, got, want []float32, factor float64) {
	t.Helper()
	w := make([]float64, len(want))
	for i, v := range want {
		w[i] = factor * float64(v)
	}
	assertClose(t, fmt.Sprintf("%s after two calls (want ×%g)", name, factor), got, w, 1e-6)
}

func TestActivationBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	be := New(2)
	for _, act := range []compute.Activation{compute.ActNone, compute.ActGELU, compute.ActQuickGELU, compute.ActReLU} {
		for _, n := range []int{1, 7, 20001} {
			t.Run(fmt.Sprintf("%v_%d", act, n), func(t *testing.T) {
				x, g := randSlice(r, n, 2), randSlice(r, n, 1)
				x64 := widen64(x)
				obj := func() float64 {
					var l float64
					for i, v := range x64 {
						l += float64(g[i]) * refAct(v, act)
					}
					return l
				}
				dx := randSlice(r, n, 1)
				be.ActivationBackward(FromSlice(dx, n), FromSlice(g, n), FromSlice(x, n), act)
				checkGrad(t, "dx", obj, x64, dx)
			})
		}
	}
}

func TestActivationBackwardExtremes(t *testing.T) {
	be := New(1)
	inf := float32(math.Inf(1))
	x := []float32{-inf, -1e30, -1e4, -100, -60, -59, -40, -39, -20, -0, 0, 20, 39, 40, 59, 60, 100, 1e4, 1e30, inf}
	g := make([]float32, len(x))
	for i := range g {
		g[i] = 1
	}
	for _, act := range []compute.Activation{compute.ActNone, compute.ActGELU, compute.ActQuickGELU, compute.ActReLU} {
		dx := make([]float32, len(x))
		be.ActivationBackward(FromSlice(dx, len(x)), FromSlice(g, len(g)), FromSlice(x, len(x)), act)
		for i, v := range x {
			d := dx[i]
			if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
				t.Errorf("%v'(%g) = %g, want finite", act, v, d)
				continue
			}
			if math.Abs(float64(v)) >= 20 && act != compute.ActNone {
				want := float32(0)
				if v > 0 {
					want = 1
				}
				if math.Abs(float64(d-want)) > 1e-6 {
					t.Errorf("%v'(%g) = %g, want %g", act, v, d, want)
				}
			}
		}
	}
	// dx may alias dOut.
	y := []float32{-1, 0.5, 2}
	gy := []float32{1, 1, 1}
	be.ActivationBackward(FromSlice(gy, 3), FromSlice(gy, 3), FromSlice(y, 3), compute.ActReLU)
	if gy[0] != 0 || gy[1] != 1 || gy[2] != 1 {
		t.Errorf("aliased ReLU backward = %v, want [0 1 1]", gy)
	}
}

func TestLayerNormBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	be := New(2)
	const eps = 1e-5
	cases := []struct {
		n, c     int
		constRow bool
	}{{1, 1, false}, {3, 5, false}, {9, 67, false}, {70, 130, false}, {4, 33, true}}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%d_const%v", tc.n, tc.c, tc.constRow), func(t *testing.T) {
			n, c := tc.n, tc.c
			x, w, bias, g := randSlice(r, n*c, 3), randSlice(r, c, 1), randSlice(r, c, 1), randSlice(r, n*c, 1)
			for j := range x {
				x[j] += 0.5
			}
			if tc.constRow {
				for j := 0; j < c; j++ {
					x[c+j] = 2.5 // row 1 is constant
				}
			}
			x64, w64, b64 := widen64(x), widen64(w), widen64(bias)
			obj := func() float64 {
				var l float64
				for i := 0; i < n; i++ {
					row := x64[i*c : i*c+c]
					var mu, v float64
					for _, e := range row {
						mu += e
					}
					mu /= float64(c)
					for _, e := range row {
						v += (e - mu) * (e - mu)
					}
					rs := 1 / math.Sqrt(v/float64(c)+eps)
					for j, e := range row {
						l += float64(g[i*c+j]) * ((e-mu)*rs*w64[j] + b64[j])
					}
				}
				return l
			}
			out, mean, rstd := make([]float32, n*c), make([]float32, n), make([]float32, n)
			be.LayerNormForward(FromSlice(out, n, c), FromSlice(mean, n), FromSlice(rstd, n),
				FromSlice(x, n, c), FromSlice(w, c), FromSlice(bias, c), eps)
			dx, dw, db := randSlice(r, n*c, 1), make([]float32, c), make([]float32, c)
			call := func(dx, dw, db []float32) {
				be.LayerNormBackward(FromSlice(dx, n, c), FromSlice(dw, c), FromSlice(db, c),
					FromSlice(g, n, c), FromSlice(x, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(w, c))
			}
			call(dx, dw, db)
			checkGrad(t, "dx", obj, x64, dx)
			checkGrad(t, "dw", obj, w64, dw)
			checkGrad(t, "db", obj, b64, db)
			dx2, dw2, db2 := append([]float32(nil), dx...), append([]float32(nil), dw...), append([]float32(nil), db...)
			call(dx2, dw2, db2)
			assertAccumulated(t, "dx", dx2, dx, 1)
			assertAccumulated(t, "dw", dw2, dw, 2)
			assertAccumulated(t, "db", db2, db, 2)
			be.LayerNormBackward(compute.Tensor{}, compute.Tensor{}, compute.Tensor{},
				FromSlice(g, n, c), FromSlice(x, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(w, c))
		})
	}
}

// attention64 is Σ g·attention(q,k,v) in float64.
func attention64(g []float32, q, k, v []float64, bs, tq, tk, c, heads int, causal bool) float64 {
	d := c / heads
	scale := 1 / math.Sqrt(float64(d))
	var l float64
	s := make([]float64, tk)
	for b := 0; b < bs; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < tq; i++ {
				n := tk
				if causal {
					n = i + 1
				}
				mx := math.Inf(-1)
				for j := 0; j < n; j++ {
					var dot float64
					for e := 0; e < d; e++ {
						dot += q[(b*tq+i)*c+h*d+e] * k[(b*tk+j)*c+h*d+e]
					}
					s[j] = dot * scale
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := 0; j < n; j++ {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for e := 0; e < d; e++ {
					var o float64
					for j := 0; j < n; j++ {
						o += s[j] / sum * v[(b*tk+j)*c+h*d+e]
					}
					l += float64(g[(b*tq+i)*c+h*d+e]) * o
				}
			}
		}
	}
	return l
}

func TestAttentionBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	be := New(2)
	cases := []struct {
		bs, tq, tk, c, heads int
		causal               bool
		scale                float64 // of q and k: ~±80 logits at 9
	}{
		{1, 1, 1, 1, 1, false, 1},
		{2, 3, 5, 6, 2, false, 1},
		{2, 7, 4, 12, 3, false, 1},
		{2, 7, 7, 12, 3, true, 1},
		{3, 9, 9, 8, 1, true, 1},
		{2, 5, 6, 8, 2, false, 9},
		{2, 6, 6, 8, 2, true, 9},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("B%d_Tq%d_Tk%d_C%d_H%d_causal%v_x%g", tc.bs, tc.tq, tc.tk, tc.c, tc.heads, tc.causal, tc.scale), func(t *testing.T) {
			bs, tq, tk, c, h := tc.bs, tc.tq, tc.tk, tc.c, tc.heads
			q, k, v := randSlice(r, bs*tq*c, tc.scale), randSlice(r, bs*tk*c, tc.scale), randSlice(r, bs*tk*c, 1)
			g := randSlice(r, bs*tq*c, 1)
			q64, k64, v64 := widen64(q), widen64(k), widen64(v)
			obj := func() float64 { return attention64(g, q64, k64, v64, bs, tq, tk, c, h, tc.causal) }
			out, probs := make([]float32, bs*tq*c), make([]float32, bs*h*tq*tk)
			be.AttentionForward(FromSlice(out, bs, tq, c), FromSlice(probs, bs, h, tq, tk),
				FromSlice(q, bs, tq, c), FromSlice(k, bs, tk, c), FromSlice(v, bs, tk, c), h, tc.causal)
			dq, dk, dv := randSlice(r, len(q), 1), randSlice(r, len(k), 1), randSlice(r, len(v), 1)
			call := func(dq, dk, dv compute.Tensor) {
				be.AttentionBackward(dq, dk, dv, FromSlice(g, bs, tq, c), FromSlice(probs, bs, h, tq, tk),
					FromSlice(q, bs, tq, c), FromSlice(k, bs, tk, c), FromSlice(v, bs, tk, c), h, tc.causal)
			}
			call(FromSlice(dq, bs, tq, c), FromSlice(dk, bs, tk, c), FromSlice(dv, bs, tk, c))
			checkGrad(t, "dq", obj, q64, dq)
			checkGrad(t, "dk", obj, k64, dk)
			checkGrad(t, "dv", obj, v64, dv)
			dq2, dk2, dv2 := append([]float32(nil), dq...), append([]float32(nil), dk...), append([]float32(nil), dv...)
			call(FromSlice(dq2, bs, tq, c), FromSlice(dk2, bs, tk, c), FromSlice(dv2, bs, tk, c))
			assertAccumulated(t, "dq", dq2, dq, 1)
			assertAccumulated(t, "dk", dk2, dk, 1)
			assertAccumulated(t, "dv", dv2, dv, 1)
			// Each output alone (the others nil) gives the same values.
			dv3 := make([]float32, len(v))
			call(compute.Tensor{}, compute.Tensor{}, FromSlice(dv3, bs, tk, c))
			assertAccumulated(t, "dv alone", dv3, dv, 1)
			dq3 := make([]float32, len(q))
			call(FromSlice(dq3, bs, tq, c), compute.Tensor{}, compute.Tensor{})
			assertAccumulated(t, "dq alone", dq3, dq, 1)
		})
	}
}

func TestGatherRowsBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	be := New(2)
	bs, tt, c := 3, 5, 7
	idx := []int{0, 4, 2}
	x, g := randSlice(r, bs*tt*c, 1), randSlice(r, bs*c, 1)
	x64 := widen64(x)
	obj := func() float64 {
		var l float64
		for b, i := range idx {
			for j := 0; j < c; j++ {
				l += float64(g[b*c+j]) * x64[(b*tt+i)*c+j]
			}
		}
		return l
	}
	dx := randSlice(r, len(x), 1)
	be.GatherRowsBackward(FromSlice(dx, bs, tt, c), FromSlice(g, bs, c), idx)
	checkGrad(t, "dx", obj, x64, dx)
	for i, v := range dx { // every coordinate, not only the sampled ones
		b, tok := i/(tt*c), i/c%tt
		if tok != idx[b] && v != 0 {
			t.Fatalf("dx[%d] = %g, want 0", i, v)
		}
	}
}

func TestL2NormalizeBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	be := New(2)
	for _, s := range [][2]int{{1, 1}, {3, 7}, {17, 65}} {
		n, c := s[0], s[1]
		t.Run(fmt.Sprintf("%dx%d", n, c), func(t *testing.T) {
			x, g := randSlice(r, n*c, 2), randSlice(r, n*c, 1)
			x64 := widen64(x)
			obj := func() float64 {
				var l float64
				for i := 0; i < n; i++ {
					var ss float64
					for _, v := range x64[i*c : i*c+c] {
						ss += v * v
					}
					nrm := math.Max(math.Sqrt(ss), 1e-12)
					for j := i * c; j < i*c+c; j++ {
						l += float64(g[j]) * x64[j] / nrm
					}
				}
				return l
			}
			dx := randSlice(r, len(x), 1)
			be.L2NormalizeBackward(FromSlice(dx, n, c), FromSlice(g, n, c), FromSlice(x, n, c))
			checkGrad(t, "dx", obj, x64, dx)
		})
	}
	// A zero row is on the clamped, linear branch: finite, dx = dOut·1e12.
	x, g, dx := make([]float32, 4), []float32{1, -2, 0, 3}, make([]float32, 4)
	be.L2NormalizeBackward(FromSlice(dx, 1, 4), FromSlice(g, 1, 4), FromSlice(x, 1, 4))
	for i := range dx {
		if want := g[i] * 1e12; math.Abs(float64(dx[i]-want)) > 1e-6*math.Abs(float64(want)) {
			t.Errorf("zero row: dx[%d] = %g, want %g", i, dx[i], want)
		}
	}
}

func TestEmbeddingBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	be := New(2)
	bs, tt, c, vocab, npos := 3, 5, 70, 6, 7 // repeated ids; pos longer than T
	ids := make([]int32, bs*tt)
	for i := range ids {
		ids[i] = int32(r.IntN(vocab))
	}
	table, pos, g := randSlice(r, vocab*c, 1), randSlice(r, npos*c, 1), randSlice(r, bs*tt*c, 1)
	t64, p64 := widen64(table), widen64(pos)
	obj := func() float64 {
		var l float64
		for row, id := range ids {
			for j := 0; j < c; j++ {
				l += float64(g[row*c+j]) * (t64[int(id)*c+j] + p64[(row%tt)*c+j])
			}
		}
		return l
	}
	dt, dp := make([]float32, len(table)), make([]float32, len(pos))
	call := func(dt, dp []float32) {
		be.EmbeddingBackward(FromSlice(dt, vocab, c), FromSlice(dp, npos, c), FromSlice(g, bs, tt, c), ids)
	}
	call(dt, dp)
	checkGrad(t, "dTable", obj, t64, dt)
	checkGrad(t, "dPos", obj, p64, dp)
	dt2, dp2 := append([]float32(nil), dt...), append([]float32(nil), dp...)
	call(dt2, dp2)
	assertAccumulated(t, "dTable", dt2, dt, 2)
	assertAccumulated(t, "dPos", dp2, dp, 2)
	be.EmbeddingBackward(compute.Tensor{}, compute.Tensor{}, FromSlice(g, bs, tt, c), ids)
}

func TestTokensAssembleBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	be := New(2)
	bs, p, c := 3, 5, 9
	patches, cls, pos, g := randSlice(r, bs*p*c, 1), randSlice(r, c, 1), randSlice(r, (p+1)*c, 1), randSlice(r, bs*(p+1)*c, 1)
	pa64, c64, po64 := widen64(patches), widen64(cls), widen64(pos)
	obj := func() float64 {
		var l float64
		for b := 0; b < bs; b++ {
			for tok := 0; tok <= p; tok++ {
				for j := 0; j < c; j++ {
					v := po64[tok*c+j]
					if tok == 0 {
						v += c64[j]
					} else {
						v += pa64[(b*p+tok-1)*c+j]
					}
					l += float64(g[(b*(p+1)+tok)*c+j]) * v
				}
			}
		}
		return l
	}
	dpa, dc, dpo := randSlice(r, len(patches), 1), make([]float32, c), make([]float32, len(pos))
	call := func(dpa, dc, dpo []float32) {
		be.TokensAssembleBackward(FromSlice(dpa, bs, p, c), FromSlice(dc, c), FromSlice(dpo, p+1, c), FromSlice(g, bs, p+1, c))
	}
	call(dpa, dc, dpo)
	checkGrad(t, "dPatches", obj, pa64, dpa)
	checkGrad(t, "dCls", obj, c64, dc)
	checkGrad(t, "dPos", obj, po64, dpo)
	dpa2, dc2, dpo2 := append([]float32(nil), dpa...), append([]float32(nil), dc...), append([]float32(nil), dpo...)
	call(dpa2, dc2, dpo2)
	assertAccumulated(t, "dPatches", dpa2, dpa, 1)
	assertAccumulated(t, "dCls", dc2, dc, 2)
	assertAccumulated(t, "dPos", dpo2, dpo, 2)
	be.TokensAssembleBackward(compute.Tensor{}, compute.Tensor{}, compute.Tensor{}, FromSlice(g, bs, p+1, c))
}

func TestPatchEmbedBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	be := New(2)
	for _, s := range [][4]int{{1, 1, 1, 1}, {2, 5, 3, 6}, {3, 7, 4, 12}} { // B, width, patch, R
		bs, width, patch, res := s[0], s[1], s[2], s[3]
		t.Run(fmt.Sprintf("B%d_C%d_p%d_R%d", bs, width, patch, res), func(t *testing.T) {
			g0 := res / patch
			x, w := randSlice(r, bs*3*res*res, 1), randSlice(r, width*3*patch*patch, 1)
			g := randSlice(r, bs*g0*g0*width, 1)
			w64 := widen64(w)
			obj := func() float64 {
				var l float64
				for b := 0; b < bs; b++ {
					for gy := 0; gy < g0; gy++ {
						for gx := 0; gx < g0; gx++ {
							for o := 0; o < width; o++ {
								var s float64
								for ch := 0; ch < 3; ch++ {
									for dy := 0; dy < patch; dy++ {
										for dx := 0; dx < patch; dx++ {
											s += float64(x[((b*3+ch)*res+gy*patch+dy)*res+gx*patch+dx]) *
												w64[((o*3+ch)*patch+dy)*patch+dx]
										}
									}
								}
								l += float64(g[((b*g0*g0)+gy*g0+gx)*width+o]) * s
							}
						}
					}
				}
				return l
			}
			dw := make([]float32, len(w))
			call := func(dw []float32) {
				be.PatchEmbedBackward(FromSlice(dw, width, 3, patch, patch), FromSlice(g, bs, g0*g0, width),
					FromSlice(x, bs, 3, res, res), patch)
			}
			call(dw)
			checkGrad(t, "dw", obj, w64, dw)
			dw2 := append([]float32(nil), dw...)
			call(dw2)
			assertAccumulated(t, "dw", dw2, dw, 2)
		})
	}
}

func TestZeroSumSquaresClamp(t *testing.T) {
	be := New(2)
	// 1e8 + 16·1 is exact in float64 and in float32 (a multiple of 8), but
	// float32 accumulation would lose every 1 (ulp(1e8) = 8).
	big := []float32{1e4}
	for range 16 {
		big = append(big, 1)
	}
	out := []float32{7}
	be.SumSquares(FromSlice(out, 1), FromSlice(big, len(big)))
	if want := float32(1e8 + 16); out[0] != want {
		t.Errorf("SumSquares = %g, want %g (float64 accumulation)", out[0], want)
	}
	x := []float32{1, -2, 3, 1e20, -1e20}
	be.Clamp(FromSlice(x, len(x)), -2.5, 2.5)
	if want := []float32{1, -2, 2.5, 2.5, -2.5}; fmt.Sprint(x) != fmt.Sprint(want) {
		t.Errorf("Clamp = %v, want %v", x, want)
	}
	be.Zero(FromSlice(x, 5).Slice(1, 4))
	if want := []float32{1, 0, 0, 0, -2.5}; fmt.Sprint(x) != fmt.Sprint(want) {
		t.Errorf("Zero of a view = %v, want %v", x, want)
	}
}

// The parameter-gradient reductions sum rows in order within column
// blocks, so their bits do not depend on the thread count.
func TestBackwardReductionsIndependentOfThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	n, c := 300, 200
	x, w, g := randSlice(r, n*c, 1), randSlice(r, c, 1), randSlice(r, n*c, 1)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(r.IntN(5))
	}
	run := func(threads int) []float32 {
		be := New(threads)
		mean, rstd, out := make([]float32, n), make([]float32, n), make([]float32, n*c)
		be.LayerNormForward(FromSlice(out, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(x, n, c), FromSlice(w, c), FromSlice(w, c), 1e-5)
		dw, db, dBias := make([]float32, c), make([]float32, c), make([]float32, c)
		be.LayerNormBackward(compute.Tensor{}, FromSlice(dw, c), FromSlice(db, c), FromSlice(g, n, c),
			FromSlice(x, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(w, c))
		be.MatMulBackward(compute.Tensor{}, compute.Tensor{}, FromSlice(dBias, c), FromSlice(g, n, c),
			FromSlice(x, n, c), FromSlice(make([]float32, c*c), c, c), false)
		dt, dp := make([]float32, 5*c), make([]float32, 30*c)
		be.EmbeddingBackward(FromSlice(dt, 5, c), FromSlice(dp, 30, c), FromSlice(g, 10, 30, c), ids)
		return append(append(append(append(dw, db...), dBias...), dt...), dp...)
	}
	want := run(1)
	for _, threads := range []int{2, 3, 8} {
		got := run(threads)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("threads %d: element %d = %g, with 1 thread %g", threads, i, got[i], want[i])
			}
		}
	}
}

// The blocked, vectorised QuickGELU backward equals the scalar derivative
// bit for bit, across block boundaries and in the saturated tails.
func TestQuickGELUBackwardMatchesScalar(t *testing.T) {
	x := make([]float32, 1000)
	g := make([]float32, len(x))
	for i := range x {
		x[i] = float32(i-500) * 0.17
		g[i] = float32(i%7) - 3
	}
	x[3], x[4] = float32(math.Inf(1)), float32(math.Inf(-1))
	dx := make([]float32, len(x))
	quickGELUBackward(dx, g, x)
	for i := range x {
		if want := float32(float64(g[i]) * quickGELUDeriv(x[i])); dx[i] != want {
			t.Fatalf("x=%g: got %g, want %g", x[i], dx[i], want)
		}
	}
}
