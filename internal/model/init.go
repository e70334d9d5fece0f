package model

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
)

// InitWeights is the WeightSource of a model trained from scratch: OpenAI's
// CLIP initialisation (clip/model.py initialize_parameters plus PyTorch's
// module defaults for what it leaves alone), which OpenCLIP keeps:
//
//   - token_embedding N(0, 0.02²), text positional_embedding N(0, 0.01²);
//   - text blocks: in_proj N(0, w⁻¹), out_proj and c_proj N(0, w⁻¹·(2L)⁻¹),
//     c_fc N(0, (2w)⁻¹); text_projection N(0, w⁻¹);
//   - image tower: class_embedding, positional_embedding and proj
//     N(0, w⁻¹); conv1 and every nn.Linear weight and bias PyTorch's
//     default U(±1/√fan_in); attention in_proj Xavier-uniform;
//   - attention in/out projection biases 0 (nn.MultiheadAttention's reset),
//     LayerNorm weight 1 and bias 0, logit_scale ln(1/0.07).
//
// Each tensor draws from its own generator seeded by (seed, name), so the
// values do not depend on the order tensors are read in. Only the ViT image
// tower is supported (a ModifiedResNet cannot train yet).
type InitWeights struct {
	cfg   Config
	seed  uint64
	specs map[string]ParamSpec
}

// NewInitWeights returns the initial weights of cfg for seed; a
// ModifiedResNet image tower is an error.
func NewInitWeights(cfg Config, seed uint64) (*InitWeights, error) {
	if cfg.Vision.IsResNet() {
		return nil, fmt.Errorf("init: a ModifiedResNet image tower cannot be trained from scratch yet; start from a ViT config")
	}
	w := &InitWeights{cfg: cfg, seed: seed, specs: map[string]ParamSpec{}}
	for _, s := range ParamTable(cfg) {
		w.specs[s.Name] = s
	}
	return w, nil
}

// Shape returns the named tensor's shape.
func (w *InitWeights) Shape(name string) ([]int, bool) {
	s, ok := w.specs[name]
	return s.Shape, ok
}

// ReadTensor writes the named tensor's initial values into dst.
func (w *InitWeights) ReadTensor(name string, dst []float32) error {
	s, ok := w.specs[name]
	if !ok {
		return fmt.Errorf("init: no tensor %q", name)
	}
	if len(dst) != s.Numel() {
		return fmt.Errorf("init: tensor %q has %d values, not %d", name, s.Numel(), len(dst))
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(w.seed, h.Sum64()))
	kind, v := w.rule(name, s.Shape)
	for i := range dst {
		switch kind {
		case initConst:
			dst[i] = float32(v)
		case initNormal:
			dst[i] = float32(v * rng.NormFloat64())
		case initUniform:
			dst[i] = float32(v * (2*rng.Float64() - 1))
		}
	}
	return nil
}

type initKind int

const (
	initConst   initKind = iota // every value v
	initNormal                  // N(0, v²)
	initUniform                 // U(-v, v)
)

// rule returns how the tensor name of shape is initialised.
func (w *InitWeights) rule(name string, shape []int) (initKind, float64) {
	c := w.cfg
	tw, vw := float64(c.Text.Width), float64(c.Vision.Width)
	base := name[strings.LastIndexByte(name, '.')+1:]
	inBlock := strings.Contains(name, "resblocks.")
	text := !strings.HasPrefix(name, "visual.")
	switch {
	case name == "logit_scale":
		return initConst, math.Log(1 / 0.07)
	case name == "token_embedding.weight":
		return initNormal, 0.02
	case name == "positional_embedding":
		return initNormal, 0.01
	case name == "text_projection":
		return initNormal, math.Pow(tw, -0.5)
	case name == "visual.class_embedding", name == "visual.positional_embedding", name == "visual.proj":
		return initNormal, math.Pow(vw, -0.5)
	case name == "visual.conv1.weight":
		return initUniform, 1 / math.Sqrt(float64(shape[1]*shape[2]*shape[3]))
	case strings.Contains(name, "ln_"):
		if base == "weight" {
			return initConst, 1
		}
		return initConst, 0
	case inBlock && (strings.HasSuffix(name, "attn.in_proj_bias") || strings.HasSuffix(name, "attn.out_proj.bias")):
		return initConst, 0
	case inBlock && text:
		layers := float64(c.Text.Layers)
		proj := math.Pow(tw, -0.5) * math.Pow(2*layers, -0.5)
		switch {
		case strings.HasSuffix(name, "attn.in_proj_weight"):
			return initNormal, math.Pow(tw, -0.5)
		case strings.HasSuffix(name, "attn.out_proj.weight"), strings.HasSuffix(name, "mlp.c_proj.weight"):
			return initNormal, proj
		case strings.HasSuffix(name, "mlp.c_fc.weight"):
			return initNormal, math.Pow(2*tw, -0.5)
		}
	case inBlock && strings.HasSuffix(name, "attn.in_proj_weight"):
		// Xavier-uniform over [3w, w]: fan_in w, fan_out 3w.
		return initUniform, math.Sqrt(6 / (vw + 3*vw))
	}
	if inBlock && len(shape) >= 1 {
		// nn.Linear's default for the weight and bias: U(±1/√fan_in), the
		// fan-in being the weight's second dimension.
		fanIn := c.Vision.Width
		if text {
			fanIn = c.Text.Width
		}
		if strings.HasSuffix(name, "mlp.c_proj.weight") || strings.HasSuffix(name, "mlp.c_proj.bias") {
			fanIn *= 4
		}
		return initUniform, 1 / math.Sqrt(float64(fanIn))
	}
	panic("model: no initialisation rule for " + name)
}
