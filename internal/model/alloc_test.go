package model

import (
	"testing"

	"github.com/clip-go/clip/internal/cpu"
)

// After the first batches of a size, encoding another batch of that size
// reuses the activation arena, the backend's scratch and the GEMM's packing
// buffers. What remains is per-op bookkeeping (closures, shape slices,
// goroutine starts, the returned features): about 100 KB for an image
// batch, 15 KB for a text batch here, never memory of activation size.
func TestSteadyStateAllocation(t *testing.T) {
	cfg := tinyConfig()
	m, err := New(cfg, cpu.New(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(randomWeights(cfg, 9)); err != nil {
		t.Fatal(err)
	}
	const batch = 16
	r := cfg.Vision.ImageSize
	px := make([]float32, batch*3*r*r)
	tokens := make([][]int32, batch)
	for i := range tokens {
		tokens[i] = make([]int32, cfg.Text.ContextLength)
		tokens[i][0], tokens[i][5] = 3, 49
	}
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"image", func() { _, _ = m.EncodeImages(px, batch) }},
		{"text", func() { _, _ = m.EncodeTexts(tokens) }},
	} {
		// Plan the arena for this batch size; let the GEMM's packing buffers
		// reach the number of goroutines that use them at once.
		for i := 0; i < 5; i++ {
			c.run()
		}
		var before, after runtimeMem
		before.read()
		const runs = 50
		for i := 0; i < runs; i++ {
			c.run()
		}
		after.read()
		perBatch := (after.bytes - before.bytes) / runs
		t.Logf("%s: %d bytes allocated per batch", c.name, perBatch)
		if perBatch > 256<<10 {
			t.Errorf("%s: %d bytes allocated per batch in steady state", c.name, perBatch)
		}
	}
}
