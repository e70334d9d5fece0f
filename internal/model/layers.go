package model

import "github.com/clip-go/clip/internal/compute"

// layerNormEps is OpenAI's LayerNorm epsilon.
const layerNormEps = 1e-5

// LayerNorm normalises the last dimension: x[N..,C] -> out[N..,C].
type LayerNorm struct {
	W, B compute.Tensor // [C]
}

// LayerNormSaved is what LayerNorm.Backward needs from a training forward.
type LayerNormSaved struct{ X, Mean, Rstd compute.Tensor }

func newLayerNorm(p *Params, name string) LayerNorm {
	return LayerNorm{W: p.Get(name + ".weight"), B: p.Get(name + ".bias")}
}

// Forward normalises x; mean and rstd of each row are allocated alongside.
func (l LayerNorm) Forward(c *Ctx, x compute.Tensor) compute.Tensor { return l.ForwardSave(c, x, nil) }

// ForwardSave is Forward that records in s (when not nil) what Backward needs.
func (l LayerNorm) ForwardSave(c *Ctx, x compute.Tensor, s *LayerNormSaved) compute.Tensor {
	rows := x.Numel() / x.Dim(-1)
	out := c.A.Alloc(x.Shape...)
	mean, rstd := c.A.Alloc(rows), c.A.Alloc(rows)
	c.Be.LayerNormForward(out, mean, rstd, x, l.W, l.B, layerNormEps)
	if s != nil {
		*s = LayerNormSaved{X: x, Mean: mean, Rstd: rstd}
	}
	return out
}

// Backward returns dx for dOut[N..,C] and accumulates dW, dB into g.
func (l LayerNorm) Backward(c *Ctx, g LayerNorm, s *LayerNormSaved, dOut compute.Tensor) compute.Tensor {
	dx := c.A.Alloc(s.X.Shape...)
	cols := s.X.Dim(-1)
	rows := s.X.Numel() / cols
	c.trainOps().LayerNormBackward(dx.Reshape(rows, cols), g.W, g.B, dOut.Reshape(rows, cols), s.X.Reshape(rows, cols), s.Mean, s.Rstd, l.W)
	return dx
}

// Linear is y = x·Wᵀ + b with W in PyTorch's [out, in] layout:
// x[N..,in] -> y[N..,out]. B may be nil.
type Linear struct {
	W, B compute.Tensor
	Act  compute.Activation // fused after the bias
}

// LinearSaved is what Linear.Backward needs: the input and, with an
// activation, the pre-activation.
type LinearSaved struct{ X, Pre compute.Tensor }

// Forward applies the layer to x, flattening all leading dimensions.
func (l Linear) Forward(c *Ctx, x compute.Tensor) compute.Tensor { return l.ForwardSave(c, x, nil) }

// ForwardSave is Forward that records in s (when not nil) what Backward
// needs. In training the activation is not fused, so that the
// pre-activation is kept for ActivationBackward.
func (l Linear) ForwardSave(c *Ctx, x compute.Tensor, s *LinearSaved) compute.Tensor {
	in, outDim := x.Dim(-1), l.W.Shape[0]
	rows := x.Numel() / in
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), outDim)
	out := c.A.Alloc(shape...)
	if s == nil || l.Act == compute.ActNone {
		c.Be.MatMulForward(out.Reshape(rows, outDim), x.Reshape(rows, in), l.W, l.B, true, l.Act)
		if s != nil {
			*s = LinearSaved{X: x}
		}
		return out
	}
	pre := c.A.Alloc(shape...)
	c.Be.MatMulForward(pre.Reshape(rows, outDim), x.Reshape(rows, in), l.W, l.B, true, compute.ActNone)
	c.Be.ActivationForward(out, pre, l.Act)
	*s = LinearSaved{X: x, Pre: pre}
	return out
}

// Backward returns dx for dOut[N..,out] and accumulates dW, dB into g.
func (l Linear) Backward(c *Ctx, g Linear, s *LinearSaved, dOut compute.Tensor) compute.Tensor {
	ops := c.trainOps()
	in, outDim := s.X.Dim(-1), l.W.Shape[0]
	rows := s.X.Numel() / in
	if l.Act != compute.ActNone {
		dPre := c.A.Alloc(dOut.Shape...)
		ops.ActivationBackward(dPre, dOut, s.Pre, l.Act)
		dOut = dPre
	}
	dx := c.A.Alloc(s.X.Shape...)
	ops.MatMulBackward(dx.Reshape(rows, in), g.W, g.B, dOut.Reshape(rows, outDim), s.X.Reshape(rows, in), l.W, true)
	return dx
}

// project computes x[N,in] @ w[in,out] (OpenAI's proj/text_projection
// layout, no bias): -> [N,out].
func project(c *Ctx, x, w compute.Tensor) compute.Tensor {
	out := c.A.Alloc(x.Shape[0], w.Shape[1])
	c.Be.MatMulForward(out, x, w, compute.Tensor{}, false, compute.ActNone)
	return out
}

// projectBackward is project's backward: returns dx, accumulates dw.
func projectBackward(c *Ctx, dw, dOut, x, w compute.Tensor) compute.Tensor {
	dx := c.A.Alloc(x.Shape...)
	c.trainOps().MatMulBackward(dx, dw, compute.Tensor{}, dOut, x, w, false)
	return dx
}

// MultiHeadAttention is nn.MultiheadAttention with OpenAI's fused in_proj:
// x[B,T,C] -> out[B,T,C], H heads of width C/H.
type MultiHeadAttention struct {
	Q, K, V, Out Linear
	Heads        int
	Causal       bool
}

// AttentionSaved is what MultiHeadAttention.Backward needs.
type AttentionSaved struct {
	Q, K, V, Out     LinearSaved
	q, k, v, y, prob compute.Tensor
}

// newAttention splits in_proj_weight [3C,C] and in_proj_bias [3C] into q, k
// and v views (rows 0..C, C..2C, 2C..3C), as nn.MultiheadAttention does.
func newAttention(p *Params, prefix string, width, heads int, causal bool) MultiHeadAttention {
	w := p.Get(prefix + "in_proj_weight")
	b := p.Get(prefix + "in_proj_bias")
	part := func(i int) Linear {
		return Linear{W: w.Slice(i*width, (i+1)*width), B: b.Slice(i*width, (i+1)*width)}
	}
	return MultiHeadAttention{
		Q: part(0), K: part(1), V: part(2),
		Out:   Linear{W: p.Get(prefix + "out_proj.weight"), B: p.Get(prefix + "out_proj.bias")},
		Heads: heads, Causal: causal,
	}
}

// Forward is self-attention over x.
func (m MultiHeadAttention) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	return m.attend(c, x, x, nil)
}

// attend computes attention of queries from xq[B,Tq,C] over keys and values
// from xkv[B,Tk,C]: -> [B,Tq,C]. s, when not nil, records what the
// backward needs.
func (m MultiHeadAttention) attend(c *Ctx, xq, xkv compute.Tensor, s *AttentionSaved) compute.Tensor {
	var sq, sk, sv, so *LinearSaved
	if s != nil {
		sq, sk, sv, so = &s.Q, &s.K, &s.V, &s.Out
	}
	q := m.Q.ForwardSave(c, xq, sq)
	k := m.K.ForwardSave(c, xkv, sk)
	v := m.V.ForwardSave(c, xkv, sv)
	bs, tq, tk := xq.Shape[0], xq.Shape[1], xkv.Shape[1]
	y := c.A.Alloc(q.Shape...)
	probs := c.A.Alloc(bs, m.Heads, tq, tk)
	c.Be.AttentionForward(y, probs, q, k, v, m.Heads, m.Causal)
	if s != nil {
		s.q, s.k, s.v, s.y, s.prob = q, k, v, y, probs
	}
	return m.Out.ForwardSave(c, y, so)
}

// backAttend is attend's backward: returns dxq and dxkv (the same tensor's
// gradient summed when it was self-attention and self is true).
func (m MultiHeadAttention) backAttend(c *Ctx, g MultiHeadAttention, s *AttentionSaved, dOut compute.Tensor, self bool) (dxq, dxkv compute.Tensor) {
	dy := m.Out.Backward(c, g.Out, &s.Out, dOut)
	dq, dk, dv := c.A.Alloc(s.q.Shape...), c.A.Alloc(s.k.Shape...), c.A.Alloc(s.v.Shape...)
	c.trainOps().AttentionBackward(dq, dk, dv, dy, s.prob, s.q, s.k, s.v, m.Heads, m.Causal)
	dxv := m.V.Backward(c, g.V, &s.V, dv)
	dxk := m.K.Backward(c, g.K, &s.K, dk)
	c.Be.AddForward(dxk, dxk, dxv)
	dxq = m.Q.Backward(c, g.Q, &s.Q, dq)
	if self {
		c.Be.AddForward(dxq, dxq, dxk)
		return dxq, dxq
	}
	return dxq, dxk
}

// Backward is self-attention's backward: returns dx, accumulates into g.
func (m MultiHeadAttention) Backward(c *Ctx, g MultiHeadAttention, s *AttentionSaved, dOut compute.Tensor) compute.Tensor {
	dx, _ := m.backAttend(c, g, s, dOut, true)
	return dx
}

// ResidualBlock is OpenAI's pre-LN transformer block on x[B,T,C]:
// x += attn(ln_1(x)); x += c_proj(act(c_fc(ln_2(x)))).
type ResidualBlock struct {
	LN1, LN2 LayerNorm
	Attn     MultiHeadAttention
	FC, Proj Linear // c_fc [4C,C] with fused activation, c_proj [C,4C]
}

// ResidualBlockSaved is what ResidualBlock.Backward needs.
type ResidualBlockSaved struct {
	LN1, LN2 LayerNormSaved
	Attn     AttentionSaved
	FC, Proj LinearSaved
}

func newResidualBlock(p *Params, prefix string, width, heads int, causal bool, act compute.Activation) ResidualBlock {
	return ResidualBlock{
		LN1:  newLayerNorm(p, prefix+"ln_1"),
		LN2:  newLayerNorm(p, prefix+"ln_2"),
		Attn: newAttention(p, prefix+"attn.", width, heads, causal),
		FC:   Linear{W: p.Get(prefix + "mlp.c_fc.weight"), B: p.Get(prefix + "mlp.c_fc.bias"), Act: act},
		Proj: Linear{W: p.Get(prefix + "mlp.c_proj.weight"), B: p.Get(prefix + "mlp.c_proj.bias")},
	}
}

// Forward returns the block's output, a new tensor; x is left unchanged.
// In inference the block's intermediates are freed once it is written.
func (r ResidualBlock) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	return r.ForwardSave(c, x, nil)
}

// ForwardSave is Forward that records in s (when not nil, which needs
// c.Keep) what Backward needs.
func (r ResidualBlock) ForwardSave(c *Ctx, x compute.Tensor, s *ResidualBlockSaved) compute.Tensor {
	if s != nil && !c.Keep {
		panic("model: ResidualBlock.ForwardSave needs Ctx.Keep")
	}
	var ln1, ln2 *LayerNormSaved
	var attn *AttentionSaved
	var fc, proj *LinearSaved
	if s != nil {
		ln1, ln2, attn, fc, proj = &s.LN1, &s.LN2, &s.Attn, &s.FC, &s.Proj
	}
	out := c.A.Alloc(x.Shape...)
	c.scope(func() {
		a := r.LN1.ForwardSave(c, x, ln1)
		h := r.Attn.attend(c, a, a, attn)
		x1 := c.A.Alloc(x.Shape...)
		c.Be.AddForward(x1, x, h)
		m := r.Proj.ForwardSave(c, r.FC.ForwardSave(c, r.LN2.ForwardSave(c, x1, ln2), fc), proj)
		c.Be.AddForward(out, x1, m)
	})
	return out
}

// Backward returns dx for dOut[B,T,C] and accumulates into g.
func (r ResidualBlock) Backward(c *Ctx, g ResidualBlock, s *ResidualBlockSaved, dOut compute.Tensor) compute.Tensor {
	dx := c.A.Alloc(dOut.Shape...)
	mark := c.A.Mark()
	// out = x1 + proj(fc(ln2(x1)))
	dx1 := r.LN2.Backward(c, g.LN2, &s.LN2, r.FC.Backward(c, g.FC, &s.FC, r.Proj.Backward(c, g.Proj, &s.Proj, dOut)))
	c.Be.AddForward(dx1, dx1, dOut)
	// x1 = x + attn(ln1(x))
	dh := r.LN1.Backward(c, g.LN1, &s.LN1, r.Attn.Backward(c, g.Attn, &s.Attn, dx1))
	c.Be.AddForward(dx, dh, dx1)
	c.A.Release(mark)
	return dx
}

// Transformer is a stack of residual blocks: x[B,T,C] -> [B,T,C].
type Transformer struct{ Blocks []ResidualBlock }

// TransformerSaved holds the saved state of every block.
type TransformerSaved struct{ Blocks []ResidualBlockSaved }

func newTransformer(p *Params, prefix string, width, heads, layers int, causal bool, act compute.Activation) Transformer {
	t := Transformer{Blocks: make([]ResidualBlock, layers)}
	for i := range t.Blocks {
		t.Blocks[i] = newResidualBlock(p, prefix+"resblocks."+itoa(i)+".", width, heads, causal, act)
	}
	return t
}

// Forward runs every block in order.
func (t Transformer) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	return t.ForwardSave(c, x, nil)
}

// ForwardSave is Forward that records in s (when not nil) what Backward needs.
func (t Transformer) ForwardSave(c *Ctx, x compute.Tensor, s *TransformerSaved) compute.Tensor {
	if s != nil && len(s.Blocks) != len(t.Blocks) {
		s.Blocks = make([]ResidualBlockSaved, len(t.Blocks))
	}
	for i, b := range t.Blocks {
		var bs *ResidualBlockSaved
		if s != nil {
			bs = &s.Blocks[i]
		}
		x = b.ForwardSave(c, x, bs)
	}
	return x
}

// Backward runs the blocks' backward passes in reverse order.
func (t Transformer) Backward(c *Ctx, g Transformer, s *TransformerSaved, dOut compute.Tensor) compute.Tensor {
	for i := len(t.Blocks) - 1; i >= 0; i-- {
		dOut = t.Blocks[i].Backward(c, g.Blocks[i], &s.Blocks[i], dOut)
	}
	return dOut
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
