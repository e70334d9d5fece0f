package checkpoint

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/clip-go/clip/internal/model"
)

// hfTower holds the fields of CLIPTextConfig and CLIPVisionConfig this
// package reads. Older config.json files omit fields whose value equals
// transformers' default, so parsing starts from those defaults.
type hfTower struct {
	ModelType             string  `json:"model_type"`
	HiddenSize            int     `json:"hidden_size"`
	IntermediateSize      int     `json:"intermediate_size"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"` // text
	VocabSize             int     `json:"vocab_size"`              // text
	EOSTokenID            int     `json:"eos_token_id"`            // text
	ImageSize             int     `json:"image_size"`              // vision
	PatchSize             int     `json:"patch_size"`              // vision
	NumChannels           int     `json:"num_channels"`            // vision
}

// transformers' CLIPTextConfig and CLIPVisionConfig defaults (ViT-B/32).
var (
	hfTextDefaults = hfTower{
		HiddenSize: 512, IntermediateSize: 2048, NumAttentionHeads: 8, NumHiddenLayers: 12,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		MaxPositionEmbeddings: 77, VocabSize: 49408, EOSTokenID: 49407,
	}
	hfVisionDefaults = hfTower{
		HiddenSize: 768, IntermediateSize: 3072, NumAttentionHeads: 12, NumHiddenLayers: 12,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		ImageSize: 224, PatchSize: 32, NumChannels: 3,
	}
)

// hfConfig is the top level of an HF CLIPConfig. The *_dict variants come
// from old transformers versions and override the plain ones, as
// CLIPConfig.__init__ does.
type hfConfig struct {
	ModelType        string          `json:"model_type"`
	ProjectionDim    int             `json:"projection_dim"`
	TextConfig       json.RawMessage `json:"text_config"`
	TextConfigDict   json.RawMessage `json:"text_config_dict"`
	VisionConfig     json.RawMessage `json:"vision_config"`
	VisionConfigDict json.RawMessage `json:"vision_config_dict"`
}

// ParseHFConfig converts a Hugging Face CLIPConfig (config.json) and, if
// not nil, its preprocessor_config.json (image_mean, image_std) into a
// model.Config. Configs the model cannot express are an error saying why:
// another model_type, an MLP width other than 4x, an activation other than
// quick_gelu or exact GELU (the same in both towers), a layer-norm epsilon
// other than 1e-5, or text pooling at a token that is not the highest id.
func ParseHFConfig(config, preprocessor []byte) (model.Config, error) {
	hc := hfConfig{ProjectionDim: 512}
	if err := json.Unmarshal(config, &hc); err != nil {
		return model.Config{}, err
	}
	if hc.ModelType != "" && hc.ModelType != "clip" {
		return model.Config{}, fmt.Errorf("model_type %q is not supported (want \"clip\")", hc.ModelType)
	}
	text, vision := hfTextDefaults, hfVisionDefaults
	for _, part := range []struct {
		name string
		raw  json.RawMessage
		into *hfTower
	}{
		{"text_config", hc.TextConfig, &text}, {"text_config_dict", hc.TextConfigDict, &text},
		{"vision_config", hc.VisionConfig, &vision}, {"vision_config_dict", hc.VisionConfigDict, &vision},
	} {
		if len(part.raw) > 0 {
			if err := json.Unmarshal(part.raw, part.into); err != nil {
				return model.Config{}, fmt.Errorf("%s: %w", part.name, err)
			}
		}
	}
	if err := text.check("text_config", "clip_text_model"); err != nil {
		return model.Config{}, err
	}
	if err := vision.check("vision_config", "clip_vision_model"); err != nil {
		return model.Config{}, err
	}
	if vision.NumChannels != 3 {
		return model.Config{}, fmt.Errorf("vision_config.num_channels %d is not supported (want 3)", vision.NumChannels)
	}
	// transformers pools the text at argmax(input_ids) when eos_token_id is
	// 2 (the original configs), else at the first eos_token_id. The model
	// pools at the argmax, which is the same only if EOS is the highest id.
	if text.EOSTokenID != 2 && text.EOSTokenID != text.VocabSize-1 {
		return model.Config{}, fmt.Errorf("text_config.eos_token_id %d is not supported: the model pools at the highest token id (%d)",
			text.EOSTokenID, text.VocabSize-1)
	}
	if text.HiddenAct != vision.HiddenAct {
		return model.Config{}, fmt.Errorf("hidden_act differs between text (%q) and vision (%q); the model has one activation",
			text.HiddenAct, vision.HiddenAct)
	}
	if vision.HiddenSize%vision.NumAttentionHeads != 0 {
		return model.Config{}, fmt.Errorf("vision_config: hidden_size %d is not divisible by num_attention_heads %d",
			vision.HiddenSize, vision.NumAttentionHeads)
	}
	c := model.Config{
		EmbedDim:  hc.ProjectionDim,
		QuickGELU: text.HiddenAct == "quick_gelu",
		Vision: model.VisionConfig{
			ImageSize: vision.ImageSize,
			Layers:    vision.NumHiddenLayers,
			Width:     vision.HiddenSize,
			PatchSize: vision.PatchSize,
			HeadWidth: vision.HiddenSize / vision.NumAttentionHeads,
		},
		Text: model.TextConfig{
			ContextLength: text.MaxPositionEmbeddings,
			VocabSize:     text.VocabSize,
			Width:         text.HiddenSize,
			Heads:         text.NumAttentionHeads,
			Layers:        text.NumHiddenLayers,
		},
	}
	if preprocessor != nil {
		var pre struct {
			Mean []float32 `json:"image_mean"`
			Std  []float32 `json:"image_std"`
		}
		if err := json.Unmarshal(preprocessor, &pre); err != nil {
			return model.Config{}, fmt.Errorf("%s: %w", hfPreprocessorFile, err)
		}
		if err := setTriple(&c.Vision.Mean, pre.Mean, "image_mean"); err != nil {
			return model.Config{}, err
		}
		if err := setTriple(&c.Vision.Std, pre.Std, "image_std"); err != nil {
			return model.Config{}, err
		}
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// check rejects tower settings the model cannot express.
func (t hfTower) check(name, modelType string) error {
	switch {
	case t.ModelType != "" && t.ModelType != modelType:
		return fmt.Errorf("%s.model_type %q is not supported (want %q)", name, t.ModelType, modelType)
	case t.HiddenSize <= 0 || t.NumAttentionHeads <= 0:
		return fmt.Errorf("%s: hidden_size %d and num_attention_heads %d must be positive", name, t.HiddenSize, t.NumAttentionHeads)
	case t.IntermediateSize != 4*t.HiddenSize:
		return fmt.Errorf("%s.intermediate_size %d is not supported: the model's MLP is 4 x hidden_size = %d",
			name, t.IntermediateSize, 4*t.HiddenSize)
	case t.HiddenAct != "quick_gelu" && t.HiddenAct != "gelu":
		return fmt.Errorf("%s.hidden_act %q is not supported (want quick_gelu or gelu)", name, t.HiddenAct)
	case math.Abs(t.LayerNormEps-1e-5) > 1e-12:
		return fmt.Errorf("%s.layer_norm_eps %g is not supported (the model uses 1e-5)", name, t.LayerNormEps)
	}
	return nil
}

// setTriple copies a 3-channel mean or std if the preprocessor gives one.
func setTriple(dst *[3]float32, v []float32, name string) error {
	switch len(v) {
	case 0:
		return nil
	case 3:
		copy(dst[:], v)
		return nil
	}
	return fmt.Errorf("%s.%s has %d values, want 3", hfPreprocessorFile, name, len(v))
}
