package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// withScalar runs f with the scalar loops forced (the pure-Go GEMM kernel,
// see useVec).
func withScalar(f func()) {
	sgemm.SetForceGeneric(true)
	defer sgemm.SetForceGeneric(false)
	f()
}

// vecValues returns n random values with some awkward ones mixed in:
// zeros of both signs, large and tiny magnitudes.
func vecValues(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(16) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			x[i] = float32(r.NormFloat64() * 1e6)
		case 3:
			x[i] = float32(r.NormFloat64() * 1e-6)
		default:
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

func sameBits64(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: element %d = %g, scalar %g", name, i, got[i], want[i])
		}
	}
}

func sameBits32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %g [%#08x], scalar %g [%#08x]", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// The vector loops give the scalar loops' bits on every shape: widths that
// are and are not multiples of the vector, 1 to 9 rows, padded rows.
func TestVectorLoopsMatchScalar(t *testing.T) {
	if !useVec() {
		t.Log("no vector loops on this CPU: checking the scalar ones against themselves")
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, cols := range []int{1, 3, 4, 5, 8, 13, 16, 31, 64, 67} {
		for _, rows := range []int{1, 2, 3, 4, 5, 8, 9} {
			ld := cols + r.IntN(3)
			src := vecValues(r, rows*ld)
			init := make([]float64, cols)
			for j := range init {
				init[j] = r.NormFloat64()
			}
			got := append([]float64(nil), init...)
			colSums64(got, src, rows, ld)
			want := append([]float64(nil), init...)
			withScalar(func() { colSums64(want, src, rows, ld) })
			sameBits64(t, "colSums64", got, want)

			mean, rstd := vecValues(r, rows), vecValues(r, rows)
			g := vecValues(r, rows*ld)
			sw, sb := append([]float64(nil), init...), append([]float64(nil), init...)
			layerNormGradCols(sw, sb, g, src, ld, rows, mean, rstd, useVec())
			swWant, sbWant := append([]float64(nil), init...), append([]float64(nil), init...)
			layerNormGradCols(swWant, sbWant, g, src, ld, rows, mean, rstd, false)
			sameBits64(t, "layerNormGradCols dw", sw, swWant)
			sameBits64(t, "layerNormGradCols db", sb, sbWant)
		}

		// Row loops: sums, normalisation, layer-norm backward.
		x, w, bias, g := vecValues(r, cols), vecValues(r, cols), vecValues(r, cols), vecValues(r, cols)
		mu, rs := r.NormFloat64(), 1+r.Float64()
		if a, b := sum64(x, useVec()), sum64(x, false); math.Float64bits(a) != math.Float64bits(b) {
			t.Fatalf("sum64 over %d: %g, scalar %g", cols, a, b)
		}
		if a, b := sumSquaredDev64(x, mu, useVec()), sumSquaredDev64(x, mu, false); math.Float64bits(a) != math.Float64bits(b) {
			t.Fatalf("sumSquaredDev64 over %d: %g, scalar %g", cols, a, b)
		}
		out, outWant := make([]float32, cols), make([]float32, cols)
		normalizeRow(out, x, w, bias, mu, rs, useVec())
		normalizeRow(outWant, x, w, bias, mu, rs, false)
		sameBits32(t, "normalizeRow", out, outWant)
		sg, sgx := layerNormRowSums(g, x, w, mu, rs, useVec())
		sgWant, sgxWant := layerNormRowSums(g, x, w, mu, rs, false)
		sameBits64(t, "layerNormRowSums", []float64{sg, sgx}, []float64{sgWant, sgxWant})
		layerNormRowDx(out, g, x, w, mu, rs, sg, sgx, useVec())
		layerNormRowDx(outWant, g, x, w, mu, rs, sg, sgx, false)
		sameBits32(t, "layerNormRowDx", out, outWant)
	}
}

// The vectorised QuickGELU backward equals the scalar one bit for bit on
// random values and at the edges: the ±60 cut, ±Inf, NaN, zeros.
func TestQuickGELUBackwardVectorMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	x := vecValues(r, 1001)
	for i := range x {
		if i%5 == 0 {
			x[i] *= 30
		}
	}
	inf := float32(math.Inf(1))
	copy(x, []float32{60, -60, 59.999996, -59.999996, inf, -inf, float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1e-30, 88, -88, 40, -40})
	g := vecValues(r, len(x))
	got, want := make([]float32, len(x)), make([]float32, len(x))
	quickGELUBackward(got, g, x)
	withScalar(func() { quickGELUBackward(want, g, x) })
	sameBits32(t, "quickGELUBackward", got, want)
	// In place (dx aliasing dOut), as ActivationBackward allows.
	inPlace := append([]float32(nil), g...)
	quickGELUBackward(inPlace, inPlace, x)
	sameBits32(t, "quickGELUBackward in place", inPlace, want)
}

// softmaxRef is the softmax of one row as the specification writes it:
// the maximum, the differences, Exp32, their float64 sum in order, the
// float32 reciprocal times each.
func softmaxRef(x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	var sum float64
	for j, v := range x {
		x[j] = sgemm.Exp32(v - mx)
		sum += float64(x[j])
	}
	inv := float32(1 / sum)
	for j := range x {
		x[j] *= inv
	}
}

// The blocked softmax and its backward (four rows' sums side by side,
// vector loops) give the bits of the row-by-row scalar specification.
func TestSoftmaxRowsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, tq := range []int{1, 3, 4, 5, 9, 17, 65} {
		for _, causal := range []bool{false, true} {
			tk := tq
			if !causal {
				tk = []int{1, 7, 8, 16, 33, 77}[r.IntN(6)]
			}
			x := vecValues(r, tq*tk)
			for i := range x {
				x[i] *= 8
			}
			want := append([]float32(nil), x...)
			for i := range tq {
				n := tk
				if causal {
					n = i + 1
				}
				softmaxRef(want[i*tk : i*tk+n])
				clear(want[i*tk+n : i*tk+tk])
			}
			for _, vec := range []bool{true, false} {
				got := append([]float32(nil), x...)
				softmaxRows(got, tq, tk, causal, vec && useVec())
				sameBits32(t, "softmaxRows", got, want)
			}

			// Backward: s = p·(s - Σ p·s) per row, in order.
			s := vecValues(r, tq*tk)
			wantS := append([]float32(nil), s...)
			for i := range tq {
				n := tk
				if causal {
					n = i + 1
				}
				var dot float64
				for j := range n {
					dot += float64(want[i*tk+j]) * float64(wantS[i*tk+j])
				}
				for j := range n {
					wantS[i*tk+j] = float32(float64(want[i*tk+j]) * (float64(wantS[i*tk+j]) - dot))
				}
				clear(wantS[i*tk+n : i*tk+tk])
			}
			for _, vec := range []bool{true, false} {
				got := append([]float32(nil), s...)
				softmaxBackwardRows(got, want, tq, tk, causal, vec && useVec())
				sameBits32(t, "softmaxBackwardRows", got, wantS)
			}
		}
	}
	// A NaN makes its row NaN, as Go's max makes the maximum NaN.
	for _, n := range []int{5, 16, 19} {
		x := make([]float32, n)
		x[n-2] = float32(math.NaN())
		softmaxRows(x, 1, n, false, useVec())
		for j, v := range x {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("row of %d with a NaN: element %d = %g", n, j, v)
			}
		}
	}
}

// AdamW, the residual add and the sum of squares give the scalar code's
// bits with the vector loops, on lengths around the vector width.
func TestElementwiseVectorMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	be := New(2)
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 100, 1000, 70001} {
		a, y := vecValues(r, n), vecValues(r, n)
		got, want := make([]float32, n), make([]float32, n)
		be.AddForward(FromSlice(got, n), FromSlice(a, n), FromSlice(y, n))
		withScalar(func() { be.AddForward(FromSlice(want, n), FromSlice(a, n), FromSlice(y, n)) })
		sameBits32(t, "AddForward", got, want)

		ss, ssWant := []float32{0}, []float32{0}
		be.SumSquares(FromSlice(ss, 1), FromSlice(a, n))
		withScalar(func() { be.SumSquares(FromSlice(ssWant, 1), FromSlice(a, n)) })
		sameBits32(t, "SumSquares", ss, ssWant)

		for _, wd := range []float32{0, 0.1} {
			p, g := vecValues(r, n), vecValues(r, n)
			m, v := vecValues(r, n), vecValues(r, n)
			for i := range v {
				v[i] = v[i] * v[i] // second moments are not negative
			}
			ps, ms, vs := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			be.AdamW(FromSlice(p, n), FromSlice(g, n), FromSlice(m, n), FromSlice(v, n), 1e-3, 0.9, 0.98, 1e-6, wd, 3)
			withScalar(func() {
				be.AdamW(FromSlice(ps, n), FromSlice(g, n), FromSlice(ms, n), FromSlice(vs, n), 1e-3, 0.9, 0.98, 1e-6, wd, 3)
			})
			sameBits32(t, "AdamW p", p, ps)
			sameBits32(t, "AdamW m", m, ms)
			sameBits32(t, "AdamW v", v, vs)
		}
	}
}

// BenchmarkLayerNormBackward times the layer-norm backward of the small
// training configuration's text tower (64·77 rows of width 256) on 1 and 2
// goroutines.
func BenchmarkLayerNormBackward(b *testing.B) {
	const n, c = 64 * 77, 256
	r := rand.New(rand.NewPCG(49, 50))
	x, w, g := vecValues(r, n*c), vecValues(r, c), vecValues(r, n*c)
	mean, rstd, out := make([]float32, n), make([]float32, n), make([]float32, n*c)
	for _, threads := range []int{1, 2} {
		be := New(threads)
		be.LayerNormForward(FromSlice(out, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(x, n, c), FromSlice(w, c), FromSlice(w, c), 1e-5)
		dx, dw, db := make([]float32, n*c), make([]float32, c), make([]float32, c)
		b.Run(fmt.Sprintf("t%d", threads), func(b *testing.B) {
			for b.Loop() {
				be.LayerNormBackward(FromSlice(dx, n, c), FromSlice(dw, c), FromSlice(db, c), FromSlice(g, n, c),
					FromSlice(x, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(w, c))
			}
		})
		b.Run(fmt.Sprintf("params/t%d", threads), func(b *testing.B) {
			for b.Loop() {
				be.LayerNormBackward(compute.Tensor{}, FromSlice(dw, c), FromSlice(db, c), FromSlice(g, n, c),
					FromSlice(x, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(w, c))
			}
		})
		b.Run(fmt.Sprintf("colsums/t%d", threads), func(b *testing.B) {
			for b.Loop() {
				be.addColumnSums(db, g, n, c)
			}
		})
	}
}
