package model

import (
	"math"
	"testing"
)

// TestInitWeightsStatistics checks each rule of InitWeights by the sample
// mean and spread of a few tensors of a small config.
func TestInitWeightsStatistics(t *testing.T) {
	cfg := Config{EmbedDim: 64, QuickGELU: true,
		Vision: VisionConfig{ImageSize: 32, Layers: 2, Width: 128, PatchSize: 8, HeadWidth: 64},
		Text:   TextConfig{ContextLength: 16, VocabSize: 1000, Width: 96, Heads: 2, Layers: 3}}
	w, err := NewInitWeights(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	u := func(b float64) [2]float64 { return [2]float64{0, b / math.Sqrt(3)} } // uniform's std
	cases := []struct {
		name     string
		mean, sd float64
	}{
		{"logit_scale", math.Log(1 / 0.07), 0},
		{"token_embedding.weight", 0, 0.02},
		{"positional_embedding", 0, 0.01},
		{"text_projection", 0, 1 / math.Sqrt(96)},
		{"transformer.resblocks.1.attn.in_proj_weight", 0, 1 / math.Sqrt(96)},
		{"transformer.resblocks.1.attn.out_proj.weight", 0, 1 / math.Sqrt(96) / math.Sqrt(6)},
		{"transformer.resblocks.1.mlp.c_fc.weight", 0, 1 / math.Sqrt(192)},
		{"transformer.resblocks.1.mlp.c_proj.bias", u(1 / math.Sqrt(384))[0], u(1 / math.Sqrt(384))[1]},
		{"transformer.resblocks.0.attn.in_proj_bias", 0, 0},
		{"transformer.resblocks.0.ln_1.weight", 1, 0},
		{"ln_final.bias", 0, 0},
		{"visual.class_embedding", 0, 1 / math.Sqrt(128)},
		{"visual.proj", 0, 1 / math.Sqrt(128)},
		{"visual.conv1.weight", 0, u(1 / math.Sqrt(192))[1]},
		{"visual.transformer.resblocks.0.attn.in_proj_weight", 0, u(math.Sqrt(6.0 / 512))[1]},
		{"visual.transformer.resblocks.0.mlp.c_fc.weight", 0, u(1 / math.Sqrt(128))[1]},
		{"visual.transformer.resblocks.0.mlp.c_proj.weight", 0, u(1 / math.Sqrt(512))[1]},
		{"visual.ln_post.weight", 1, 0},
	}
	for _, c := range cases {
		shape, ok := w.Shape(c.name)
		if !ok {
			t.Fatalf("%s: no such tensor", c.name)
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		buf := make([]float32, n)
		if err := w.ReadTensor(c.name, buf); err != nil {
			t.Fatal(err)
		}
		var s, s2 float64
		for _, v := range buf {
			s += float64(v)
			s2 += float64(v) * float64(v)
		}
		mean := s / float64(n)
		sd := math.Sqrt(math.Max(s2/float64(n)-mean*mean, 0))
		tol := 4*c.sd/math.Sqrt(float64(n)) + 1e-6
		if math.Abs(mean-c.mean) > tol+1e-6*math.Abs(c.mean) || math.Abs(sd-c.sd) > 0.1*c.sd+1e-6 {
			t.Errorf("%s: mean %.5g sd %.5g, want %.5g and %.5g", c.name, mean, sd, c.mean, c.sd)
		}
	}
	// Every tensor of the table has a rule and the values are reproducible.
	a, b := make([]float32, 96*64), make([]float32, 96*64)
	if err := w.ReadTensor("text_projection", a); err != nil {
		t.Fatal(err)
	}
	w2, _ := NewInitWeights(cfg, 7)
	if err := w2.ReadTensor("text_projection", b); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("text_projection[%d] differs between two sources with one seed", i)
		}
	}
	for _, s := range ParamTable(cfg) {
		if err := w.ReadTensor(s.Name, make([]float32, s.Numel())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewInitWeights(Config{Vision: VisionConfig{ResNetLayers: []int{1, 1, 1, 1}}}, 1); err == nil {
		t.Error("ModifiedResNet init: want an error")
	}
}
