// Package compute is the seam between the model and the devices it runs on.
// It holds interfaces and small value types only; internal/cpu implements
// them as the executable specification, internal/cuda as its fast twin.
//
// Conventions every op follows (llm.c style):
//   - Methods are XForward(out..., in..., scalars) with a matching
//     XBackward(dIn..., dParams..., dOut, saved...). Outputs first, then
//     inputs, then scalars.
//   - Parameter gradients accumulate (+=); activation gradients overwrite (=).
//   - Shape mismatches are programmer errors and panic with the op name and
//     the shapes. Device failures are returned from Sync.
//   - Shapes use shared letters: B batch, T tokens, P patches, C width,
//     H heads, E embedding, V vocabulary.
package compute

import (
	"fmt"
	"strings"
)

// Buffer is backend-owned storage. Only the backend that made it reads it.
type Buffer interface {
	Len() int // in float32 elements
}

// Tensor is a cheap view of float32 elements: a buffer, an offset and a
// row-major shape. The zero Tensor means "absent" (e.g. no bias).
type Tensor struct {
	Buf   Buffer
	Off   int
	Shape []int
}

// IsNil reports whether t is the absent tensor.
func (t Tensor) IsNil() bool { return t.Buf == nil }

// Numel is the number of elements.
func (t Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Dim returns dimension i; negative i counts from the end.
func (t Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Reshape returns a view with the same elements and another shape.
func (t Tensor) Reshape(shape ...int) Tensor {
	r := Tensor{Buf: t.Buf, Off: t.Off, Shape: append([]int(nil), shape...)}
	if r.Numel() != t.Numel() {
		panic(fmt.Sprintf("compute: reshape %v to %v changes the element count", t.Shape, shape))
	}
	return r
}

// Slice returns rows [from, to) of the first dimension.
func (t Tensor) Slice(from, to int) Tensor {
	if from < 0 || to > t.Shape[0] || from > to {
		panic(fmt.Sprintf("compute: slice [%d:%d] of %v", from, to, t.Shape))
	}
	inner := t.Numel() / t.Shape[0]
	shape := append([]int{to - from}, t.Shape[1:]...)
	return Tensor{Buf: t.Buf, Off: t.Off + from*inner, Shape: shape}
}

// String describes the view for error messages.
func (t Tensor) String() string {
	if t.IsNil() {
		return "<nil tensor>"
	}
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Activation is an elementwise function fused after a bias add.
type Activation int

// The activations CLIP uses.
const (
	ActNone      Activation = iota
	ActGELU                 // exact erf GELU (nn.GELU)
	ActQuickGELU            // x * sigmoid(1.702 x), OpenAI's models
	ActReLU
)

func (a Activation) String() string {
	return [...]string{"none", "gelu", "quickgelu", "relu"}[a]
}

// Arena hands out tensors from storage it owns. Reset makes all of them
// reusable at once, so a step that allocates the same sequence of shapes
// reuses the same memory and allocates nothing. Mark and Release free, in
// one go, everything allocated after a mark: inference uses them to drop a
// block's intermediates once its output is written.
type Arena interface {
	// Alloc returns a tensor whose contents are undefined until written.
	Alloc(shape ...int) Tensor
	Mark() ArenaMark
	Release(ArenaMark)
	Reset()
}

// ArenaMark is a position in an arena, opaque outside the backend that
// made it.
type ArenaMark struct{ Slab, Used int }

// Backend is one device. Every op of the model goes through it.
type Backend interface {
	Name() string
	NewArena() Arena
	Upload(dst Tensor, src []float32)
	Download(dst []float32, src Tensor)
	// Fill sets dst's contents from host memory written by fill. It calls
	// fill once with a slice of exactly dst.Numel() elements, whose initial
	// contents are undefined and which fill must not keep, and, if fill
	// returns nil, makes them dst's contents. It exists so that a loader can
	// decode a weights file straight into a parameter, tensor by tensor,
	// without first holding the whole model in host memory: the CPU backend
	// hands fill dst's own memory (no copy at all); a device backend hands
	// it a staging buffer and copies that to the device. If fill fails, its
	// error is returned unchanged and dst's contents are undefined.
	Fill(dst Tensor, fill func(host []float32) error) error
	// Sync waits for queued work and returns the first device error.
	Sync() error

	Ops
}

// Ops are the forward operations of CLIP inference. Backward pairs are added
// next to each forward as training needs them.
type Ops interface {
	// MatMulForward: out[M,N] = a[M,K] @ b + bias[N], then act. b is [K,N],
	// or [N,K] when transB (PyTorch's Linear layout). bias may be nil.
	MatMulForward(out, a, b, bias Tensor, transB bool, act Activation)

	// EmbeddingForward: out[B,T,C] = table[ids[b,t]] + pos[t]; ids is
	// [B,T] in host memory, pos is [>=T, C].
	EmbeddingForward(out Tensor, ids []int32, table, pos Tensor)

	// PatchEmbedForward: out[B,P,C] = conv(x[B,3,R,R], w[C,3,p,p]) with
	// stride p and no bias, patches in row-major grid order.
	PatchEmbedForward(out, x, w Tensor, patch int)

	// TokensAssembleForward: out[B,1+P,C]: out[b,0] = cls + pos[0],
	// out[b,1+p] = patches[b,p] + pos[1+p].
	TokensAssembleForward(out, patches, cls, pos Tensor)

	// LayerNormForward: out[N,C] = (x - mean)/sqrt(var + eps)*w + b over the
	// last dimension; mean[N] and rstd[N] are saved for the backward.
	LayerNormForward(out, mean, rstd, x, w, b Tensor, eps float32)

	// AttentionForward: multi-head scaled dot-product attention.
	// q[B,Tq,C], k[B,Tk,C], v[B,Tk,C] -> out[B,Tq,C]; probs[B,H,Tq,Tk] saved.
	// Scale 1/sqrt(C/H). causal masks key j > query i.
	AttentionForward(out, probs, q, k, v Tensor, heads int, causal bool)

	// AddForward: out = a + b elementwise (same shape); out may alias a.
	AddForward(out, a, b Tensor)

	// AddBroadcastForward: out[B,T,C] = x[B,T,C] + y[T,C].
	AddBroadcastForward(out, x, y Tensor)

	// ActivationForward: out = act(x) elementwise; out may alias x.
	ActivationForward(out, x Tensor, act Activation)

	// GatherRowsForward: out[B,C] = x[b, idx[b], :] for x[B,T,C].
	GatherRowsForward(out, x Tensor, idx []int)

	// L2NormalizeForward: out[N,C] = x / ||x|| per row (F.normalize, eps 1e-12).
	L2NormalizeForward(out, x Tensor)

	// Conv2DForward: out[N,Co,Ho,Wo] = conv(x[N,Ci,H,W], w[Co,Ci,kh,kw]),
	// no bias, given stride and zero padding.
	Conv2DForward(out, x, w Tensor, stride, pad int)

	// BatchNormForward (inference): out[N,Ch,H,W] =
	// (x - mean)/sqrt(var+eps)*w + b per channel, then act (ReLU or none).
	BatchNormForward(out, x, w, b, mean, variance Tensor, eps float32, act Activation)

	// AvgPool2DForward: out[N,Ch,H/k,W/k] = mean over k x k windows, stride k.
	AvgPool2DForward(out, x Tensor, k int)

	// SpatialTokensForward: out[N,1+HW,Ch] from x[N,Ch,H,W]: token 0 is the
	// spatial mean, tokens 1.. the positions in row-major order.
	SpatialTokensForward(out, x Tensor)

	// ScaleForward: out = alpha * x.
	ScaleForward(out, x Tensor, alpha float32)
}
