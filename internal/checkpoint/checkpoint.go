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

// Checkpoint is a model's weights file with its architecture. Open reads
// only the header and the config and checks every tensor against
// model.ParamTable(Config); ReadTensor then reads one tensor at a time (a
// Checkpoint is a model.WeightSource), so weights can stream from the file
// into their final memory. Load does the same for every tensor at once and
// keeps them in Tensors.
//
// ReadTensor and Shape may be called from several goroutines at once; Close
// must not run concurrently with them.
type Checkpoint struct {
	Config       model.Config
	Layout       string // LayoutOpenCLIP or LayoutHF
	WeightsPath  string
	ConfigSource string // the config file used, or InferredConfig
	// Tensors holds every tensor of model.ParamTable(Config) under its
	// OpenCLIP name after Load; it is nil after Open.
	Tensors map[string]model.HostTensor
	Dir     string // folder holding the weights (for tokenizer lookup)

	file   *safetensors.File // nil for a Checkpoint not made by Open
	srcs   sources           // exactly the names of the table, validated
	closed bool
}

var _ model.WeightSource = (*Checkpoint)(nil)

// Open opens a model folder or a .safetensors file for reading tensor by
// tensor. The architecture comes from the config file beside the weights
// (open_clip_config.json or HF's config.json, whichever matches the layout
// first) or, failing that, is inferred from the tensor shapes as OpenAI's
// build_model does. Every tensor's name, shape and dtype is checked before
// Open returns, without reading any tensor data, so a wrong checkpoint fails
// here, with one error listing every problem. Close releases the file.
func Open(path string) (*Checkpoint, error) { return OpenWithConfig(path, "") }

// OpenWithConfig is Open with an explicit config file (OpenCLIP or HF
// format, told apart by content); an empty configPath behaves as Open.
func OpenWithConfig(path, configPath string) (*Checkpoint, error) {
	weights, err := findWeights(path)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Open(weights)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := open(f, configPath)
	if err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// open resolves the layout and the architecture of an open weights file and
// validates it against the parameter table, reading only f's header (and
// config files). The Checkpoint takes ownership of f.
func open(f *safetensors.File, configPath string) (*Checkpoint, error) {
	weights := f.Path()
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
	if err := srcs.checkDTypes(f, table); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", weights, err)
	}
	return &Checkpoint{
		Config:       cfg,
		Layout:       layout,
		WeightsPath:  weights,
		ConfigSource: cfgSource,
		Dir:          dir,
		file:         f,
		srcs:         srcs,
	}, nil
}

// Close releases the weights file. Reads after Close fail; closing twice is
// harmless.
func (c *Checkpoint) Close() error {
	if c.closed || c.file == nil {
		return nil
	}
	c.closed = true
	return c.file.Close()
}

// Load reads a model folder or a .safetensors file whole: Open, every
// tensor of the architecture into Tensors, Close. Prefer Open with
// model.CLIP.LoadFrom, which never holds a second copy of the weights.
func Load(path string) (*Checkpoint, error) { return LoadWithConfig(path, "") }

// LoadWithConfig is Load with an explicit config file; an empty configPath
// behaves as Load.
func LoadWithConfig(path, configPath string) (*Checkpoint, error) {
	c, err := OpenWithConfig(path, configPath)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	table := model.ParamTable(c.Config)
	tensors := make(map[string]model.HostTensor, len(table))
	for _, p := range table {
		data := make([]float32, p.Numel())
		if err := c.ReadTensor(p.Name, data); err != nil {
			return nil, err
		}
		tensors[p.Name] = model.HostTensor{Shape: shapeOf(p.Shape), Data: data}
	}
	c.Tensors = tensors
	return c, nil
}
