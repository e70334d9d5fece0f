package model

import "github.com/clip-go/clip/internal/compute"

// batchNormEps is nn.BatchNorm2d's default epsilon.
const batchNormEps = 1e-5

// ConvBN is a bias-free convolution followed by inference-mode BatchNorm2d
// and an optional ReLU: x[N,Ci,H,W] -> [N,Co,H',W'].
type ConvBN struct {
	W                      compute.Tensor // [Co,Ci,k,k]
	Gamma, Beta, Mean, Var compute.Tensor // [Co]
	Stride, Pad            int
	ReLU                   bool
}

func newConvBN(p *Params, conv, bn string, pad int, relu bool) ConvBN {
	return ConvBN{
		W:     p.Get(conv + ".weight"),
		Gamma: p.Get(bn + ".weight"), Beta: p.Get(bn + ".bias"),
		Mean: p.Get(bn + ".running_mean"), Var: p.Get(bn + ".running_var"),
		Stride: 1, Pad: pad, ReLU: relu,
	}
}

// Forward applies conv, BN and the optional ReLU.
func (cb ConvBN) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	co, k := cb.W.Shape[0], cb.W.Shape[2]
	ho := (h+2*cb.Pad-k)/cb.Stride + 1
	wo := (w+2*cb.Pad-k)/cb.Stride + 1
	out := c.A.Alloc(n, co, ho, wo)
	c.Be.Conv2DForward(out, x, cb.W, cb.Stride, cb.Pad)
	act := compute.ActNone
	if cb.ReLU {
		act = compute.ActReLU
	}
	c.Be.BatchNormForward(out, out, cb.Gamma, cb.Beta, cb.Mean, cb.Var, batchNormEps, act)
	return out
}

func avgPool(c *Ctx, x compute.Tensor, k int) compute.Tensor {
	if k == 1 {
		return x
	}
	out := c.A.Alloc(x.Shape[0], x.Shape[1], x.Shape[2]/k, x.Shape[3]/k)
	c.Be.AvgPool2DForward(out, x, k)
	return out
}

// Bottleneck is ModifiedResNet's block: x[N,Ci,H,W] -> [N,4P,H/s,W/s].
//
//	relu(bn1(conv1 1x1)) -> relu(bn2(conv2 3x3)) -> avgpool(s) -> bn3(conv3 1x1)
//	identity = downsample(x) = bn(conv 1x1(avgpool(s)(x))) when shapes change
//	relu(out + identity)
type Bottleneck struct {
	C1, C2, C3 ConvBN
	Down       *ConvBN
	Stride     int
}

func newBottleneck(p *Params, s ResNetStage) Bottleneck {
	b := Bottleneck{
		C1:     newConvBN(p, s.Prefix+"conv1", s.Prefix+"bn1", 0, true),
		C2:     newConvBN(p, s.Prefix+"conv2", s.Prefix+"bn2", 1, true),
		C3:     newConvBN(p, s.Prefix+"conv3", s.Prefix+"bn3", 0, false),
		Stride: s.Stride,
	}
	if s.Downsample {
		d := newConvBN(p, s.Prefix+"downsample.0", s.Prefix+"downsample.1", 0, false)
		b.Down = &d
	}
	return b
}

// Forward applies the block.
func (b Bottleneck) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	out := b.C2.Forward(c, b.C1.Forward(c, x))
	out = b.C3.Forward(c, avgPool(c, out, b.Stride))
	identity := x
	if b.Down != nil {
		identity = b.Down.Forward(c, avgPool(c, x, b.Stride))
	}
	c.Be.AddForward(out, out, identity)
	c.Be.ActivationForward(out, out, compute.ActReLU)
	return out
}

// AttentionPool is ModifiedResNet's head: x[N,D,h,w] -> [N,E].
// The sequence is the spatial mean followed by the h·w positions, plus
// positional_embedding[1+hw,D]; one query (the mean token) attends over all
// of it with separate q/k/v projections, then c_proj [E,D] (the attention's
// output projection).
type AttentionPool struct {
	Pos     compute.Tensor // [1+hw,D]
	Q, K, V Linear
	C       Linear
	Heads   int
}

func newAttentionPool(p *Params, c Config) AttentionPool {
	const pre = "visual.attnpool."
	lin := func(n string) Linear { return Linear{W: p.Get(pre + n + ".weight"), B: p.Get(pre + n + ".bias")} }
	return AttentionPool{
		Pos: p.Get(pre + "positional_embedding"),
		Q:   lin("q_proj"), K: lin("k_proj"), V: lin("v_proj"), C: lin("c_proj"),
		Heads: c.Vision.Heads(),
	}
}

// Forward pools x into one vector per image.
func (ap AttentionPool) Forward(c *Ctx, x compute.Tensor) compute.Tensor {
	n, d := x.Shape[0], x.Shape[1]
	t := x.Shape[2]*x.Shape[3] + 1
	seq := c.A.Alloc(n, t, d)
	c.Be.SpatialTokensForward(seq, x)
	c.Be.AddBroadcastForward(seq, seq, ap.Pos)
	query := c.A.Alloc(n, d)
	c.Be.GatherRowsForward(query, seq, make([]int, n))
	mha := MultiHeadAttention{Q: ap.Q, K: ap.K, V: ap.V, Out: ap.C, Heads: ap.Heads}
	out := mha.attend(c, query.Reshape(n, 1, d), seq, nil)
	return out.Reshape(n, out.Dim(-1))
}

// ModifiedResNet is OpenAI's ResNet image tower: pixels[N,3,R,R] -> [N,E].
// Stem: three 3x3 conv-BN-ReLU (stride 2, 1, 1; widths w/2, w/2, w) and a
// 2x2 average pool; four stages of Bottlenecks; attention pooling.
type ModifiedResNet struct {
	Stem   [3]ConvBN
	Blocks []Bottleneck
	Pool   AttentionPool
}

func newModifiedResNet(p *Params, c Config) *ModifiedResNet {
	const pre = "visual."
	m := &ModifiedResNet{Pool: newAttentionPool(p, c)}
	for i := range m.Stem {
		n := itoa(i + 1)
		m.Stem[i] = newConvBN(p, pre+"conv"+n, pre+"bn"+n, 1, true)
	}
	m.Stem[0].Stride = 2
	for _, s := range ResNetBlocks(pre, c.Vision) {
		m.Blocks = append(m.Blocks, newBottleneck(p, s))
	}
	return m
}

// Forward encodes pixels[N,3,R,R] into features[N,E].
func (m *ModifiedResNet) Forward(c *Ctx, pixels compute.Tensor) compute.Tensor {
	x := pixels
	for _, s := range m.Stem {
		x = s.Forward(c, x)
	}
	x = avgPool(c, x, 2)
	for _, b := range m.Blocks {
		x = b.Forward(c, x)
	}
	return m.Pool.Forward(c, x)
}
