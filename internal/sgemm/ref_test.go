package sgemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withKernel runs f with Gemm forced onto kern.
func withKernel(kern *kernel, f func()) {
	old := current.Load()
	current.Store(kern)
	defer current.Store(old)
	f()
}

// forEachKernel runs f as a subtest for every kernel this CPU runs.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) { withKernel(k, func() { f(t) }) })
	}
}

// problem is a Params with random operands and the bookkeeping to check it.
type problem struct {
	Params
	c0 []float32 // C before the call
}

// newProblem makes random operands for p's shape, padding every leading
// dimension by pad, and fills C (with NaN when beta is 0, to prove it is
// never read).
func newProblem(rng *rand.Rand, p Params, pad int) *problem {
	ar, ac := p.M, p.K
	if p.TransA {
		ar, ac = p.K, p.M
	}
	br, bc := p.K, p.N
	if p.TransB {
		br, bc = p.N, p.K
	}
	p.LDA, p.LDB, p.LDC = ac+pad, bc+pad, p.N+pad
	p.A = randSlice(rng, ar*p.LDA)
	p.B = randSlice(rng, br*p.LDB)
	p.C = randSlice(rng, p.M*p.LDC)
	if p.Beta == 0 {
		for i := range p.C {
			p.C[i] = float32(math.NaN())
		}
	}
	if p.Bias != nil {
		p.Bias = randSlice(rng, p.N)
	}
	return &problem{Params: p, c0: append([]float32(nil), p.C...)}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func (p *problem) a(i, k int) float64 {
	if p.TransA {
		return float64(p.A[k*p.LDA+i])
	}
	return float64(p.A[i*p.LDA+k])
}

func (p *problem) b(k, j int) float64 {
	if p.TransB {
		return float64(p.B[j*p.LDB+k])
	}
	return float64(p.B[k*p.LDB+j])
}

// check compares C with a float64 reference, element by element, with a
// tolerance proportional to the sum of the magnitudes that were added.
func (p *problem) check(t *testing.T) {
	t.Helper()
	eps := float64(p.K+8) * 0x1p-23
	bad := 0
	for i := range p.M {
		for j := range p.LDC {
			got := float64(p.C[i*p.LDC+j])
			if j >= p.N {
				if got != float64(p.c0[i*p.LDC+j]) && !(math.IsNaN(got) && math.IsNaN(float64(p.c0[i*p.LDC+j]))) {
					t.Fatalf("C[%d,%d] past N was written", i, j)
				}
				continue
			}
			var s, mag float64
			for k := range p.K {
				x := p.a(i, k) * p.b(k, j)
				s += x
				mag += math.Abs(x)
			}
			want := float64(p.Alpha) * s
			mag *= math.Abs(float64(p.Alpha))
			if p.Beta != 0 {
				c := float64(p.Beta) * float64(p.c0[i*p.LDC+j])
				want += c
				mag += math.Abs(c)
			}
			if p.Bias != nil {
				want += float64(p.Bias[j])
				mag += math.Abs(float64(p.Bias[j]))
			}
			want = refAct(p.Act, want)
			if d := math.Abs(got - want); !(d <= 1.2*eps*mag+1e-6*math.Abs(want)+1e-30) {
				bad++
				if bad <= 5 {
					t.Errorf("C[%d,%d] = %g, want %g (diff %.3g, bound %.3g)", i, j, got, want, d, 1.2*eps*mag)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d elements wrong for %+v", bad, p.M*p.N, p.desc())
	}
}

// desc is p without its slices, for messages.
func (p *problem) desc() Params {
	d := p.Params
	d.A, d.B, d.C = nil, nil, nil
	if d.Bias != nil {
		d.Bias = []float32{}
	}
	return d
}

// refAct is the activation in float64.
func refAct(act Activation, x float64) float64 {
	switch act {
	case ActGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case ActQuickGELU:
		return x / (1 + math.Exp(-1.702*x))
	case ActReLU:
		return math.Max(x, 0)
	}
	return x
}
