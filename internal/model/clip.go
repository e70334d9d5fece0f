package model

import (
	"fmt"
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// ImageTower is either image encoder: pixels[B,3,R,R] -> features[B,E].
type ImageTower interface {
	Forward(c *Ctx, pixels compute.Tensor) compute.Tensor
}

// CLIP is the two-tower model bound to one backend.
type CLIP struct {
	Config Config
	Params *Params
	Image  ImageTower
	Text   *TextTransformer
	// Grads are the parameter gradients (same table, own arena), nil until
	// NewGrads or ForwardTrain.
	Grads *Params

	train       *trainState
	be          compute.Backend
	activations compute.Arena // reset at the start of every encode call
}

// Activation returns the MLP activation of the config.
func (c Config) Activation() compute.Activation {
	if c.QuickGELU {
		return compute.ActQuickGELU
	}
	return compute.ActGELU
}

// New allocates the parameters of cfg on be; their values are undefined
// until LoadWeights or LoadFrom.
func New(cfg Config, be compute.Backend) (*CLIP, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	p := NewParams(be.NewArena(), ParamTable(cfg))
	m := &CLIP{Config: cfg, Params: p, be: be, activations: be.NewArena()}
	act := cfg.Activation()
	if cfg.Vision.IsResNet() {
		m.Image = newModifiedResNet(p, cfg)
	} else {
		m.Image = newVisionTransformer(p, cfg, act)
	}
	m.Text = newTextTransformer(p, cfg, act)
	return m, nil
}

// Backend is the device the model runs on.
func (m *CLIP) Backend() compute.Backend { return m.be }

// LoadWeights copies every tensor of ParamTable(cfg) from host tensors keyed
// by OpenCLIP name; a missing or mis-shaped tensor is an error naming it.
func (m *CLIP) LoadWeights(t map[string]HostTensor) error {
	return m.LoadFrom(HostTensors(t))
}

// EncodeImages runs the image tower: pixels [n,3,R,R] -> features [n,E]
// (unnormalised, as encode_image).
func (m *CLIP) EncodeImages(pixels []float32, n int) ([]float32, error) {
	r := m.Config.Vision.ImageSize
	if n <= 0 || len(pixels) != n*3*r*r {
		return nil, fmt.Errorf("encode images: %d values for %d images of 3x%dx%d", len(pixels), n, r, r)
	}
	a := m.activations
	a.Reset()
	x := a.Alloc(n, 3, r, r)
	m.be.Upload(x, pixels)
	return m.download(m.Image.Forward(&Ctx{Be: m.be, A: a}, x))
}

// EncodeTexts runs the text tower on token rows of the context length:
// -> features [n,E] (unnormalised, as encode_text).
func (m *CLIP) EncodeTexts(tokens [][]int32) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("encode texts: no texts")
	}
	a := m.activations
	a.Reset()
	y, err := m.Text.Forward(&Ctx{Be: m.be, A: a}, tokens)
	if err != nil {
		return nil, fmt.Errorf("encode texts: %w", err)
	}
	return m.download(y)
}

func (m *CLIP) download(t compute.Tensor) ([]float32, error) {
	out := make([]float32, t.Numel())
	m.be.Download(out, t)
	if err := m.be.Sync(); err != nil {
		return nil, err
	}
	return out, nil
}

// LogitScale returns exp(logit_scale), the temperature applied to cosine
// similarities (100 for released models).
func (m *CLIP) LogitScale() float32 {
	v := make([]float32, 1)
	m.be.Download(v, m.Params.Get("logit_scale"))
	return float32(math.Exp(float64(v[0])))
}
