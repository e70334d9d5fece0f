//go:build cuda

package cuda

import (
	"fmt"
	"testing"
)

// tolAttn bounds the flash kernels against the fp32 CPU backend: Q, K, V,
// P and dS are rounded to bf16 for the tensor cores.
const tolAttn = 2e-2

type attnCase struct {
	b, tq, tk, heads int
	causal           bool
}

func (c attnCase) String() string {
	return fmt.Sprintf("B=%d Tq=%d Tk=%d H=%d causal=%v", c.b, c.tq, c.tk, c.heads, c.causal)
}

// CLIP's sequence lengths (50, 77, 197, 257), lengths around the 64-row
// tile, a single token, and cross attention with Tq != Tk.
var attnCases = []attnCase{
	{1, 1, 1, 1, false},
	{2, 50, 50, 2, false},
	{2, 77, 77, 2, true},
	{1, 197, 197, 3, false},
	{1, 257, 257, 2, true},
	{1, 257, 257, 1, false},
	{3, 64, 64, 1, true},
	{1, 65, 65, 2, true},
	{2, 5, 70, 1, false},
	{1, 130, 7, 2, false},
}

func TestAttention(t *testing.T) {
	for _, c := range attnCases {
		t.Run(c.String(), func(t *testing.T) {
			r := rng(t)
			ts := newTensors()
			defer ts.free(t)
			ch := c.heads * HeadDim
			qd, kd, vd := randn(r, c.b*c.tq*ch, 1), randn(r, c.b*c.tk*ch, 1), randn(r, c.b*c.tk*ch, 1)
			q, k, v := ts.with(qd, c.b, c.tq, ch), ts.with(kd, c.b, c.tk, ch), ts.with(vd, c.b, c.tk, ch)
			out := ts.poisoned(c.b, c.tq, ch)
			lse := ts.poisoned(c.b, c.heads, c.tq)
			probs := ts.poisoned(c.b, c.heads, c.tq, c.tk)
			dev.AttentionForward(out.g, lse.g, q.g, k.g, v.g, c.heads, c.causal)
			mustSync(t)
			host.AttentionForward(out.c, probs.c, q.c, k.c, v.c, c.heads, c.causal)
			expect(t, "attn fwd", c.String(), "out", down(out.g), downCPU(out.c), tolAttn)

			// The log-sum-exp against float64 (the CPU backend keeps
			// probabilities instead), per batch element.
			gl := down(lse.g)
			want := make([]float64, 0, len(gl))
			for b := 0; b < c.b; b++ {
				_, l, _, _, _ := attnRef64(qd, kd, vd, nil, b, c.tq, c.tk, ch, c.heads, c.causal)
				want = append(want, l...)
			}
			expectFloor(t, "attn fwd", c.String(), "lse", gl, want, 5e-3, 1)

			dOut := ts.with(randn(r, c.b*c.tq*ch, 1), c.b, c.tq, ch)
			dq, dk, dv := ts.poisoned(c.b, c.tq, ch), ts.poisoned(c.b, c.tk, ch), ts.poisoned(c.b, c.tk, ch)
			dev.AttentionBackward(dq.g, dk.g, dv.g, dOut.g, out.g, lse.g, q.g, k.g, v.g, c.heads, c.causal)
			mustSync(t)
			host.AttentionBackward(dq.c, dk.c, dv.c, dOut.c, probs.c, q.c, k.c, v.c, c.heads, c.causal)
			expect(t, "attn bwd", c.String(), "dq", down(dq.g), downCPU(dq.c), tolAttn)
			expect(t, "attn bwd", c.String(), "dk", down(dk.g), downCPU(dk.c), tolAttn)
			expect(t, "attn bwd", c.String(), "dv", down(dv.g), downCPU(dv.c), tolAttn)
		})
	}
}
