package model

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
)

func tinyConfig() Config {
	return Config{
		EmbedDim: 8, QuickGELU: true,
		Vision: VisionConfig{ImageSize: 16, Layers: 1, Width: 16, PatchSize: 8, HeadWidth: 8},
		Text:   TextConfig{ContextLength: 12, VocabSize: 50, Width: 16, Heads: 2, Layers: 2},
	}.WithDefaults()
}

func randomWeights(cfg Config, seed uint64) map[string]HostTensor {
	r := rand.New(rand.NewPCG(seed, seed+1))
	host := map[string]HostTensor{}
	for _, s := range ParamTable(cfg) {
		d := make([]float32, s.Numel())
		for i := range d {
			d[i] = float32(r.NormFloat64() * 0.3)
		}
		if s.Buffer {
			for i := range d {
				d[i] = 0.5 + float32(r.Float64()) // a positive running variance
			}
		}
		host[s.Name] = HostTensor{Shape: s.Shape, Data: d}
	}
	return host
}

// The text tower stops at the last pooled position of the batch; this must
// give exactly what running all context positions gives.
func TestTextTruncationIsExact(t *testing.T) {
	cfg := tinyConfig()
	be := cpu.New(1)
	m, err := New(cfg, be)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadWeights(randomWeights(cfg, 1)); err != nil {
		t.Fatal(err)
	}
	tokens := [][]int32{
		{49, 5, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0}, // pooled at 0 (49 is the largest id)
		{3, 5, 49, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{3, 5, 6, 7, 8, 49, 0, 0, 0, 0, 0, 0},
	}
	got, err := m.EncodeTexts(tokens)
	if err != nil {
		t.Fatal(err)
	}
	// Reference: the same tower over all 12 positions, built from layers.
	a := be.NewArena()
	var ids []int32
	for _, row := range tokens {
		ids = append(ids, row...)
	}
	x := a.Alloc(3, 12, cfg.Text.Width)
	be.EmbeddingForward(x, ids, m.Text.TokenEmbedding, m.Text.Pos)
	c := &Ctx{Be: be, A: a}
	x = m.Text.LNFinal.Forward(c, m.Text.Transformer.Forward(c, x))
	pooled := a.Alloc(3, cfg.Text.Width)
	be.GatherRowsForward(pooled, x, PoolPositions(tokens))
	full := project(c, pooled, m.Text.Proj)
	want := make([]float32, full.Numel())
	be.Download(want, full)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("element %d: truncated %g, full %g", i, got[i], want[i])
		}
	}
}

func TestLoadWeightsErrorsNameTheTensor(t *testing.T) {
	cfg := tinyConfig()
	m, err := New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	missing := randomWeights(cfg, 2)
	delete(missing, "visual.proj")
	bad := randomWeights(cfg, 3)
	bad["ln_final.weight"] = HostTensor{Shape: []int{3}, Data: make([]float32, 3)}
	for _, c := range []struct {
		name  string
		host  map[string]HostTensor
		wants string
	}{
		{"missing", missing, `missing tensor "visual.proj"`},
		{"misshaped", bad, `tensor "ln_final.weight" has shape [3]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := m.LoadWeights(c.host)
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("got %v, want an error containing %q", err, c.wants)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	base := tinyConfig()
	cases := []struct {
		name  string
		edit  func(*Config)
		wants string
	}{
		{"no embed", func(c *Config) { c.EmbedDim = 0 }, "embed_dim"},
		{"patch", func(c *Config) { c.Vision.PatchSize = 5 }, "patch_size"},
		{"text heads", func(c *Config) { c.Text.Heads = 3 }, "divisible"},
		{"resnet depth", func(c *Config) { c.Vision.ResNetLayers = []int{1, 1} }, "4 stage depths"},
		{"vit layers", func(c *Config) { c.Vision.Layers = 0 }, "layers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.edit(&cfg)
			_, err := New(cfg, cpu.New(1))
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("got %v, want an error containing %q", err, c.wants)
			}
		})
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	cfg := tinyConfig()
	m, _ := New(cfg, cpu.New(1))
	if _, err := m.EncodeImages(make([]float32, 10), 1); err == nil {
		t.Error("wrong pixel count accepted")
	}
	if _, err := m.EncodeTexts([][]int32{{1, 2}}); err == nil || !strings.Contains(err.Error(), "context length") {
		t.Errorf("short token row: %v", err)
	}
	row := make([]int32, 12)
	row[0] = 999
	if _, err := m.EncodeTexts([][]int32{row}); err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("out-of-vocabulary id: %v", err)
	}
}

func TestParamTableDecayGroups(t *testing.T) {
	for _, s := range ParamTable(tinyConfig()) {
		want := len(s.Shape) >= 2 && !strings.Contains(s.Name, "ln") && !strings.Contains(s.Name, "bias")
		if s.Decays() != want {
			t.Errorf("%s %v: Decays() = %v", s.Name, s.Shape, s.Decays())
		}
	}
}

func TestOpenCLIPConfigForms(t *testing.T) {
	bare := `{"embed_dim": 512, "quick_gelu": true, "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}`
	hub := `{"model_cfg": {"embed_dim": 1024, "vision_cfg": {"image_size": 224, "layers": [3, 4, 6, 3], "width": 64}, "text_cfg": {"width": 512, "heads": 8, "layers": 12}}, "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}`
	c, err := ParseOpenCLIPConfig([]byte(bare))
	if err != nil || c.Vision.Layers != 12 || c.Vision.Heads() != 12 || c.Vision.Mean != OpenAIMean || !c.QuickGELU {
		t.Fatalf("bare config: %+v %v", c, err)
	}
	c, err = ParseOpenCLIPConfig([]byte(hub))
	if err != nil || !c.Vision.IsResNet() || c.Vision.Heads() != 32 || c.Vision.Mean != [3]float32{0.5, 0.5, 0.5} || c.QuickGELU {
		t.Fatalf("hub config: %+v %v", c, err)
	}
	if c.Activation() != compute.ActGELU {
		t.Fatal("quick_gelu false must select exact GELU")
	}
	if _, err := ParseOpenCLIPConfig([]byte(`{"embed_dim": "x"}`)); err == nil {
		t.Fatal("bad JSON type accepted")
	}
}

// A row's features must not depend on the batch it is computed in.
func TestBatchInvariance(t *testing.T) {
	for _, resnet := range []bool{false, true} {
		cfg := tinyConfig()
		if resnet {
			cfg.Vision = VisionConfig{ImageSize: 32, ResNetLayers: []int{1, 1, 1, 1}, Width: 8, HeadWidth: 64}
		}
		m, err := New(cfg, cpu.New(2))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.LoadWeights(randomWeights(cfg, 4)); err != nil {
			t.Fatal(err)
		}
		r := cfg.Vision.ImageSize
		px := make([]float32, 5*3*r*r)
		rng := rand.New(rand.NewPCG(5, 6))
		for i := range px {
			px[i] = float32(rng.NormFloat64())
		}
		all, err := m.EncodeImages(px, 5)
		if err != nil {
			t.Fatal(err)
		}
		e := cfg.EmbedDim
		for i := 0; i < 5; i++ {
			one, err := m.EncodeImages(px[i*3*r*r:(i+1)*3*r*r], 1)
			if err != nil {
				t.Fatal(err)
			}
			for j := range one {
				if one[j] != all[i*e+j] {
					t.Fatalf("resnet=%v image %d element %d: alone %g, in batch %g", resnet, i, j, one[j], all[i*e+j])
				}
			}
		}
	}
}
