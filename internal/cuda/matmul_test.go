//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/internal/compute"
)

// Tolerances of the bf16 tensor-core products against the fp32 CPU
// backend, as max|got-want| over max|want|: operands rounded to 8-bit
// mantissas give about 2^-9 relative error per product, mostly averaging
// out over the sum.
const (
	tolGEMM = 1e-2
)

type gemmCase struct {
	m, k, n int
	transB  bool
	bias    bool
	act     compute.Activation
}

func (c gemmCase) String() string {
	return fmt.Sprintf("M=%d K=%d N=%d transB=%v bias=%v act=%v", c.m, c.k, c.n, c.transB, c.bias, c.act)
}

// Odd sizes (not multiples of the 128 tile, the 32 k-step or 8-element
// chunks) next to CLIP's.
var gemmCases = []gemmCase{
	{1, 1, 1, false, false, compute.ActNone},
	{3, 5, 7, true, true, compute.ActQuickGELU},
	{37, 50, 61, false, true, compute.ActGELU},
	{128, 128, 128, true, false, compute.ActNone},
	{129, 257, 130, false, true, compute.ActReLU},
	{200, 768, 300, true, true, compute.ActQuickGELU},
	{256, 512, 1536, true, true, compute.ActNone},
	{333, 64, 2048, true, true, compute.ActGELU},
	{50, 3072, 768, true, true, compute.ActNone},
	// Many rows and few columns: the backward's db splits its reduction
	// over blocks that add with atomics (split-K).
	{4096, 64, 96, true, true, compute.ActNone},
	{2500, 40, 130, false, true, compute.ActQuickGELU},
}

func (c gemmCase) bShape() []int {
	if c.transB {
		return []int{c.n, c.k}
	}
	return []int{c.k, c.n}
}

// operands returns random a[M,K] and b ([K,N], or [N,K] when transB).
func (c gemmCase) operands(r *rand.Rand, ts *tensors) (a, b pair) {
	a = ts.with(randn(r, c.m*c.k, 1), c.m, c.k)
	b = ts.with(randn(r, c.k*c.n, 1), c.bShape()...)
	return a, b
}

// checkForward runs case c through fwd on the GPU, into an output poisoned
// with NaN, and compares the result with the CPU backend's MatMulForward.
func checkForward(t *testing.T, kernel string, c gemmCase, fwd func(out, a, b, bias compute.Tensor) error) {
	r := rng(t)
	ts := newTensors()
	defer ts.free(t)
	a, b := c.operands(r, ts)
	var bias pair
	if c.bias {
		bias = ts.with(randn(r, c.n, 1), c.n)
	}
	out := ts.poisoned(c.m, c.n)
	if err := fwd(out.g, a.g, b.g, bias.g); err != nil {
		t.Fatal(err)
	}
	mustSync(t)
	host.MatMulForward(out.c, a.c, b.c, bias.c, c.transB, c.act)
	expect(t, kernel, c.String(), "out", down(out.g), downCPU(out.c), tolGEMM)
}

func TestMatMulForward(t *testing.T) {
	for _, c := range gemmCases {
		t.Run(c.String(), func(t *testing.T) {
			checkForward(t, "gemm fwd", c, func(out, a, b, bias compute.Tensor) error {
				dev.MatMulForward(out, a, b, bias, c.transB, c.act)
				return nil
			})
		})
	}
}

// The backward overwrites da and accumulates into db and dBias, which start
// from random values (as gradients of earlier micro-batches would).
func TestMatMulBackward(t *testing.T) {
	for _, c := range gemmCases {
		c.act = compute.ActNone // the backward has no activation
		t.Run(c.String(), func(t *testing.T) {
			r := rng(t)
			ts := newTensors()
			defer ts.free(t)
			a, b := c.operands(r, ts)
			dOut := ts.with(randn(r, c.m*c.n, 1), c.m, c.n)
			da := ts.poisoned(c.m, c.k)
			db := ts.with(randn(r, c.k*c.n, 1), c.bShape()...)
			var dBias pair
			if c.bias {
				dBias = ts.with(randn(r, c.n, 1), c.n)
			}
			dev.MatMulBackward(da.g, db.g, dBias.g, dOut.g, a.g, b.g, c.transB)
			mustSync(t)
			host.MatMulBackward(da.c, db.c, dBias.c, dOut.c, a.c, b.c, c.transB)
			expect(t, "gemm bwd", c.String(), "da", down(da.g), downCPU(da.c), tolGEMM)
			expect(t, "gemm bwd", c.String(), "db", down(db.g), downCPU(db.c), tolGEMM)
			if c.bias {
				expect(t, "gemm bwd", c.String(), "dBias", down(dBias.g), downCPU(dBias.c), 1e-5)
			}
		})
	}
}

// Nil outputs are skipped: db alone, and dBias alone.
func TestMatMulBackwardPartial(t *testing.T) {
	r := rng(t)
	ts := newTensors()
	defer ts.free(t)
	c := gemmCase{m: 70, k: 40, n: 90, transB: true}
	a, b := c.operands(r, ts)
	dOut := ts.with(randn(r, c.m*c.n, 1), c.m, c.n)
	db := ts.with(make([]float32, c.k*c.n), c.bShape()...)
	dBias := ts.with(make([]float32, c.n), c.n)
	dev.MatMulBackward(compute.Tensor{}, db.g, compute.Tensor{}, dOut.g, a.g, b.g, true)
	dev.MatMulBackward(compute.Tensor{}, compute.Tensor{}, dBias.g, dOut.g, a.g, b.g, true)
	mustSync(t)
	host.MatMulBackward(compute.Tensor{}, db.c, dBias.c, dOut.c, a.c, b.c, true)
	expect(t, "gemm bwd", c.String(), "db only", down(db.g), downCPU(db.c), tolGEMM)
	expect(t, "gemm bwd", c.String(), "dBias only", down(dBias.g), downCPU(dBias.c), 1e-5)
}
