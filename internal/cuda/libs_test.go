//go:build cuda

package cuda

import (
	"slices"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cuda/cublaslt"
	"github.com/clip-go/clip/internal/cuda/gputest"
	"github.com/clip-go/clip/internal/cuda/nccl"
)

// cuBLASLt (loaded with dlopen) computes the same bf16 products.
func TestMatMulForwardLt(t *testing.T) {
	path, err := cublaslt.Load()
	gputest.SkipWithout(t, err)
	t.Logf("%s, version %d", path, cublaslt.Version())
	for _, c := range []gemmCase{{3, 5, 7, true, true, 0}, {200, 768, 300, true, true, 0}, {129, 257, 130, false, false, 0}} {
		t.Run(c.String(), func(t *testing.T) {
			checkForward(t, "cublasLt fwd", c, func(out, a, b, bias compute.Tensor) error {
				return dev.MatMulForwardLt(out, a, b, bias, c.transB)
			})
		})
	}
}

// A one-rank NCCL communicator (the GPU machines have one GPU) runs every
// collective: each is then the identity or a copy.
func TestNCCLCommOneRank(t *testing.T) {
	path, err := nccl.Load()
	gputest.SkipWithout(t, err)
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
