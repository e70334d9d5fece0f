package trainer

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/clip-go/clip/internal/bench"
	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/model"
)

// benchStep times one full training step (forward, loss, backward, AdamW)
// of an architecture from configs/arch on random weights and inputs, as
// `clip bench --what train` does. It is the profiling target of training:
//
//	go test -run '^$' -bench TrainStepSmall -cpuprofile cpu.prof ./internal/trainer
//
// BENCH_THREADS sets the thread count (default GOMAXPROCS); GOMAXPROCS is
// set to match, as the clip command does.
func benchStep(b *testing.B, arch string, batch int) {
	threads := runtime.GOMAXPROCS(0)
	if s := os.Getenv("BENCH_THREADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BENCH_THREADS=%q: want a positive integer", s)
		}
		threads = n
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	cfg, err := checkpoint.LoadConfigFile(filepath.Join("..", "..", "configs", "arch", arch))
	if err != nil {
		b.Fatal(err)
	}
	be := cpu.New(threads)
	m, err := model.New(cfg, be)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.LoadFrom(bench.NewRandomWeights(m.Config, 1)); err != nil {
		b.Fatal(err)
	}
	rows, err := bench.TokenRows(batch, cfg.Text.ContextLength, cfg.Text.ContextLength, cfg.Text.VocabSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt, err := NewDeviceOptimizer(m, be, DefaultAdamW())
	if err != nil {
		b.Fatal(err)
	}
	px := bench.Pixels(batch, cfg.Vision.ImageSize, 1)
	dev := &Device{Model: m, Opt: opt}
	ar := be.NewArena()
	step := func() {
		if _, err := dev.Step(ar, px, batch, rows, 1e-4); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up: plans the arena, grows the scratch buffers
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkTrainStepSmall is configs/small.yaml's architecture at batch 64
// (issue 4's benchmark).
func BenchmarkTrainStepSmall(b *testing.B) { benchStep(b, "small.json", 64) }

// BenchmarkTrainStepViTB32 is ViT-B/32 at batch 16.
func BenchmarkTrainStepViTB32(b *testing.B) { benchStep(b, "ViT-B-32.json", 16) }
