// Package model holds the CLIP architecture: its configuration, the parameter
// table that names every tensor, and the layers as forward/backward pairs. It
// computes only through compute.Backend, so every backend runs it unchanged.
package model

import (
	"encoding/json"
	"fmt"
	"os"
)

// OpenAI's normalisation constants (clip/clip.py _transform), used unless a
// checkpoint says otherwise, as float32 the way torch.as_tensor(mean,
// dtype=float32) rounds them.
var (
	OpenAIMean = float32x3(0.48145466, 0.4578275, 0.40821073)
	OpenAIStd  = float32x3(0.26862954, 0.26130258, 0.27577711)
)

// float32x3 rounds Python floats (float64) to float32 at run time, so the
// rounding goes decimal -> float64 -> float32 as in Python, not decimal ->
// float32 as a Go constant conversion would.
func float32x3(a, b, c float64) [3]float32 {
	return [3]float32{float32(a), float32(b), float32(c)}
}

// Config describes one CLIP architecture. Field names follow OpenCLIP's model
// config (open_clip_config.json "model_cfg"), so a config file maps onto it
// one to one.
type Config struct {
	EmbedDim  int          `json:"embed_dim"`
	QuickGELU bool         `json:"quick_gelu"`
	Vision    VisionConfig `json:"vision_cfg"`
	Text      TextConfig   `json:"text_cfg"`
}

// VisionConfig is the image tower. A ViT has Layers > 0 and PatchSize > 0; a
// ModifiedResNet has ResNetLayers (four stage depths) and no patch size.
type VisionConfig struct {
	ImageSize    int        `json:"image_size"`
	Layers       int        `json:"-"` // ViT depth; see UnmarshalJSON
	ResNetLayers []int      `json:"-"` // ModifiedResNet stage depths
	Width        int        `json:"width"`
	PatchSize    int        `json:"patch_size,omitempty"`
	HeadWidth    int        `json:"head_width"`
	Mean         [3]float32 `json:"-"` // normalisation for preprocessing
	Std          [3]float32 `json:"-"`
}

// TextConfig is the causal text transformer.
type TextConfig struct {
	ContextLength int `json:"context_length"`
	VocabSize     int `json:"vocab_size"`
	Width         int `json:"width"`
	Heads         int `json:"heads"`
	Layers        int `json:"layers"`
}

// IsResNet reports whether the image tower is a ModifiedResNet.
func (v VisionConfig) IsResNet() bool { return len(v.ResNetLayers) > 0 }

// Heads is the number of attention heads of the image tower: width/head_width
// for a ViT, and 32*width/head_width for the ModifiedResNet attention pool
// (OpenAI: vision_width*32 // 64).
func (v VisionConfig) Heads() int {
	hw := v.HeadWidth
	if hw == 0 {
		hw = 64
	}
	if v.IsResNet() {
		return v.Width * 32 / hw
	}
	return v.Width / hw
}

// Grid is the number of patches per side of a ViT.
func (v VisionConfig) Grid() int { return v.ImageSize / v.PatchSize }

// UnmarshalJSON accepts OpenCLIP's "layers", which is an int for a ViT and a
// list of four ints for a ModifiedResNet.
func (v *VisionConfig) UnmarshalJSON(b []byte) error {
	type plain VisionConfig
	var aux struct {
		plain
		Layers json.RawMessage `json:"layers"`
		Mean   []float32       `json:"image_mean"`
		Std    []float32       `json:"image_std"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*v = VisionConfig(aux.plain)
	if len(aux.Layers) > 0 {
		if aux.Layers[0] == '[' {
			if err := json.Unmarshal(aux.Layers, &v.ResNetLayers); err != nil {
				return fmt.Errorf("vision_cfg.layers: %w", err)
			}
		} else if err := json.Unmarshal(aux.Layers, &v.Layers); err != nil {
			return fmt.Errorf("vision_cfg.layers: %w", err)
		}
	}
	if len(aux.Mean) == 3 {
		copy(v.Mean[:], aux.Mean)
	}
	if len(aux.Std) == 3 {
		copy(v.Std[:], aux.Std)
	}
	return nil
}

// MarshalJSON writes the OpenCLIP form back (layers as int or list).
func (v VisionConfig) MarshalJSON() ([]byte, error) {
	type plain VisionConfig
	var layers any = v.Layers
	if v.IsResNet() {
		layers = v.ResNetLayers
	}
	return json.Marshal(struct {
		plain
		Layers any        `json:"layers"`
		Mean   [3]float32 `json:"image_mean"`
		Std    [3]float32 `json:"image_std"`
	}{plain(v), layers, v.Mean, v.Std})
}

// WithDefaults fills the fields OpenCLIP leaves implicit: head width 64,
// context 77, vocabulary 49408 and OpenAI's mean/std.
func (c Config) WithDefaults() Config {
	if c.Vision.HeadWidth == 0 {
		c.Vision.HeadWidth = 64
	}
	if c.Text.ContextLength == 0 {
		c.Text.ContextLength = 77
	}
	if c.Text.VocabSize == 0 {
		c.Text.VocabSize = 49408
	}
	if c.Vision.Mean == ([3]float32{}) {
		c.Vision.Mean = OpenAIMean
	}
	if c.Vision.Std == ([3]float32{}) {
		c.Vision.Std = OpenAIStd
	}
	return c
}

// Validate checks that the architecture is one this package can build.
func (c Config) Validate() error {
	v, t := c.Vision, c.Text
	switch {
	case c.EmbedDim <= 0:
		return fmt.Errorf("embed_dim must be positive, got %d", c.EmbedDim)
	case v.ImageSize <= 0 || v.Width <= 0:
		return fmt.Errorf("vision_cfg: image_size and width must be positive, got %d and %d", v.ImageSize, v.Width)
	case v.HeadWidth <= 0:
		return fmt.Errorf("vision_cfg.head_width must be positive, got %d", v.HeadWidth)
	case t.Width <= 0 || t.Heads <= 0 || t.Layers <= 0 || t.ContextLength <= 0 || t.VocabSize <= 0:
		return fmt.Errorf("text_cfg: width, heads, layers, context_length and vocab_size must be positive, got %+v", t)
	case t.Width%t.Heads != 0:
		return fmt.Errorf("text_cfg: width %d is not divisible by heads %d", t.Width, t.Heads)
	}
	if v.IsResNet() {
		if len(v.ResNetLayers) != 4 {
			return fmt.Errorf("vision_cfg.layers: a ModifiedResNet needs 4 stage depths, got %v", v.ResNetLayers)
		}
		if v.ImageSize%32 != 0 {
			return fmt.Errorf("vision_cfg.image_size %d must be a multiple of 32 for a ModifiedResNet", v.ImageSize)
		}
		if (v.Width*32)%v.HeadWidth != 0 {
			return fmt.Errorf("vision_cfg: attention-pool width %d is not divisible by head_width %d", v.Width*32, v.HeadWidth)
		}
		return nil
	}
	switch {
	case v.Layers <= 0:
		return fmt.Errorf("vision_cfg.layers must be positive, got %d", v.Layers)
	case v.PatchSize <= 0 || v.ImageSize%v.PatchSize != 0:
		return fmt.Errorf("vision_cfg: image_size %d must be a positive multiple of patch_size %d", v.ImageSize, v.PatchSize)
	case v.Width%v.HeadWidth != 0:
		return fmt.Errorf("vision_cfg: width %d is not divisible by head_width %d", v.Width, v.HeadWidth)
	}
	return nil
}

// ParseOpenCLIPConfig reads an OpenCLIP model config: either the bare model
// config ({"embed_dim":..., "vision_cfg":..., "text_cfg":...}) or the
// open_clip_config.json of a hub repo ({"model_cfg": {...},
// "preprocess_cfg": {"mean":..., "std":...}}).
func ParseOpenCLIPConfig(b []byte) (Config, error) {
	var wrapped struct {
		ModelCfg      json.RawMessage `json:"model_cfg"`
		PreprocessCfg struct {
			Mean []float32 `json:"mean"`
			Std  []float32 `json:"std"`
		} `json:"preprocess_cfg"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return Config{}, err
	}
	body := b
	if len(wrapped.ModelCfg) > 0 {
		body = wrapped.ModelCfg
	}
	var c Config
	if err := json.Unmarshal(body, &c); err != nil {
		return Config{}, err
	}
	if len(wrapped.PreprocessCfg.Mean) == 3 {
		copy(c.Vision.Mean[:], wrapped.PreprocessCfg.Mean)
	}
	if len(wrapped.PreprocessCfg.Std) == 3 {
		copy(c.Vision.Std[:], wrapped.PreprocessCfg.Std)
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// LoadOpenCLIPConfig reads and parses an OpenCLIP config file.
func LoadOpenCLIPConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseOpenCLIPConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
