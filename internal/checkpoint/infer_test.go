package checkpoint

import (
	"errors"
	"reflect"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// TestInferGolden copies the golden weights without their config. The text
// towers are 32 wide with 2 heads, which OpenAI's width/64 rule cannot
// name, so Load refuses; every other field is inferred as in the config,
// and LoadWithConfig with the config file succeeds.
func TestInferGolden(t *testing.T) {
	cases := []struct{ model, file string }{
		{"tiny-vit", "tiny-vit/open_clip_model.safetensors"},
		{"tiny-vit", "tiny-vit/hf/model.safetensors"},
		{"tiny-rn", "tiny-rn/open_clip_model.safetensors"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, golden.Path(t, c.file), dir+"/weights.safetensors")
			_, err := Load(dir)
			if !errors.Is(err, ErrHeadsUnknown) {
				t.Fatalf("Load without config: %v, want ErrHeadsUnknown", err)
			}
			wantError(t, err, "text width 32", dir)

			f, err := safetensors.Open(dir + "/weights.safetensors")
			if err != nil {
				t.Fatal(err)
			}
			srcs, _, err := mapTensors(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			got, err := InferConfig(srcs.shapes())
			if !errors.Is(err, ErrHeadsUnknown) {
				t.Fatalf("InferConfig: %v", err)
			}
			want := goldenConfig(t, c.model)
			got.Text.Heads = want.Text.Heads
			if !reflect.DeepEqual(got, want) {
				t.Errorf("inferred\n%+v\nwant\n%+v", got, want)
			}

			cfgPath := golden.Path(t, c.model, openCLIPConfigFile)
			ck, err := LoadWithConfig(dir, cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if ck.ConfigSource != cfgPath || !reflect.DeepEqual(ck.Config, want) {
				t.Errorf("LoadWithConfig: config %+v from %s", ck.Config, ck.ConfigSource)
			}
		})
	}
}

// TestInferSynthetic infers architectures whose widths are multiples of 64
// from weights alone, in both layouts, and checks the result equals the
// config the weights were made from.
func TestInferSynthetic(t *testing.T) {
	text := model.TextConfig{ContextLength: 7, VocabSize: 50, Width: 64, Heads: 1, Layers: 2}
	cases := []struct {
		name string
		cfg  model.Config
	}{
		{"vit", model.Config{EmbedDim: 16, QuickGELU: true, Text: text,
			Vision: model.VisionConfig{ImageSize: 24, Layers: 3, Width: 128, PatchSize: 4, HeadWidth: 64}}},
		{"resnet", model.Config{EmbedDim: 16, QuickGELU: true, Text: text,
			Vision: model.VisionConfig{ImageSize: 64, ResNetLayers: []int{2, 1, 3, 1}, Width: 8, HeadWidth: 64}}},
	}
	for _, c := range cases {
		cfg := c.cfg.WithDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		tensors := randomTensors(cfg, 11)
		layouts := map[string][]safetensors.Tensor{}
		for name, ht := range tensors {
			layouts[LayoutOpenCLIP] = append(layouts[LayoutOpenCLIP], safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: ht.Shape, Data: ht.Data})
		}
		if !cfg.Vision.IsResNet() {
			layouts[LayoutHF] = toHF(t, tensors)
		}
		for layout, ts := range layouts {
			t.Run(c.name+"/"+layout, func(t *testing.T) {
				ck, err := Load(writeModel(t, t.TempDir(), "model.safetensors", ts))
				if err != nil {
					t.Fatal(err)
				}
				if ck.ConfigSource != InferredConfig || ck.Layout != layout {
					t.Errorf("config source %q, layout %q", ck.ConfigSource, ck.Layout)
				}
				if !reflect.DeepEqual(ck.Config, cfg) {
					t.Errorf("inferred\n%+v\nwant\n%+v", ck.Config, cfg)
				}
				assertTensors(t, ck.Tensors, tensors)
			})
		}
	}
}

func TestInferConfigErrors(t *testing.T) {
	base := func() map[string][]int {
		return map[string][]int{
			"text_projection":             {64, 16},
			"positional_embedding":        {77, 64},
			"token_embedding.weight":      {100, 64},
			"ln_final.weight":             {64},
			"visual.conv1.weight":         {64, 3, 8, 8},
			"visual.positional_embedding": {17, 64},
		}
	}
	cases := []struct {
		name   string
		change func(m map[string][]int)
		want   string
	}{
		{"missing text projection", func(m map[string][]int) { delete(m, "text_projection") }, "tensor text_projection is missing"},
		{"flat token embedding", func(m map[string][]int) { m["token_embedding.weight"] = []int{100} }, "token_embedding.weight has shape [100], want 2 dimensions"},
		{"no grid", func(m map[string][]int) { m["visual.positional_embedding"] = []int{18, 64} }, "18 rows, not a square grid plus one"},
		{"non-square kernel", func(m map[string][]int) { m["visual.conv1.weight"] = []int{64, 3, 8, 4} }, "non-square kernel"},
		{"resnet without attnpool", func(m map[string][]int) { m["visual.layer1.0.conv1.weight"] = []int{8, 8, 1, 1} }, "visual.attnpool.positional_embedding is missing"},
		{"vision heads", func(m map[string][]int) { m["visual.conv1.weight"] = []int{96, 3, 8, 8} }, "vision width 96 not a multiple"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			c.change(m)
			_, err := InferConfig(m)
			wantError(t, err, c.want)
		})
	}
	_, err := InferConfig(base()) // no resblocks: zero layers
	wantError(t, err, "text_cfg: width, heads, layers")
}
