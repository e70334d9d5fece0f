// Package checkpoint loads CLIP weights in OpenCLIP/OpenAI and HuggingFace
// layouts into OpenCLIP names.
package checkpoint

import "github.com/clip-go/clip/internal/model"

// Checkpoint is a loaded model: its architecture and every tensor of
// model.ParamTable under its OpenCLIP name.
type Checkpoint struct {
	Config       model.Config
	Layout       string // "openclip" or "hf"
	WeightsPath  string
	ConfigSource string // the config file, or "inferred from tensor shapes"
	Tensors      map[string]model.HostTensor
	Dir          string // folder holding the weights (for tokenizer lookup)
}

// Load reads a model folder or a .safetensors file.
func Load(path string) (*Checkpoint, error) { panic("stub") }
