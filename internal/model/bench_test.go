package model

import (
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
)

// benchModel builds an OpenAI architecture from configs/arch with random
// weights (no download).
func benchModel(b *testing.B, arch string) *CLIP {
	b.Helper()
	cfg, err := LoadOpenCLIPConfig(filepath.Join("..", "..", "configs", "arch", arch))
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(cfg, cpu.New(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := m.LoadWeights(randomWeights(cfg, 7)); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkViTB32Image is the profiling target of the image tower:
// go test -run ^$ -bench ViTB32Image -cpuprofile cpu.prof ./internal/model
func BenchmarkViTB32Image(b *testing.B) {
	m := benchModel(b, "ViT-B-32.json")
	const batch = 32
	px := make([]float32, batch*3*224*224)
	for i := range px {
		px[i] = float32(i%255)/128 - 1
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.EncodeImages(px, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}
