package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// ActivationForward computes out = act(x) elementwise; out may alias x.
func (b *Backend) ActivationForward(out, x compute.Tensor, act compute.Activation) {
	check(out.Numel() == x.Numel(), "ActivationForward", "out %v x %v", out, x)
	o, in := data(out), data(x)
	b.parallel(len(in), 8192, func(lo, hi int) { applyAct(o[lo:hi], in[lo:hi], act) })
}

// applyAct writes act(x) into out (same length; may alias).
func applyAct(out, x []float32, act compute.Activation) {
	switch act {
	case compute.ActNone:
		copy(out, x)
	case compute.ActGELU:
		for i, v := range x {
			out[i] = gelu(v)
		}
	case compute.ActQuickGELU:
		for i, v := range x {
			out[i] = quickGELU(v)
		}
	case compute.ActReLU:
		for i, v := range x {
			out[i] = max(v, 0)
		}
	default:
		panic("cpu: unknown activation " + act.String())
	}
}

// gelu is nn.GELU's exact form 0.5·x·(1 + erf(x/√2)).
func gelu(x float32) float32 {
	return 0.5 * x * (1 + erf32(x*math.Sqrt2/2))
}

// quickGELU is OpenAI's x·sigmoid(1.702·x). For large negative x the
// exponential overflows to +Inf and the result is -0, never NaN.
func quickGELU(x float32) float32 {
	return x / (1 + exp32(-1.702*x))
}
