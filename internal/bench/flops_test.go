package bench

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/internal/model"
)

func loadArch(t *testing.T, name string) model.Config {
	t.Helper()
	cfg, err := model.LoadOpenCLIPConfig(filepath.Join("..", "..", "configs", "arch", name))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestFLOPCounts pins the counts to the values scripts/bench_torch_cpu.py's
// matmul_gflop gives for the same architectures (and, for ViT-B, to
// ../shared/notes/cpu-baselines.md: 8.818 and 35.127 GFLOP per image,
// 5.960 per 77-token text). The ResNet's convolutions were checked against
// forward hooks on PyTorch's Conv2d modules (10.734 GFLOP) plus the
// attention pool (0.852).
func TestFLOPCounts(t *testing.T) {
	tests := []struct {
		arch  string
		what  string
		batch int
		pos   int
		want  float64
	}{
		{"ViT-B-32.json", "image", 1, 0, 8.81762304e9},
		{"ViT-B-32.json", "image", 32, 0, 32 * 8.81762304e9},
		{"ViT-B-16.json", "image", 1, 0, 35.12690688e9},
		{"ViT-B-32.json", "text", 1, 77, 5.959540736e9},
		{"ViT-B-32.json", "text", 2, 9, 2 * (12*(24*9*512*512+4*9*9*512) + 2*512*512)},
		{"RN50.json", "image", 1, 0, 11.586306048e9},
	}
	for _, tc := range tests {
		cfg := loadArch(t, tc.arch)
		got := ImageFLOP(cfg, tc.batch)
		if tc.what == "text" {
			got = TextFLOP(cfg, tc.batch, tc.pos)
		}
		if math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("%s %s batch %d: %.0f FLOP, want %.0f", tc.arch, tc.what, tc.batch, got, tc.want)
		}
	}
	if got, want := TrainFLOP(loadArch(t, "ViT-B-32.json"), 2, 77), 3*2*(8.81762304e9+5.959540736e9); math.Abs(got-want) > 1e-9*want {
		t.Errorf("TrainFLOP ViT-B-32 batch 2: %.0f, want %.0f", got, want)
	}
	if got := GEMMFLOP(1600, 768, 2304); got != 2*1600*768*2304 {
		t.Errorf("GEMMFLOP = %v", got)
	}
}
