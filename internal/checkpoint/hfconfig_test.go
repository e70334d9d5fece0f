package checkpoint

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
)

func TestParseHFConfigDefaults(t *testing.T) {
	// Old config.json files omit what equals transformers' defaults; the
	// defaults are ViT-B/32's.
	c, err := ParseHFConfig([]byte(`{"model_type": "clip"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Config{
		EmbedDim: 512, QuickGELU: true,
		Vision: model.VisionConfig{ImageSize: 224, Layers: 12, Width: 768, PatchSize: 32, HeadWidth: 64},
		Text:   model.TextConfig{ContextLength: 77, VocabSize: 49408, Width: 512, Heads: 8, Layers: 12},
	}.WithDefaults()
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseHFConfigLegacyDicts(t *testing.T) {
	// transformers < 4.x wrote text_config_dict / vision_config_dict, which
	// override text_config / vision_config.
	c, err := ParseHFConfig([]byte(`{
		"model_type": "clip", "projection_dim": 768,
		"text_config": {"hidden_size": 512}, "text_config_dict": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12},
		"vision_config_dict": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14},
		"text_config_dict_unused": null}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Config{
		EmbedDim: 768, QuickGELU: true,
		Vision: model.VisionConfig{ImageSize: 224, Layers: 24, Width: 1024, PatchSize: 14, HeadWidth: 64},
		Text:   model.TextConfig{ContextLength: 77, VocabSize: 49408, Width: 768, Heads: 12, Layers: 12},
	}.WithDefaults()
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ViT-L/14\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseHFConfigGELUAndMean(t *testing.T) {
	c, err := ParseHFConfig([]byte(`{"text_config": {"hidden_act": "gelu"}, "vision_config": {"hidden_act": "gelu"}}`),
		[]byte(`{"image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.1, 0.3]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.QuickGELU || c.Vision.Mean != [3]float32{0.5, 0.4, 0.3} || c.Vision.Std != [3]float32{0.2, 0.1, 0.3} {
		t.Errorf("gelu config: %+v", c)
	}
}

func TestParseHFConfigRejects(t *testing.T) {
	cases := []struct {
		name, config, preprocessor, want string
	}{
		{"not json", `{`, "", "unexpected end"},
		{"siglip", `{"model_type": "siglip"}`, "", `model_type "siglip" is not supported`},
		{"text model type", `{"text_config": {"model_type": "bert"}}`, "", `text_config.model_type "bert" is not supported`},
		{"mlp ratio", `{"vision_config": {"intermediate_size": 3000}}`, "", "vision_config.intermediate_size 3000 is not supported: the model's MLP is 4 x hidden_size = 3072"},
		{"tanh gelu", `{"text_config": {"hidden_act": "gelu_new"}, "vision_config": {"hidden_act": "gelu_new"}}`, "", `text_config.hidden_act "gelu_new" is not supported`},
		{"mixed activations", `{"text_config": {"hidden_act": "gelu"}}`, "", `hidden_act differs between text ("gelu") and vision ("quick_gelu")`},
		{"eps", `{"vision_config": {"layer_norm_eps": 1e-6}}`, "", "vision_config.layer_norm_eps 1e-06 is not supported"},
		{"eos", `{"text_config": {"eos_token_id": 5}}`, "", "eos_token_id 5 is not supported"},
		{"heads", `{"vision_config": {"num_attention_heads": 7}}`, "", "hidden_size 768 is not divisible by num_attention_heads 7"},
		{"channels", `{"vision_config": {"num_channels": 1}}`, "", "num_channels 1 is not supported"},
		{"text heads", `{"text_config": {"num_attention_heads": 7}}`, "", "width 512 is not divisible by heads 7"},
		{"mean", `{}`, `{"image_mean": [0.5]}`, "preprocessor_config.json.image_mean has 1 values, want 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pre []byte
			if c.preprocessor != "" {
				pre = []byte(c.preprocessor)
			}
			_, err := ParseHFConfig([]byte(c.config), pre)
			wantError(t, err, c.want)
		})
	}
}

// TestLoadHFConfigFiles edits the golden HF folder's config files: the
// activation and normalisation come from them.
func TestLoadHFConfigFiles(t *testing.T) {
	src := golden.Path(t, "tiny-vit", "hf")
	dir := t.TempDir()
	copyFile(t, filepath.Join(src, "model.safetensors"), filepath.Join(dir, "model.safetensors"))
	cfg := strings.ReplaceAll(readString(t, filepath.Join(src, hfConfigFile)), `"quick_gelu"`, `"gelu"`)
	pre := strings.Replace(readString(t, filepath.Join(src, hfPreprocessorFile)), "0.48145466", "0.5", 1)
	for name, body := range map[string]string{hfConfigFile: cfg, hfPreprocessorFile: pre} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.QuickGELU || ck.Config.Vision.Mean[0] != 0.5 || ck.ConfigSource != filepath.Join(dir, hfConfigFile) {
		t.Errorf("config %+v from %s", ck.Config, ck.ConfigSource)
	}
}

func TestOpenCLIPOptions(t *testing.T) {
	base := readString(t, golden.Path(t, "tiny-vit", openCLIPConfigFile))
	cases := []struct {
		name, from, to, want string // to replaces the first occurrence of from
	}{
		{"mlp ratio", `"patch_size": 8,`, `"patch_size": 8, "mlp_ratio": 4.9231,`, "vision_cfg.mlp_ratio = 4.9231 is not supported"},
		{"timm tower", `"patch_size": 8,`, `"patch_size": 8, "timm_model_name": "vit_base_patch16_224",`, "vision_cfg.timm_model_name = vit_base_patch16_224"},
		{"hf text tower", `"heads": 2,`, `"heads": 2, "hf_model_name": "xlm-roberta-base",`, "text_cfg.hf_model_name = xlm-roberta-base"},
		{"last-token pooling", `"heads": 2,`, `"heads": 2, "pool_type": "last",`, "text_cfg.pool_type = last"},
		{"siglip", `"quick_gelu": true`, `"quick_gelu": true, "init_logit_bias": -10`, "init_logit_bias = -10"},
		{"layer-norm eps", `"heads": 2,`, `"heads": 2, "norm_kwargs": {"eps": 1e-6},`, "text_cfg.norm_kwargs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := strings.Replace(base, c.from, c.to, 1)
			if cfg == base {
				t.Fatalf("%q not in the golden config", c.from)
			}
			p := filepath.Join(t.TempDir(), openCLIPConfigFile)
			if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfigFile(p)
			wantError(t, err, p, c.want)
		})
	}
	// Defaults spelled out, and nulls, are fine.
	ok := strings.Replace(base, `"heads": 2,`, `"heads": 2, "pool_type": "argmax", "hf_model_name": null, "mlp_ratio": 4, "norm_kwargs": {},`, 1)
	if err := checkOpenCLIPOptions([]byte(ok)); err != nil {
		t.Error(err)
	}
}
