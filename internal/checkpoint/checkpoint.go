// Package checkpoint loads CLIP weights stored as safetensors, in the
// OpenCLIP/OpenAI layout or Hugging Face's CLIPModel layout, into the
// OpenCLIP state-dict names of model.ParamTable.
//
// Loading is strict, as OpenCLIP's load_state_dict is: every tensor of the
// architecture must be present with its exact shape, and a tensor the
// architecture does not have is an error naming it. Only derived buffers
// (BatchNorm's num_batches_tracked, position_ids, attention masks and the
// metadata scalars of OpenAI's JIT archives) are skipped.
package checkpoint

import (
	"fmt"
	"path/filepath"

	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// Layouts of the tensor names in a weights file.
const (
	LayoutOpenCLIP = "openclip" // visual.*, transformer.*, token_embedding.weight, ...
	LayoutHF       = "hf"       // text_model.*, vision_model.*, visual_projection.weight, ...
)

// InferredConfig is Checkpoint.ConfigSource when no config file was found
// and the architecture was read off the tensor shapes.
const InferredConfig = "inferred from tensor shapes"

// Checkpoint is a loaded model: its architecture and every tensor of
// model.ParamTable under its OpenCLIP name.
type Checkpoint struct {
	Config       model.Config
	Layout       string // LayoutOpenCLIP or LayoutHF
	WeightsPath  string
	ConfigSource string // the config file used, or InferredConfig
	Tensors      map[string]model.HostTensor
	Dir          string // folder holding the weights (for tokenizer lookup)
}

// Load reads a model folder or a .safetensors file. The architecture comes
// from the config file beside the weights (open_clip_config.json or HF's
// config.json, whichever matches the layout first) or, failing that, is
// inferred from the tensor shapes as OpenAI's build_model does.
func Load(path string) (*Checkpoint, error) { return LoadWithConfig(path, "") }

// LoadWithConfig is Load with an explicit config file (OpenCLIP or HF
// format, told apart by content); an empty configPath behaves as Load.
func LoadWithConfig(path, configPath string) (*Checkpoint, error) {
	weights, err := findWeights(path)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Open(weights)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()

	srcs, layout, err := mapTensors(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", weights, err)
	}
	dir := filepath.Dir(weights)
	cfg, cfgSource, err := resolveConfig(layout, dir, configPath, srcs.shapes())
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", weights, err)
	}
	table := model.ParamTable(cfg)
	if err := srcs.check(table); err != nil {
		return nil, fmt.Errorf("checkpoint %s does not match the architecture (config %s): %w", weights, cfgSource, err)
	}
	tensors, err := srcs.read(f, table)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return &Checkpoint{
		Config:       cfg,
		Layout:       layout,
		WeightsPath:  weights,
		ConfigSource: cfgSource,
		Tensors:      tensors,
		Dir:          dir,
	}, nil
}
