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

// VisionSaved is what VisionTransformer.Backward needs from a training
// forward.
type VisionSaved struct {
	Pixels      compute.Tensor // [B,3,R,R]
	LNPre       LayerNormSaved
	Transformer TransformerSaved
	x           compute.Tensor // transformer output [B,1+P,C]
	LNPost      LayerNormSaved
	post        compute.Tensor // ln_post(class token) [B,C]
}

// Forward encodes pixels[B,3,R,R] into features[B,E].
func (m *VisionTransformer) Forward(c *Ctx, pixels compute.Tensor) compute.Tensor {
	return m.ForwardSave(c, pixels, nil)
}

// ForwardSave is Forward that records in s (when not nil) what Backward
// needs.
func (m *VisionTransformer) ForwardSave(c *Ctx, pixels compute.Tensor, s *VisionSaved) compute.Tensor {
	var lnPre, lnPost *LayerNormSaved
	var tr *TransformerSaved
	if s != nil {
		s.Pixels = pixels
		lnPre, lnPost, tr = &s.LNPre, &s.LNPost, &s.Transformer
	}
	bs := pixels.Shape[0]
	patches := c.A.Alloc(bs, m.patches, m.width)
	c.Be.PatchEmbedForward(patches, pixels, m.Conv1, m.Patch)
	x := c.A.Alloc(bs, m.patches+1, m.width)
	c.Be.TokensAssembleForward(x, patches, m.Class, m.Pos)
	x = m.LNPre.ForwardSave(c, x, lnPre)
	x = m.Transformer.ForwardSave(c, x, tr)
	cls := c.A.Alloc(bs, m.width)
	c.Be.GatherRowsForward(cls, x, make([]int, bs))
	post := m.LNPost.ForwardSave(c, cls, lnPost)
	if s != nil {
		s.x, s.post = x, post
	}
	return project(c, post, m.Proj)
}

// Backward back-propagates dOut[B,E] through the tower, accumulating the
// parameter gradients into g (the same tower built over the gradients).
func (m *VisionTransformer) Backward(c *Ctx, g *VisionTransformer, s *VisionSaved, dOut compute.Tensor) {
	ops := c.trainOps()
	bs := dOut.Shape[0]
	dCls := m.LNPost.Backward(c, g.LNPost, &s.LNPost, projectBackward(c, g.Proj, dOut, s.post, m.Proj))
	dx := c.A.Alloc(s.x.Shape...)
	ops.GatherRowsBackward(dx, dCls, make([]int, bs))
	dx = m.Transformer.Backward(c, g.Transformer, &s.Transformer, dx)
	dx = m.LNPre.Backward(c, g.LNPre, &s.LNPre, dx)
	dPatches := c.A.Alloc(bs, m.patches, m.width)
	ops.TokensAssembleBackward(dPatches, g.Class, g.Pos, dx)
	ops.PatchEmbedBackward(g.Conv1, dPatches, s.Pixels, m.Patch)
}
