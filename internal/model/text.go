package model

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
)

// TextTransformer is OpenAI's causal text tower: tokens[B,L] -> [B,E].
//
//	token_embedding[V,C] lookup + positional_embedding[L,C]
//	transformer with a causal mask, ln_final
//	pool at the end-of-text position (argmax of the ids), @ text_projection
type TextTransformer struct {
	TokenEmbedding compute.Tensor // [V,C]
	Pos            compute.Tensor // [L,C]
	Transformer    Transformer
	LNFinal        LayerNorm
	Proj           compute.Tensor // [C,E]
	width, context int
}

func newTextTransformer(p *Params, c Config, act compute.Activation) *TextTransformer {
	t := c.Text
	return &TextTransformer{
		TokenEmbedding: p.Get("token_embedding.weight"),
		Pos:            p.Get("positional_embedding"),
		Transformer:    newTransformer(p, "transformer.", t.Width, t.Heads, t.Layers, true, act),
		LNFinal:        newLayerNorm(p, "ln_final"),
		Proj:           p.Get("text_projection"),
		width:          t.Width,
		context:        t.ContextLength,
	}
}

// PoolPositions returns, per row, the position OpenAI pools at:
// argmax(tokens) — the first end-of-text token, since 49407 is the largest
// id. An empty row pools at 0.
func PoolPositions(tokens [][]int32) []int {
	pos := make([]int, len(tokens))
	for i, row := range tokens {
		best := 0
		for j, id := range row {
			if id > row[best] {
				best = j
			}
		}
		pos[i] = best
	}
	return pos
}

// TextSaved is what TextTransformer.Backward needs from a training forward.
type TextSaved struct {
	ids         []int32 // [B·t] the ids run, t = last pooled position + 1
	pool        []int
	Transformer TransformerSaved
	LNFinal     LayerNormSaved
	x           compute.Tensor // ln_final output [B,t,C]
	pooled      compute.Tensor // [B,C]
}

// Forward encodes token rows (each of the context length) into [B,E].
// Because of the causal mask no position attends to a later one, so the
// tower runs only up to the last pooled position of the batch; the result
// is identical to running all L positions.
func (m *TextTransformer) Forward(c *Ctx, tokens [][]int32) (compute.Tensor, error) {
	return m.ForwardSave(c, tokens, nil)
}

// ForwardSave is Forward that records in s (when not nil) what Backward
// needs. Positions after the last pooled one are not run, so their
// positional-embedding gradient is zero, which is exact.
func (m *TextTransformer) ForwardSave(c *Ctx, tokens [][]int32, s *TextSaved) (compute.Tensor, error) {
	bs := len(tokens)
	pool := PoolPositions(tokens)
	t := 1
	for i, row := range tokens {
		if len(row) != m.context {
			return compute.Tensor{}, fmt.Errorf("text %d has %d tokens, the model's context length is %d", i, len(row), m.context)
		}
		t = max(t, pool[i]+1)
	}
	vocab := m.TokenEmbedding.Shape[0]
	ids := make([]int32, 0, bs*t)
	for i, row := range tokens {
		for _, id := range row[:t] {
			if id < 0 || int(id) >= vocab {
				return compute.Tensor{}, fmt.Errorf("text %d: token id %d outside the vocabulary of %d", i, id, vocab)
			}
		}
		ids = append(ids, row[:t]...)
	}
	var tr *TransformerSaved
	var lnFinal *LayerNormSaved
	if s != nil {
		s.ids, s.pool = ids, pool
		tr, lnFinal = &s.Transformer, &s.LNFinal
	}
	x := c.A.Alloc(bs, t, m.width)
	c.Be.EmbeddingForward(x, ids, m.TokenEmbedding, m.Pos)
	x = m.Transformer.ForwardSave(c, x, tr)
	x = m.LNFinal.ForwardSave(c, x, lnFinal)
	pooled := c.A.Alloc(bs, m.width)
	c.Be.GatherRowsForward(pooled, x, pool)
	if s != nil {
		s.x, s.pooled = x, pooled
	}
	return project(c, pooled, m.Proj), nil
}

// Backward back-propagates dOut[B,E] through the tower, accumulating the
// parameter gradients into g (the same tower built over the gradients).
func (m *TextTransformer) Backward(c *Ctx, g *TextTransformer, s *TextSaved, dOut compute.Tensor) {
	ops := c.trainOps()
	dPooled := projectBackward(c, g.Proj, dOut, s.pooled, m.Proj)
	dx := c.A.Alloc(s.x.Shape...)
	ops.GatherRowsBackward(dx, dPooled, s.pool)
	dx = m.LNFinal.Backward(c, g.LNFinal, &s.LNFinal, dx)
	dx = m.Transformer.Backward(c, g.Transformer, &s.Transformer, dx)
	ops.EmbeddingBackward(g.TokenEmbedding, g.Pos, dx, s.ids)
}
