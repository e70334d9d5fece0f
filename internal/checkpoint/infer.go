package checkpoint

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/clip-go/clip/internal/model"
)

// ErrHeadsUnknown is wrapped by InferConfig's error when a tower's width is
// not a multiple of 64: attention weights have the same shapes for every
// head count, so only OpenAI's 64-wide-head convention can name it.
var ErrHeadsUnknown = errors.New("number of attention heads cannot be inferred from tensor shapes")

// InferConfig reads the architecture off the shapes of a state dict in
// OpenCLIP names, following OpenAI's build_model: a ViT if there is no
// visual.layer1 (then width and patch size from conv1, image size from the
// positional embedding's grid, depth from the resblock count), a
// ModifiedResNet otherwise (stage depths from the block indices, width from
// layer1.0.conv1, image size 32 x the attention pool's grid); text width,
// context length, vocabulary and depth from their tensors; heads of width
// 64 everywhere; QuickGELU and OpenAI's normalisation, as in OpenAI's
// checkpoints.
//
// If every field but a head count can be inferred, the returned Config holds
// them and the error wraps ErrHeadsUnknown.
func InferConfig(shapes map[string][]int) (model.Config, error) {
	need := func(name string, dims int) ([]int, error) {
		s, ok := shapes[name]
		if !ok {
			return nil, fmt.Errorf("cannot infer the architecture: tensor %s is missing", name)
		}
		if len(s) != dims {
			return nil, fmt.Errorf("cannot infer the architecture: tensor %s has shape %v, want %d dimensions", name, s, dims)
		}
		return s, nil
	}
	c := model.Config{QuickGELU: true}
	c.Vision.HeadWidth = 64

	tp, err := need("text_projection", 2)
	if err != nil {
		return model.Config{}, err
	}
	pe, err := need("positional_embedding", 2)
	if err != nil {
		return model.Config{}, err
	}
	te, err := need("token_embedding.weight", 2)
	if err != nil {
		return model.Config{}, err
	}
	lf, err := need("ln_final.weight", 1)
	if err != nil {
		return model.Config{}, err
	}
	c.EmbedDim = tp[1]
	c.Text = model.TextConfig{
		ContextLength: pe[0],
		VocabSize:     te[0],
		Width:         lf[0],
		Heads:         lf[0] / 64,
		Layers:        countIndices(shapes, "transformer.resblocks."),
	}

	if countIndices(shapes, "visual.layer1.") > 0 {
		for i := range 4 {
			c.Vision.ResNetLayers = append(c.Vision.ResNetLayers, countIndices(shapes, fmt.Sprintf("visual.layer%d.", i+1)))
		}
		conv, err := need("visual.layer1.0.conv1.weight", 4)
		if err != nil {
			return model.Config{}, err
		}
		ap, err := need("visual.attnpool.positional_embedding", 2)
		if err != nil {
			return model.Config{}, err
		}
		g, err := grid("visual.attnpool.positional_embedding", ap[0])
		if err != nil {
			return model.Config{}, err
		}
		c.Vision.Width = conv[0]
		c.Vision.ImageSize = 32 * g
	} else {
		conv, err := need("visual.conv1.weight", 4)
		if err != nil {
			return model.Config{}, err
		}
		if conv[2] != conv[3] {
			return model.Config{}, fmt.Errorf("cannot infer the architecture: visual.conv1.weight %v has a non-square kernel", conv)
		}
		vp, err := need("visual.positional_embedding", 2)
		if err != nil {
			return model.Config{}, err
		}
		g, err := grid("visual.positional_embedding", vp[0])
		if err != nil {
			return model.Config{}, err
		}
		c.Vision.Width = conv[0]
		c.Vision.PatchSize = conv[3]
		c.Vision.ImageSize = g * conv[3]
		c.Vision.Layers = countIndices(shapes, "visual.transformer.resblocks.")
	}
	c = c.WithDefaults()

	var unknown []string
	if c.Text.Width%64 != 0 {
		c.Text.Heads = 0
		unknown = append(unknown, fmt.Sprintf("text width %d", c.Text.Width))
	}
	if !c.Vision.IsResNet() && c.Vision.Width%64 != 0 {
		unknown = append(unknown, fmt.Sprintf("vision width %d", c.Vision.Width))
	}
	if len(unknown) > 0 {
		return c, fmt.Errorf("%w: %s not a multiple of OpenAI's head width 64; put an %s or %s beside the weights",
			ErrHeadsUnknown, strings.Join(unknown, " and "), openCLIPConfigFile, hfConfigFile)
	}
	return c, c.Validate()
}

// grid returns g for a positional embedding of g*g+1 rows (a class token
// plus a square grid).
func grid(name string, rows int) (int, error) {
	g := int(math.Round(math.Sqrt(float64(rows - 1))))
	if rows < 2 || g*g+1 != rows {
		return 0, fmt.Errorf("cannot infer the architecture: %s has %d rows, not a square grid plus one", name, rows)
	}
	return g, nil
}

// countIndices counts the distinct block indices after prefix (as in
// "transformer.resblocks.<i>."). Gaps in the numbering are left for the
// shape check to report as missing tensors.
func countIndices(shapes map[string][]int, prefix string) int {
	seen := map[string]bool{}
	for name := range shapes {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if idx, _, ok := strings.Cut(rest, "."); ok && isIndex(idx) {
				seen[idx] = true
			}
		}
	}
	return len(seen)
}
