package trainer

import (
	"math"
	"testing"

	"github.com/clip-go/clip/internal/bench"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/model"
)

// stepModel is tiny-vit with deterministic random weights on its own backend.
func stepModel(t *testing.T, cfg model.Config) *model.CLIP {
	t.Helper()
	m, err := model.New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadFrom(bench.NewRandomWeights(cfg, 3)); err != nil {
		t.Fatal(err)
	}
	return m
}

func hostGrads(m *model.CLIP) []float32 {
	g := make([]float32, m.Grads.All.Numel())
	m.Backend().Download(g, m.Grads.All)
	return g
}

// Clipping against a direct computation: the norm of the unclipped gradient
// in float64, and every gradient scaled by max/(norm+1e-6) when max < norm,
// untouched otherwise.
func TestStepClipsGradNorm(t *testing.T) {
	cfg, _ := tinyViT(t)
	const n = 4
	px := bench.Pixels(n, cfg.Vision.ImageSize, 5)
	tokens, err := bench.TokenRows(n, cfg.Text.ContextLength, 7, cfg.Text.VocabSize, 5)
	if err != nil {
		t.Fatal(err)
	}
	ref := stepModel(t, cfg)
	r0, err := (&Device{Model: ref}).Step(ref.Backend().NewArena(), px, n, tokens, 0)
	if err != nil {
		t.Fatal(err)
	}
	g0 := hostGrads(ref)
	var ss float64
	for _, v := range g0 {
		ss += float64(v) * float64(v)
	}
	norm := math.Sqrt(ss)
	if d := math.Abs(float64(r0.GradNorm) - norm); d > 1e-6*norm || norm == 0 {
		t.Fatalf("GradNorm %g, direct %g", r0.GradNorm, norm)
	}
	for _, c := range []struct {
		name string
		max  float64
		coef float64 // expected scale of the gradients
	}{
		{"clipped", norm / 3, (norm / 3) / (norm + ClipEps)},
		{"below the limit", 2 * norm, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := stepModel(t, cfg)
			r, err := (&Device{Model: m, MaxGradNorm: float32(c.max)}).Step(m.Backend().NewArena(), px, n, tokens, 0)
			if err != nil {
				t.Fatal(err)
			}
			if r.GradNorm != r0.GradNorm || r.Loss != r0.Loss {
				t.Errorf("GradNorm %g loss %g, unclipped %g %g", r.GradNorm, r.Loss, r0.GradNorm, r0.Loss)
			}
			worst := 0.0
			var clipped float64
			for i, v := range hostGrads(m) {
				want := c.coef * float64(g0[i])
				worst = max(worst, math.Abs(float64(v)-want))
				clipped += float64(v) * float64(v)
			}
			if lim := 1e-6 * c.coef * norm; worst > lim {
				t.Errorf("max |grad - coef·unclipped| %.3g > %.3g", worst, lim)
			}
			if got, want := math.Sqrt(clipped), min(c.max, norm); math.Abs(got-want) > 1e-5*want {
				t.Errorf("clipped norm %g, want %g", got, want)
			}
		})
	}
}

// Step with an optimiser moves the parameters and clamps logit_scale.
func TestStepOptimizer(t *testing.T) {
	cfg, _ := tinyViT(t)
	const n = 2
	px := bench.Pixels(n, cfg.Vision.ImageSize, 9)
	tokens, err := bench.TokenRows(n, cfg.Text.ContextLength, 5, cfg.Text.VocabSize, 9)
	if err != nil {
		t.Fatal(err)
	}
	m := stepModel(t, cfg)
	opt, err := NewDeviceOptimizer(m, m.Backend().(*cpu.Backend), DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	before := m.LogitScale()
	r, err := (&Device{Model: m, Opt: opt, MaxGradNorm: 1}).Step(m.Backend().NewArena(), px, n, tokens, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	if r.LogitScale != before || opt.StepCount() != 1 {
		t.Errorf("result scale %g (before %g), %d optimiser steps", r.LogitScale, before, opt.StepCount())
	}
	if after := m.LogitScale(); after == before || after > 100*(1+1e-6) {
		t.Errorf("logit scale %g -> %g", before, after)
	}
	if math.IsNaN(float64(r.Loss)) || r.Loss <= 0 {
		t.Errorf("loss %g", r.Loss)
	}
}
