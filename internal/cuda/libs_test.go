//go:build cuda

package cuda

import (
	"os"
	"slices"
	"testing"

	"github.com/clip-go/clip/internal/cuda/cublaslt"
	"github.com/clip-go/clip/internal/cuda/nccl"
)

// skipWithout skips a test whose library is missing, unless the GPU check
// demands it (CLIP_GPU_REQUIRE=1).
func skipWithout(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CLIP_GPU_REQUIRE") == "1" {
		t.Fatal(err)
	}
	t.Skip(err)
}

// cuBLASLt (loaded with dlopen) computes the same bf16 products.
func TestMatMulForwardLt(t *testing.T) {
	path, err := cublaslt.Load()
	skipWithout(t, err)
	t.Logf("%s, version %d", path, cublaslt.Version())
	for _, c := range []gemmCase{{3, 5, 7, true, true, 0}, {200, 768, 300, true, true, 0}, {129, 257, 130, false, false, 0}} {
		t.Run(c.String(), func(t *testing.T) {
			r := rng(t)
			ts := newTensors()
			defer ts.free(t)
			a := ts.with(randn(r, c.m*c.k, 1), c.m, c.k)
			b := ts.with(randn(r, c.k*c.n, 1), c.bShape()...)
			var bias pair
			if c.bias {
				bias = ts.with(randn(r, c.n, 1), c.n)
			}
			out := ts.poisoned(c.m, c.n)
			if err := dev.MatMulForwardLt(out.g, a.g, b.g, bias.g, c.transB); err != nil {
				t.Fatal(err)
			}
			mustSync(t)
			host.MatMulForward(out.c, a.c, b.c, bias.c, c.transB, 0)
			expect(t, "cublasLt fwd", c.String(), "out", down(out.g), downCPU(out.c), tolGEMM)
		})
	}
}

// A one-rank NCCL communicator (the GPU machines have one GPU) runs every
// collective: each is then the identity or a copy.
func TestNCCLCommOneRank(t *testing.T) {
	path, err := nccl.Load()
	skipWithout(t, err)
	v, _ := nccl.Version()
	t.Logf("%s, version %d", path, v)
	id, err := NewNCCLUniqueID()
	if err != nil {
		t.Fatal(err)
	}
	c, err := dev.NewNCCLComm(1, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("rank %d size %d", c.Rank(), c.Size())
	}
	r := rng(t)
	a := dev.NewArena().(*Arena)
	defer func() { _ = a.Free() }()
	data := randn(r, 1000, 1)
	x, y := a.Alloc(1000), a.Alloc(1000)
	dev.Upload(x, data)
	for name, f := range map[string]func() error{
		"AllReduceMean":    func() error { return c.AllReduceMean(x) },
		"Broadcast":        func() error { return c.Broadcast(x, 0) },
		"AllGather":        func() error { dev.Upload(y, nans(1000)); return c.AllGather(y, x) },
		"ReduceScatterSum": func() error { dev.Upload(y, nans(1000)); return c.ReduceScatterSum(y, x) },
	} {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mustSync(t)
		if got := down(x); !slices.Equal(got, data) {
			t.Errorf("%s changed its input", name)
		}
		if name == "AllGather" || name == "ReduceScatterSum" {
			if got := down(y); !slices.Equal(got, data) {
				t.Errorf("%s on one rank is not a copy", name)
			}
		}
	}
}
