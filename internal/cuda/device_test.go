//go:build cuda

package cuda

import (
	"slices"
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	i := dev.Info()
	if i.Major < 8 || i.SMs < 1 || i.TotalMem <= 0 || i.Name == "" {
		t.Errorf("implausible device info %+v", i)
	}
	t.Log(i)
}

// Uploads and downloads round-trip through arena tensors; Mark/Release and
// Reset reuse memory; Zero clears.
func TestArenaCopiesAndZero(t *testing.T) {
	r := rng(t)
	a := dev.NewArena().(*Arena)
	defer func() {
		if err := a.Free(); err != nil {
			t.Error(err)
		}
	}()
	x := a.Alloc(3, 5)
	m := a.Mark()
	y := a.Alloc(1000)
	a.Release(m)
	if z := a.Alloc(7); z.Off != y.Off || devPtr(z) != devPtr(y) {
		t.Errorf("after Release the next tensor is at %d, want %d", z.Off, y.Off)
	}
	if devPtr(x)%256 != 0 || devPtr(y)%256 != 0 {
		t.Errorf("arena tensors not 256-byte aligned: %#x %#x", devPtr(x), devPtr(y))
	}
	data := randn(r, 15, 1)
	dev.Upload(x, data)
	if got := down(x); !slices.Equal(got, data) {
		t.Errorf("round trip: got %v want %v", got, data)
	}
	dev.Zero(x)
	if got := down(x); slices.ContainsFunc(got, func(v float32) bool { return v != 0 }) {
		t.Errorf("after Zero: %v", got)
	}
	big := a.Alloc(slabElems + 1) // its own slab
	dev.Upload(big, make([]float32, big.Numel()))
	mustSync(t)
	a.Reset()
	if again := a.Alloc(3, 5); devPtr(again) != devPtr(x) {
		t.Error("Reset does not reuse the first slab")
	}
}

// A failed launch comes back from Sync with the kernel's name, and the
// device works again afterwards.
func TestLaunchErrorNamesKernel(t *testing.T) {
	dev.launch("cvt_pad_bf16", dim3{1, 1, 1}, dim3{4096, 1, 1}, // too many threads per block
		ptrArg(0), intArg(0), intArg(0), ptrArg(0), intArg(0), intArg(0), intArg(0))
	err := dev.Sync()
	if err == nil || !strings.Contains(err.Error(), "cvt_pad_bf16") {
		t.Fatalf("Sync after a bad launch: %v, want an error naming cvt_pad_bf16", err)
	}
	if err := dev.Sync(); err != nil {
		t.Fatalf("the error was not cleared: %v", err)
	}
}
