package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/internal/model"
)

// Config file names looked up beside the weights.
const (
	openCLIPConfigFile = "open_clip_config.json"
	hfConfigFile       = "config.json"
	hfPreprocessorFile = "preprocessor_config.json"
)

// resolveConfig finds the architecture: the explicit file if given, else the
// config file beside the weights (the layout's own format first), else the
// tensor shapes. It returns the config and where it came from.
func resolveConfig(layout, dir, explicit string, shapes map[string][]int) (model.Config, string, error) {
	if explicit != "" {
		c, err := LoadConfigFile(explicit)
		return c, explicit, err
	}
	// A hub repository may hold both formats' files; each config describes the
	// same architecture, so either will do when the layout's own is absent.
	names := []string{openCLIPConfigFile, hfConfigFile}
	if layout == LayoutHF {
		names = []string{hfConfigFile, openCLIPConfigFile}
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			c, err := LoadConfigFile(p)
			return c, p, err
		}
	}
	c, err := InferConfig(shapes)
	return c, InferredConfig, err
}

// LoadConfigFile reads a model config in either format, told apart by its
// keys: an HF CLIPConfig (config.json: text_config, vision_config; with
// image_mean/image_std from preprocessor_config.json beside it) or an
// OpenCLIP model config (embed_dim, vision_cfg, text_cfg; or a hub
// open_clip_config.json wrapping it in model_cfg).
func LoadConfigFile(path string) (model.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return model.Config{}, err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return model.Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; ok {
				return true
			}
		}
		return false
	}
	var c model.Config
	switch {
	case has("model_cfg", "embed_dim", "vision_cfg", "text_cfg"):
		c, err = ParseOpenCLIPConfig(b)
	case has("model_type", "text_config", "vision_config", "text_config_dict", "vision_config_dict"):
		var pre []byte
		pre, err = os.ReadFile(filepath.Join(filepath.Dir(path), hfPreprocessorFile))
		if errors.Is(err, os.ErrNotExist) {
			pre, err = nil, nil
		}
		if err == nil {
			c, err = ParseHFConfig(b, pre)
		}
	default:
		err = errors.New("neither an OpenCLIP model config (embed_dim, vision_cfg, text_cfg) nor a Hugging Face CLIPConfig (model_type, text_config, vision_config)")
	}
	if err != nil {
		return model.Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseOpenCLIPConfig reads an OpenCLIP model config (bare or wrapped in
// model_cfg) strictly: an option the model cannot honour is an error.
func ParseOpenCLIPConfig(b []byte) (model.Config, error) {
	if err := checkOpenCLIPOptions(b); err != nil {
		return model.Config{}, err
	}
	return model.ParseOpenCLIPConfig(b)
}
