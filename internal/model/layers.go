package model

import "github.com/clip-go/clip/internal/compute"

// layerNormEps is OpenAI's LayerNorm epsilon.
const layerNormEps = 1e-5

// LayerNorm normalises the last dimension: x[N..,C] -> out[N..,C].
type LayerNorm struct {
	W, B compute.Tensor // [C]
}

func newLayerNorm(p *Params, name string) LayerNorm {
	return LayerNorm{W: p.Get(name + ".weight"), B: p.Get(name + ".bias")}
}

// Forward normalises x; mean and rstd of each row are allocated alongside.
func (l LayerNorm) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	rows := x.Numel() / x.Dim(-1)
	out := c.A.Alloc(x.Shape...)
	c.Be.LayerNormForward(out, c.A.Alloc(rows), c.A.Alloc(rows), x, l.W, l.B, layerNormEps)
	return out
}

// Linear is y = x·Wᵀ + b with W in PyTorch's [out, in] layout:
// x[N..,in] -> y[N..,out]. B may be nil.
type Linear struct {
	W, B compute.Tensor
	Act  compute.Activation // fused after the bias
}

// Forward applies the layer to x, flattening all leading dimensions.
func (l Linear) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	in, outDim := x.Dim(-1), l.W.Shape[0]
	rows := x.Numel() / in
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), outDim)
	out := c.A.Alloc(shape...)
	c.Be.MatMulForward(out.Reshape(rows, outDim), x.Reshape(rows, in), l.W, l.B, true, l.Act)
	return out
}

// project computes x[N,in] @ w[in,out] (OpenAI's proj/text_projection
// layout, no bias): -> [N,out].
func project(c *Ctx, x, w compute.Tensor) compute.Tensor {
	out := c.A.Alloc(x.Shape[0], w.Shape[1])
	c.Be.MatMulForward(out, x, w, compute.Tensor{}, false, compute.ActNone)
	return out
}

// MultiHeadAttention is nn.MultiheadAttention with OpenAI's fused in_proj:
// x[B,T,C] -> out[B,T,C], H heads of width C/H.
type MultiHeadAttention struct {
	Q, K, V, Out Linear
	Heads        int
	Causal       bool
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
	return m.attend(c, x, x)
}

// attend computes attention of queries from xq[B,Tq,C] over keys and values
// from xkv[B,Tk,C]: -> [B,Tq,C].
func (m MultiHeadAttention) attend(c *Ctx, xq, xkv compute.Tensor) compute.Tensor {
	q := m.Q.Forward(c, xq)
	k := m.K.Forward(c, xkv)
	v := m.V.Forward(c, xkv)
	bs, tq, tk := xq.Shape[0], xq.Shape[1], xkv.Shape[1]
	y := c.A.Alloc(q.Shape...)
	c.Be.AttentionForward(y, c.A.Alloc(bs, m.Heads, tq, tk), q, k, v, m.Heads, m.Causal)
	return m.Out.Forward(c, y)
}

// ResidualBlock is OpenAI's pre-LN transformer block on x[B,T,C]:
// x += attn(ln_1(x)); x += c_proj(act(c_fc(ln_2(x)))).
type ResidualBlock struct {
	LN1, LN2 LayerNorm
	Attn     MultiHeadAttention
	FC, Proj Linear // c_fc [4C,C] with fused activation, c_proj [C,4C]
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
	out := c.A.Alloc(x.Shape...)
	c.scope(func() {
		h := r.Attn.Forward(c, r.LN1.Forward(c, x))
		x1 := c.A.Alloc(x.Shape...)
		c.Be.AddForward(x1, x, h)
		m := r.Proj.Forward(c, r.FC.Forward(c, r.LN2.Forward(c, x1)))
		c.Be.AddForward(out, x1, m)
	})
	return out
}

// Transformer is a stack of residual blocks: x[B,T,C] -> [B,T,C].
type Transformer struct{ Blocks []ResidualBlock }

func newTransformer(p *Params, prefix string, width, heads, layers int, causal bool, act compute.Activation) Transformer {
	t := Transformer{Blocks: make([]ResidualBlock, layers)}
	for i := range t.Blocks {
		t.Blocks[i] = newResidualBlock(p, prefix+"resblocks."+itoa(i)+".", width, heads, causal, act)
	}
	return t
}

// Forward runs every block in order.
func (t Transformer) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	for _, b := range t.Blocks {
		x = b.Forward(c, x)
	}
	return x
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
