//go:build cuda

package cublaslt

import (
	"testing"

	"github.com/clip-go/clip/internal/cuda/gputest"
)

// Load resolves every entry point of whichever cuBLASLt it finds (Debian's
// libcublasLt.so.11 here, the CUDA 13 wheel on the GPU machine). Without a
// library the test skips, unless CLIP_GPU_REQUIRE=1.
func TestLoad(t *testing.T) {
	path, err := Load()
	gputest.SkipWithout(t, err)
	if v := Version(); v < 110000 {
		t.Errorf("%s: version %d, want CUDA 11 or newer", path, v)
	}
	t.Logf("%s: version %d", path, Version())
	if s := Status(7).Error(); s == "" {
		t.Error("empty status text")
	}
}
