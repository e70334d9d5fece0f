//go:build cuda

package nccl

import (
	"testing"

	"github.com/clip-go/clip/internal/cuda/gputest"
)

// Load resolves every entry point of the NCCL it finds; without one (as on
// Debian, which has no NCCL) the test skips, unless CLIP_GPU_REQUIRE=1.
func TestLoad(t *testing.T) {
	path, err := Load()
	gputest.SkipWithout(t, err)
	v, err := Version()
	if err != nil {
		t.Fatal(err)
	}
	if v < 21000 {
		t.Errorf("%s: version %d; ncclAvg needs 2.10 or newer", path, v)
	}
	t.Logf("%s: version %d", path, v)
}
