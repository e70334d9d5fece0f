package model

import "github.com/clip-go/clip/internal/compute"

// VisionTransformer is OpenAI's ViT image tower:
// pixels[B,3,R,R] -> features[B,E].
//
//	conv1 (patch p, stride p, no bias) -> [B,P,C], P = (R/p)²
//	prepend class_embedding, add positional_embedding -> [B,1+P,C]
//	ln_pre, transformer, ln_post on token 0, @ proj [C,E]
type VisionTransformer struct {
	Patch          int
	Conv1          compute.Tensor // [C,3,p,p]
	Class          compute.Tensor // [C]
	Pos            compute.Tensor // [1+P,C]
	LNPre, LNPost  LayerNorm
	Transformer    Transformer
	Proj           compute.Tensor // [C,E]
	width, patches int
}

func newVisionTransformer(p *Params, c Config, act compute.Activation) *VisionTransformer {
	v := c.Vision
	const pre = "visual."
	return &VisionTransformer{
		Patch:       v.PatchSize,
		Conv1:       p.Get(pre + "conv1.weight"),
		Class:       p.Get(pre + "class_embedding"),
		Pos:         p.Get(pre + "positional_embedding"),
		LNPre:       newLayerNorm(p, pre+"ln_pre"),
		LNPost:      newLayerNorm(p, pre+"ln_post"),
		Transformer: newTransformer(p, pre+"transformer.", v.Width, v.Heads(), v.Layers, false, act),
		Proj:        p.Get(pre + "proj"),
		width:       v.Width,
		patches:     v.Grid() * v.Grid(),
	}
}

// Forward encodes pixels[B,3,R,R] into features[B,E].
func (m *VisionTransformer) Forward(c *Ctx, pixels compute.Tensor) compute.Tensor {
	bs := pixels.Shape[0]
	patches := c.A.Alloc(bs, m.patches, m.width)
	c.Be.PatchEmbedForward(patches, pixels, m.Conv1, m.Patch)
	x := c.A.Alloc(bs, m.patches+1, m.width)
	c.Be.TokensAssembleForward(x, patches, m.Class, m.Pos)
	x = m.LNPre.Forward(c, x)
	x = m.Transformer.Forward(c, x)
	cls := c.A.Alloc(bs, m.width)
	c.Be.GatherRowsForward(cls, x, make([]int, bs))
	return project(c, m.LNPost.Forward(c, cls), m.Proj)
}
