package bench

import (
	"math"
	"slices"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/model"
)

func tinyConfig(resnet bool) model.Config {
	c := model.Config{EmbedDim: 8}
	c.Vision = model.VisionConfig{ImageSize: 32, Layers: 1, Width: 16, PatchSize: 16, HeadWidth: 8}
	if resnet {
		c.Vision = model.VisionConfig{ImageSize: 32, ResNetLayers: []int{1, 1, 1, 1}, Width: 8, HeadWidth: 64}
	}
	c.Text = model.TextConfig{ContextLength: 8, VocabSize: 20, Width: 16, Heads: 2, Layers: 1}
	return c
}

func download(m *model.CLIP, name string) []float32 {
	t := m.Params.Get(name)
	out := make([]float32, t.Numel())
	m.Backend().Download(out, t)
	return out
}

func TestRandomWeights(t *testing.T) {
	for _, resnet := range []bool{false, true} {
		cfg := tinyConfig(resnet)
		a, err := model.New(cfg, cpu.New(1))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := model.New(cfg, cpu.New(1))
		if err := a.LoadFrom(NewRandomWeights(cfg, 7)); err != nil {
			t.Fatal(err)
		}
		if err := b.LoadFrom(NewRandomWeights(cfg, 7)); err != nil {
			t.Fatal(err)
		}
		for _, s := range a.Params.Specs {
			va, vb := download(a, s.Name), download(b, s.Name)
			if !slices.Equal(va, vb) {
				t.Fatalf("%s differs between two loads with one seed", s.Name)
			}
			switch {
			case s.Name == "logit_scale":
				if math.Abs(float64(va[0])-math.Log(1/0.07)) > 1e-6 {
					t.Errorf("logit_scale %v, want ln(1/0.07)", va[0])
				}
			case len(s.Shape) == 1 && s.Name[len(s.Name)-7:] == ".weight":
				if va[0] < 0.8 || va[0] > 1.2 {
					t.Errorf("norm scale %s[0] = %v, want near 1", s.Name, va[0])
				}
			}
			if slices.ContainsFunc(va, func(v float32) bool { return math.IsNaN(float64(v)) }) {
				t.Errorf("%s holds NaN", s.Name)
			}
		}
		if resnet {
			for _, v := range download(a, "visual.bn1.running_var") {
				if v <= 0 {
					t.Fatalf("running_var %v is not positive", v)
				}
			}
		}
		w := download(a, "token_embedding.weight")
		var sum2 float64
		for _, v := range w {
			sum2 += float64(v) * float64(v)
		}
		if std := math.Sqrt(sum2 / float64(len(w))); std < 0.015 || std > 0.025 {
			t.Errorf("token_embedding std %.4f, want about %v", std, WeightStd)
		}
		px := Pixels(2, cfg.Vision.ImageSize, 1)
		if f, err := a.EncodeImages(px, 2); err != nil || len(f) != 2*cfg.EmbedDim {
			t.Errorf("EncodeImages after random weights: %d values, %v", len(f), err)
		}
	}
}

func TestTokenRows(t *testing.T) {
	rows, err := TokenRows(3, 8, 5, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	pool := model.PoolPositions(rows)
	for i, r := range rows {
		if len(r) != 8 || r[0] != 18 || r[4] != 19 || r[5] != 0 || r[7] != 0 {
			t.Errorf("row %d = %v, want start 18, end 19 at 4, zero padding", i, r)
		}
		for _, id := range r[1:4] {
			if id < 1 || id >= 18 {
				t.Errorf("row %d: random id %d outside [1,18)", i, id)
			}
		}
		if pool[i] != 4 {
			t.Errorf("row %d pools at %d, want 4", i, pool[i])
		}
	}
	for _, bad := range [][3]int{{1, 8, 20}, {9, 8, 20}, {4, 8, 2}} {
		if _, err := TokenRows(1, bad[1], bad[0], bad[2], 1); err == nil {
			t.Errorf("TokenRows(len %d, ctx %d, vocab %d) accepted", bad[0], bad[1], bad[2])
		}
	}
}

func TestRandomWeightsErrors(t *testing.T) {
	r := NewRandomWeights(tinyConfig(false), 1)
	if _, ok := r.Shape("nope"); ok {
		t.Error("Shape of an unknown tensor")
	}
	if err := r.ReadTensor("nope", nil); err == nil {
		t.Error("ReadTensor of an unknown tensor")
	}
	if err := r.ReadTensor("logit_scale", make([]float32, 2)); err == nil {
		t.Error("ReadTensor into a wrong-sized slice")
	}
	// A tensor's values do not depend on what was read before it.
	x, y := make([]float32, 16), make([]float32, 16)
	_ = r.ReadTensor("ln_final.bias", x)
	_ = r.ReadTensor("logit_scale", make([]float32, 1))
	_ = r.ReadTensor("ln_final.bias", y)
	if !slices.Equal(x, y) {
		t.Error("a tensor's values depend on the read order")
	}
}
