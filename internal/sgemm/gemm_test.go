package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// shapes are (M, N, K) triples: degenerate ones, ones that are not
// multiples of any tile or block, and exact tiles.
var shapes = [][3]int{
	{1, 1, 1}, {1, 40, 7}, {40, 1, 7}, {9, 11, 1}, {6, 16, 5}, {7, 17, 3},
	{4, 4, 4}, {12, 32, 64}, {37, 53, 29}, {129, 257, 65}, {5, 3, 300},
	{50, 70, 513}, {145, 20, 257},
}

func TestGemmAgainstReference(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			for tr := range 4 {
				p := Params{M: s[0], N: s[1], K: s[2], TransA: tr&1 != 0, TransB: tr&2 != 0,
					Alpha: 1, Threads: 1 + tr%2}
				// Spread the other options over the cases.
				switch rng.IntN(4) {
				case 1:
					p.Beta = 1
				case 2:
					p.Beta = -0.5
				case 3:
					p.Alpha = 0.75
				}
				if rng.IntN(2) == 0 {
					p.Bias = []float32{}
				}
				p.Act = Activation(rng.IntN(4))
				pr := newProblem(rng, p, rng.IntN(3)*3)
				Gemm(pr.Params)
				pr.check(t)
			}
		}
	})
}

// TestGemmOptions covers every option on a shape with edges in M and N and
// two blocks along K.
func TestGemmOptions(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, alpha := range []float32{1, -2} {
			for _, beta := range []float32{0, 1, 0.5} {
				for _, act := range []Activation{ActNone, ActGELU, ActQuickGELU, ActReLU} {
					for _, bias := range []bool{false, true} {
						for _, threads := range []int{1, 2, 3} {
							p := Params{M: 19, N: 35, K: 260, Alpha: alpha, Beta: beta, Act: act,
								TransB: threads == 2, Threads: threads}
							if bias {
								p.Bias = []float32{}
							}
							pr := newProblem(rng, p, 1)
							Gemm(pr.Params)
							pr.check(t)
						}
					}
				}
			}
		}
	})
}

// TestGemmThreadsLarge runs products big enough to be split over goroutines
// in both directions.
func TestGemmThreadsLarge(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{300, 40, 100}, {40, 300, 100}, {97, 131, 270}} {
			for _, threads := range []int{2, 4} {
				p := Params{M: s[0], N: s[1], K: s[2], Alpha: 1, TransB: true, Threads: threads, Bias: []float32{}}
				pr := newProblem(rng, p, 0)
				Gemm(pr.Params)
				pr.check(t)
			}
		}
	})
}

func TestGemmZeroSizes(t *testing.T) {
	// K = 0 or alpha = 0: C = act(beta·C + bias).
	for _, p := range []Params{
		{M: 3, N: 4, K: 0, Alpha: 1, Beta: 0, Bias: []float32{}, Act: ActReLU},
		{M: 3, N: 4, K: 5, Alpha: 0, Beta: 2},
		{M: 3, N: 4, K: 5, Alpha: 0, Beta: 1, Bias: []float32{}},
	} {
		rng := rand.New(rand.NewPCG(7, 8))
		pr := newProblem(rng, p, 2)
		Gemm(pr.Params)
		pr.check(t)
	}
	Gemm(Params{M: 0, N: 5, K: 3, Alpha: 1}) // nothing to do, nothing to check
	Gemm(Params{M: 5, N: 0, K: 3, Alpha: 1})
}

func TestGemmPanics(t *testing.T) {
	cases := []struct {
		p    Params
		want string
	}{
		{Params{M: 2, N: 2, K: 2, A: make([]float32, 3), B: make([]float32, 4), C: make([]float32, 4)}, "A has 3 values"},
		{Params{M: 2, N: 2, K: 2, A: make([]float32, 4), B: make([]float32, 4), C: make([]float32, 4), LDC: 1}, "LDC=1"},
		{Params{M: 2, N: 2, K: 3, TransB: true, A: make([]float32, 6), B: make([]float32, 5), C: make([]float32, 4)}, "B has 5 values"},
		{Params{M: 2, N: 2, K: 2, A: make([]float32, 4), B: make([]float32, 4), C: make([]float32, 4), Bias: make([]float32, 1)}, "bias"},
		{Params{M: -1}, "negative"},
		{Params{M: 1, N: 1, K: 1, A: make([]float32, 1), B: make([]float32, 1), C: make([]float32, 1), Act: 9}, "activation"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("panic %v, want one mentioning %q", r, c.want)
				}
			}()
			Gemm(c.p)
		}()
	}
}

// TestGemmNoAllocs checks that a steady state allocates nothing, on one
// goroutine and on several.
func TestGemmNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, threads := range []int{1, 2} {
		pr := newProblem(rng, Params{M: 100, N: 200, K: 300, Alpha: 1, TransB: true, Threads: threads}, 0)
		Gemm(pr.Params)
		if n := testing.AllocsPerRun(20, func() { Gemm(pr.Params) }); n != 0 {
			t.Errorf("threads %d: %v allocations per call", threads, n)
		}
	}
}

func TestKernelNames(t *testing.T) {
	SetForceGeneric(true)
	if got := Kernel(); got != "generic" {
		t.Errorf("forced: Kernel() = %q", got)
	}
	SetForceGeneric(false)
	if got := Kernel(); got != kernels[0].name {
		t.Errorf("Kernel() = %q, want %q", got, kernels[0].name)
	}
	t.Logf("kernels on this CPU: %v", kernelNames())
}

func kernelNames() []string {
	var s []string
	for _, k := range kernels {
		s = append(s, k.name)
	}
	return s
}

func TestApplyAct(t *testing.T) {
	x := []float32{-100, -3, -0.5, 0, 0.5, 3, 100}
	if got := fmt.Sprint(ActNone, ActGELU, ActQuickGELU, ActReLU, Activation(9)); got != "none gelu quickgelu relu Activation(?)" {
		t.Errorf("names: %s", got)
	}
	for _, act := range []Activation{ActNone, ActGELU, ActQuickGELU, ActReLU} {
		y := append([]float32(nil), x...)
		ApplyAct(act, y)
		for i := range x {
			// The float32 exp/erf stay within a few ulps of the exact value:
			// |error| <= 5e-7·max(1, |x|).
			want := float32(refAct(act, float64(x[i])))
			if math.Abs(float64(y[i]-want)) > 5e-7*math.Max(1, math.Abs(float64(x[i]))) || math.IsNaN(float64(y[i])) {
				t.Errorf("%v(%g) = %g, want %g", act, x[i], y[i], want)
			}
		}
	}
}

// TestGemmConcurrent runs products from several goroutines at once, so that
// they share the workers (run it with -race).
func TestGemmConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var probs []*problem
	for i := range 6 {
		probs = append(probs, newProblem(rng, Params{M: 100 + 37*i, N: 150, K: 200, Alpha: 1, Threads: 1 + i%3, TransB: i%2 == 0}, 0))
	}
	done := make(chan *problem)
	for _, pr := range probs {
		go func() {
			for range 5 {
				copy(pr.C, pr.c0)
				Gemm(pr.Params)
			}
			done <- pr
		}()
	}
	for range probs {
		(<-done).check(t)
	}
}

// TestGrid checks the work split: one task for small products, whole
// panels, and at most two tasks a goroutine.
func TestGrid(t *testing.T) {
	for _, k := range kernels {
		if tm, tn := grid(6, 16, 16, 2, k); tm*tn != 1 {
			t.Errorf("%s: a tiny product is split %dx%d", k.name, tm, tn)
		}
		for _, s := range benchShapes {
			for _, threads := range []int{2, 3, 4} {
				tm, tn := grid(s[0], s[2], s[1], threads, k)
				if n := tm * tn; n < threads || n > 2*threads {
					t.Errorf("%s: %v on %d threads: %dx%d tasks", k.name, s, threads, tm, tn)
				}
			}
		}
	}
}
