package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/safetensors"
)

func TestLoadRejects(t *testing.T) {
	ocWeights := func(t *testing.T) []safetensors.Tensor {
		return rawTensors(t, golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	}
	hfWeights := func(t *testing.T) []safetensors.Tensor {
		return rawTensors(t, golden.Path(t, "tiny-vit", "hf", "model.safetensors"))
	}
	drop := func(name string) func(safetensors.Tensor) (safetensors.Tensor, bool) {
		return func(t safetensors.Tensor) (safetensors.Tensor, bool) { return t, t.Name != name }
	}
	reshape := func(name string, shape ...int) func(safetensors.Tensor) (safetensors.Tensor, bool) {
		return func(t safetensors.Tensor) (safetensors.Tensor, bool) {
			if t.Name == name {
				n := 4
				for _, d := range shape {
					n *= d
				}
				t.Shape, t.Data = shape, make([]byte, n)
			}
			return t, true
		}
	}
	extra := func(ts []safetensors.Tensor, names ...string) []safetensors.Tensor {
		for _, n := range names {
			ts = append(ts, safetensors.Tensor{Name: n, DType: safetensors.F32, Shape: []int{2}, Data: []float32{1, 2}})
		}
		return ts
	}
	cases := []struct {
		name    string
		tensors func(t *testing.T) []safetensors.Tensor
		config  string // golden-relative config file to put beside
		want    []string
	}{
		{"missing tensor", func(t *testing.T) []safetensors.Tensor { return edit(ocWeights(t), drop("visual.ln_post.bias")) },
			"tiny-vit/open_clip_config.json", []string{"missing tensors: visual.ln_post.bias [128]"}},
		{"mis-shaped tensor", func(t *testing.T) []safetensors.Tensor { return edit(ocWeights(t), reshape("ln_final.weight", 31)) },
			"tiny-vit/open_clip_config.json", []string{"wrong shapes: ln_final.weight has shape [31], want [32]"}},
		{"unexpected tensor", func(t *testing.T) []safetensors.Tensor { return extra(ocWeights(t), "visual.extra", "logit_bias") },
			"tiny-vit/open_clip_config.json", []string{"tensors this architecture does not have: logit_bias, visual.extra"}},
		{"integer parameter", func(t *testing.T) []safetensors.Tensor {
			return edit(ocWeights(t), func(t safetensors.Tensor) (safetensors.Tensor, bool) {
				if t.Name == "logit_scale" {
					t.DType = safetensors.I32
				}
				return t, true
			})
		}, "tiny-vit/open_clip_config.json", []string{`"logit_scale" is I32, not a floating-point dtype`}},
		{"wrong config", ocWeights, "tiny-rn/open_clip_config.json",
			[]string{"does not match the architecture (config ", "open_clip_config.json)", "missing tensors: visual.attnpool", "tensors this architecture does not have: visual.class_embedding"}},
		{"hf missing k", func(t *testing.T) []safetensors.Tensor {
			return edit(hfWeights(t), drop("text_model.encoder.layers.1.self_attn.k_proj.bias"))
		}, "tiny-vit/hf/config.json", []string{"transformer.resblocks.1.attn.in_proj_bias: missing tensor text_model.encoder.layers.1.self_attn.k_proj.bias"}},
		{"hf q/k/v disagree", func(t *testing.T) []safetensors.Tensor {
			return edit(hfWeights(t), reshape("vision_model.encoder.layers.0.self_attn.v_proj.weight", 128, 127))
		}, "tiny-vit/hf/config.json", []string{"v_proj.weight has shape [128 127] but", "q_proj.weight has [128 128]"}},
		{"hf mis-shaped projection", func(t *testing.T) []safetensors.Tensor {
			return edit(hfWeights(t), reshape("visual_projection.weight", 16, 128))
		}, "tiny-vit/hf/config.json", []string{"visual.proj (from visual_projection.weight, transposed) has shape [128 16], want [128 32]"}},
		{"hf unknown tensor", func(t *testing.T) []safetensors.Tensor { return extra(hfWeights(t), "text_model.pooler.dense.weight") },
			"tiny-vit/hf/config.json", []string{"not part of an HF CLIPModel: text_model.pooler.dense.weight"}},
		{"unknown architecture", func(t *testing.T) []safetensors.Tensor { return extra(nil, "encoder.layer.0.weight", "pooler.bias") },
			"", []string{"unknown architecture", "encoder.layer.0.weight, pooler.bias"}},
		{"mixed layouts", func(t *testing.T) []safetensors.Tensor {
			return extra(ocWeights(t), "text_model.embeddings.token_embedding.weight")
		},
			"tiny-vit/open_clip_config.json", []string{"mix the HF layout"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var configs []string
			if c.config != "" {
				configs = append(configs, golden.Path(t, c.config))
			}
			dir := writeModel(t, t.TempDir(), "model.safetensors", c.tensors(t), configs...)
			_, err := Load(dir)
			wantError(t, err, append(c.want, filepath.Join(dir, "model.safetensors"))...)
			if err != nil {
				checkNoDataRead(t, filepath.Join(dir, "model.safetensors"), err)
			}
		})
	}
}

// TestLoadAccepts covers what a strict loader must still let through (the
// HF golden file carries position_ids buffers, covered by TestLoadGolden).
func TestLoadAccepts(t *testing.T) {
	oc := rawTensors(t, golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	buffers := append(edit(oc, func(t safetensors.Tensor) (safetensors.Tensor, bool) { return t, true }),
		safetensors.Tensor{Name: "visual.bn1.num_batches_tracked", DType: safetensors.I64, Shape: []int{}, Data: []int64{3}},
		safetensors.Tensor{Name: "attn_mask", DType: safetensors.F32, Shape: []int{1}, Data: []float32{0}},
		safetensors.Tensor{Name: "input_resolution", DType: safetensors.I64, Shape: []int{}, Data: []int64{32}},
	)
	module := edit(oc, func(t safetensors.Tensor) (safetensors.Tensor, bool) {
		t.Name = "module." + t.Name
		return t, true
	})
	scalar1 := edit(oc, func(t safetensors.Tensor) (safetensors.Tensor, bool) {
		if t.Name == "logit_scale" {
			t.Shape = []int{1}
		}
		return t, true
	})
	for name, ts := range map[string][]safetensors.Tensor{"derived buffers": buffers, "module prefix": module, "logit_scale [1]": scalar1} {
		t.Run(name, func(t *testing.T) {
			dir := writeModel(t, t.TempDir(), "open_clip_model.safetensors", ts, golden.Path(t, "tiny-vit", openCLIPConfigFile))
			ck, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Tensors["logit_scale"].Data[0] == 0 || len(ck.Tensors) != 62 {
				t.Errorf("logit_scale %v, %d tensors", ck.Tensors["logit_scale"], len(ck.Tensors))
			}
		})
	}
}

func TestLoadTruncated(t *testing.T) {
	b, err := os.ReadFile(golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "open_clip_model.safetensors")
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	wantError(t, err, path, "run past the end of the data")
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := LoadConfigFile(write("timm.json", `{"architecture": "vit_base_patch16_224", "num_classes": 1000}`))
	wantError(t, err, "timm.json", "neither an OpenCLIP model config")
	_, err = LoadConfigFile(write("broken.json", `{"embed_dim": `))
	wantError(t, err, "broken.json")
	_, err = LoadConfigFile(filepath.Join(dir, "absent.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// An explicit config file that does not exist is an error, not inference.
	_, err = LoadWithConfig(golden.Path(t, "tiny-vit"), filepath.Join(dir, "absent.json"))
	wantError(t, err, "absent.json")

	// A hub-style wrapped config with preprocess_cfg.
	wrapped := `{"model_cfg": ` + strings.TrimSpace(readString(t, golden.Path(t, "tiny-vit", openCLIPConfigFile))) +
		`, "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}}`
	c, err := LoadConfigFile(write("open_clip_config.json", wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if c.Vision.Mean != [3]float32{0.5, 0.5, 0.5} || c.Vision.Std != [3]float32{0.25, 0.25, 0.25} || c.Vision.Width != 128 {
		t.Errorf("wrapped config: %+v", c)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
