package sgemm

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// actInputs are the values the bit-identity tests feed the activations:
// edge cases (signed zeros, infinities, NaNs with payloads, subnormals, the
// exp thresholds and their neighbours), a dense sweep over the range where
// exp changes and random bit patterns.
func actInputs(rng *rand.Rand) []float32 {
	inf := float32(math.Inf(1))
	xs := []float32{
		0, float32(math.Copysign(0, -1)), inf, -inf,
		float32(math.NaN()), math.Float32frombits(0xffc00001), // quiet NaNs, both signs
		math.Float32frombits(0x7f800001), math.Float32frombits(0xff812345), // signalling NaNs
		1e-30, -1e-30, 1e-45, -1e-45, math.Float32frombits(0x007fffff), math.Float32frombits(0x807fffff),
		math.Float32frombits(0x00000123), math.Float32frombits(0x80400000),
		88.7, -88.7, 88.72283, -88.72283, 104, -104, 200, -200, 103.97208, -103.97208,
		52.13, -52.13, 61.09, -61.09, 62, -62, 3.4e38, -3.4e38, 1, -1, 0.5, -0.5,
	}
	// Around the thresholds of Exp32 as QuickGELU (-1.702·x) and erf see them.
	for _, c := range []float32{88.72283, -103.97208, 88.72283 / -1.702, -103.97208 / -1.702} {
		v := c
		for range 40 {
			xs = append(xs, v, -v)
			v = math.Nextafter32(v, 0)
		}
		v = c
		for range 40 {
			v = math.Nextafter32(v, float32(math.Copysign(1000, float64(c))))
			xs = append(xs, v, -v)
		}
	}
	// Values whose x·log2e lands on or next to a half-integer (round ties).
	for k := -300; k <= 300; k++ {
		v := float32(float64(k)+0.5) / float32(log2e)
		xs = append(xs, v, math.Nextafter32(v, 0), math.Nextafter32(v, 1000), v/-1.702)
	}
	for x := float32(-130); x < 130; x += 0.0137 {
		xs = append(xs, x)
	}
	for range 20000 {
		xs = append(xs, math.Float32frombits(rng.Uint32()), float32(rng.NormFloat64()*4))
	}
	return xs
}

// actOp is one of the vectorised elementwise functions: ApplyAct with an
// activation, or ExpSlice. vec applies it with kernel k's vector code and
// ref is the scalar reference.
type actOp struct {
	name string
	vec  func(k *kernel, x []float32)
	api  func(x []float32) // the exported function (the current kernel)
	ref  func(x float32) float32
}

var actOps = []actOp{
	{"gelu", func(k *kernel, x []float32) { applyAct(k, ActGELU, x) },
		func(x []float32) { ApplyAct(ActGELU, x) }, GELU},
	{"quickgelu", func(k *kernel, x []float32) { applyAct(k, ActQuickGELU, x) },
		func(x []float32) { ApplyAct(ActQuickGELU, x) }, QuickGELU},
	{"exp", expSlice, ExpSlice, Exp32},
}

// TestApplyActBits checks that ApplyAct and ExpSlice give the bits of the
// scalar functions with every kernel this CPU runs (the vector code follows
// the kernel: it is used with the assembly kernels), for every length up to
// 70 (all the tails) and for many inputs.
func TestApplyActBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	xs := actInputs(rng)
	forEachKernel(t, func(t *testing.T) {
		for _, op := range actOps {
			bad := 0
			check := func(in, got []float32) {
				for i, v := range in {
					want := op.ref(v)
					if math.Float32bits(got[i]) != math.Float32bits(want) && bad < 10 {
						bad++
						t.Errorf("%s(%g [%#08x]) at %d of %d = %g [%#08x], want %g [%#08x]", op.name, v, math.Float32bits(v),
							i, len(in), got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
					}
				}
			}
			// Every length, at every start within the inputs' first values.
			for n := 0; n <= 70; n++ {
				for off := 0; off+n <= len(xs) && off < 400; off += 7 {
					in := xs[off : off+n]
					y := append([]float32(nil), in...)
					op.api(y)
					check(in, y)
				}
			}
			// All inputs, shuffled, in one long call.
			in := append([]float32(nil), xs...)
			rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
			y := append([]float32(nil), in...)
			op.api(y)
			check(in, y)
		}
	})
}

// TestApplyActExhaustive compares ApplyAct and ExpSlice with the scalar
// functions on every float32, for every kernel. It takes a minute or two and
// runs only with SGEMM_EXHAUSTIVE=1.
func TestApplyActExhaustive(t *testing.T) {
	if os.Getenv("SGEMM_EXHAUSTIVE") == "" {
		t.Skip("set SGEMM_EXHAUSTIVE=1 to check every float32")
	}
	for _, op := range actOps {
		const chunk = 1 << 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		bad := 0
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				in := make([]float32, chunk)
				want := make([]float32, chunk)
				y := make([]float32, chunk)
				for c := w; c < 1<<32/chunk; c += workers {
					for i := range in {
						in[i] = math.Float32frombits(uint32(c*chunk + i))
						want[i] = op.ref(in[i])
					}
					for _, k := range kernels {
						copy(y, in)
						op.vec(k, y)
						for i := range y {
							if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
								mu.Lock()
								if bad < 10 {
									t.Errorf("%s %s(%#08x) = %#08x, want %#08x", k.name, op.name,
										math.Float32bits(in[i]), math.Float32bits(y[i]), math.Float32bits(want[i]))
								}
								bad++
								mu.Unlock()
							}
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkApplyAct times ApplyAct and ExpSlice in ns per element with each
// kernel this CPU runs (generic: the scalar code), on a row of the MLP of
// ViT-B (3072) and on one row of a tile as the GEMM applies it (32 values);
// exp also on a row of ViT-B/16's attention (197 keys).
func BenchmarkApplyAct(b *testing.B) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, op := range []actOp{actOps[1], actOps[0], actOps[2]} {
		sizes := []int{3072, 32}
		if op.name == "exp" {
			sizes = []int{3072, 197, 32}
		}
		for _, n := range sizes {
			x0 := make([]float32, n)
			for i := range x0 {
				x0[i] = float32(rng.NormFloat64() * 2)
				if op.name == "exp" {
					x0[i] = -float32(math.Abs(rng.NormFloat64() * 4)) // softmax: x - max <= 0
				}
			}
			x := make([]float32, n)
			for _, k := range kernels {
				b.Run(op.name+"/"+k.name+"/"+strconv.Itoa(n), func(b *testing.B) {
					for b.Loop() {
						copy(x, x0) // the same inputs every time; the copy is a small share
						op.vec(k, x)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
				})
			}
		}
	}
}
