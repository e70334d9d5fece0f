package model

import (
	"github.com/clip-go/clip/internal/compute"
)

// CLIP is the two-tower model bound to one backend.
type CLIP struct {
	Config Config
	be     compute.Backend
}

// New allocates the parameters of cfg on be (uninitialised).
func New(cfg Config, be compute.Backend) (*CLIP, error) { panic("stub") }

// LoadWeights copies every tensor of ParamTable(cfg) from host tensors keyed
// by OpenCLIP name; a missing or mis-shaped tensor is an error naming it.
func (m *CLIP) LoadWeights(t map[string]HostTensor) error { panic("stub") }

// EncodeImages runs the image tower: pixels [n,3,R,R] -> features [n,E]
// (unnormalised, as encode_image).
func (m *CLIP) EncodeImages(pixels []float32, n int) ([]float32, error) { panic("stub") }

// EncodeTexts runs the text tower on token rows of length context_length:
// -> features [n,E] (unnormalised, as encode_text).
func (m *CLIP) EncodeTexts(tokens [][]int32) ([]float32, error) { panic("stub") }

// LogitScale returns exp(logit_scale).
func (m *CLIP) LogitScale() float32 { panic("stub") }
