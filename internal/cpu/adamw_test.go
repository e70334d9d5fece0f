package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamWAgainstFloat64 runs several steps of AdamW against the torch
// formula evaluated in float64.
func TestAdamWAgainstFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	const n = 50000
	be := New(2)
	for _, wd := range []float32{0, 0.2} {
		p, m, v := randSlice(r, n, 1), make([]float32, n), make([]float32, n)
		p64, m64, v64 := to64(p), make([]float64, n), make([]float64, n)
		const lr, b1, b2, eps = 5e-4, 0.9, 0.98, 1e-6
		for step := 1; step <= 5; step++ {
			g := randSlice(r, n, 0.01)
			g[0], g[1] = 0, 1e-7 // exactly zero and below eps
			be.AdamW(FromSlice(p, n), FromSlice(g, n), FromSlice(m, n), FromSlice(v, n), lr, b1, b2, eps, wd, step)
			bc1 := 1 - math.Pow(b1, float64(step))
			bc2 := 1 - math.Pow(b2, float64(step))
			for i := range p64 {
				gi := float64(g[i])
				p64[i] *= 1 - lr*float64(wd)
				m64[i] = b1*m64[i] + (1-b1)*gi
				v64[i] = b2*v64[i] + (1-b2)*gi*gi
				p64[i] -= lr / bc1 * m64[i] / (math.Sqrt(v64[i])/math.Sqrt(bc2) + eps)
			}
			assertClose(t, "p", p, p64, 1e-6)
			assertClose(t, "m", m, m64, 1e-6)
			assertClose(t, "v", v, v64, 1e-6)
		}
	}
}

// TestAdamWFirstStepExact: on the first step from zero moments the float32
// operations of torch are reproduced bit for bit, in particular a zero
// gradient leaves exactly p·float32(1-lr·wd).
func TestAdamWFirstStepExact(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	const n = 1000
	p, g := randSlice(r, n, 1), randSlice(r, n, 0.01)
	for i := 0; i < n; i += 7 {
		g[i] = 0
	}
	want := make([]float32, n)
	decay := float32(1 - 0.0005*0.2)
	a1, a2 := float32(1-0.9), float32(1-0.98)
	bc2 := float32(math.Sqrt(1 - 0.98))
	step := float32(-(0.0005 / (1 - 0.9)))
	for i := range p {
		x := float32(p[i] * decay) // rounded, never fused with the update (GOAMD64=v3)
		m := a1 * g[i]
		v := a2 * g[i] * g[i]
		x += step * m / (float32(math.Sqrt(float64(v)))/bc2 + float32(1e-6))
		want[i] = x
	}
	New(1).AdamW(FromSlice(p, n), FromSlice(g, n), FromSlice(make([]float32, n), n), FromSlice(make([]float32, n), n),
		0.0005, 0.9, 0.98, 1e-6, 0.2, 1)
	for i := range p {
		if p[i] != want[i] {
			t.Fatalf("p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
}
