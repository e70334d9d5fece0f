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
func applyAct(out, x []float32, act compute.Activation) {
	copy(out, x)
	sgemm.ApplyAct(sgemm.Activation(act), out)
}
