package cpu

import (
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// ActivationForward computes out = act(x) elementwise; out may alias x.
func (b *Backend) ActivationForward(out, x compute.Tensor, act compute.Activation) {
	check(out.Numel() == x.Numel(), "ActivationForward", "out %v x %v", out, x)
	o, in := data(out), data(x)
	b.parallel(len(in), 8192, func(lo, hi int) { applyAct(o[lo:hi], in[lo:hi], act) })
}

// applyAct writes act(x) into out (same length; may alias) with the
// functions the GEMM fuses, so a standalone activation gives the same bits.
// It goes a block at a time, so each block is still in L1 when the
// activation rewrites it.
func applyAct(out, x []float32, act compute.Activation) {
	const block = 2048
	for lo := 0; lo < len(x); lo += block {
		hi := min(lo+block, len(x))
		copy(out[lo:hi], x[lo:hi])
		sgemm.ApplyAct(sgemm.Activation(act), out[lo:hi])
	}
}
