package cpu

import (
	"fmt"
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// ActivationBackward computes dx = dOut·act'(x), x the pre-activation; dx
// overwrites and may alias dOut. The derivatives are those of the forward
// functions in internal/sgemm, evaluated in float64: they are finite for
// every finite x (0 or 1 far out in the tails, never NaN).
func (b *Backend) ActivationBackward(dx, dOut, x compute.Tensor, act compute.Activation) {
	const op = "ActivationBackward"
	check(dx.Numel() == x.Numel() && dOut.Numel() == x.Numel(), op, "dx %v dOut %v x %v", dx, dOut, x)
	d, g, in := data(dx), data(dOut), data(x)
	var deriv func(float32) float64
	switch act {
	case compute.ActNone:
		copy(d, g) // a no-op when dx aliases dOut
		return
	case compute.ActGELU:
		deriv = geluDeriv
	case compute.ActQuickGELU:
		deriv = quickGELUDeriv
	case compute.ActReLU:
		deriv = reluDeriv
	default:
		panic(fmt.Sprintf("cpu.%s: unknown activation %d", op, int(act)))
	}
	b.parallel(len(in), 8192, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d[i] = float32(float64(g[i]) * deriv(in[i]))
		}
	})
}

// geluDeriv is d/dx 0.5·x·(1+erf(x/√2)) = Φ(x) + x·φ(x).
// Beyond |x| = 40 the second term is below 1e-340 and x·φ(x) would be
// Inf·0 at infinity: the derivative is then exactly 1 or 0.
func geluDeriv(x float32) float64 {
	v := float64(x)
	if math.Abs(v) >= 40 {
		return step(v)
	}
	cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
	pdf := math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
	return cdf + v*pdf
}

// quickGELUDeriv is d/dx x·σ(1.702x) = σ + 1.702·x·σ·(1-σ), with σ from
// the forward's float32 exponential. Far out σ is exactly 0 or 1 and the
// second term 0 (Exp32 overflows to +Inf, 1/(1+Inf) = 0).
func quickGELUDeriv(x float32) float64 {
	if math.Abs(float64(x)) >= 60 { // σ saturated, and x·σ·(1-σ) is Inf·0 at ±Inf
		return step(float64(x))
	}
	s := 1 / (1 + float64(sgemm.Exp32(-1.702*x)))
	return s + 1.702*float64(x)*s*(1-s)
}

// reluDeriv is 1 for x > 0, else 0 (PyTorch's choice at 0).
func reluDeriv(x float32) float64 { return step(float64(x)) }

// step is 1 for v > 0, else 0.
func step(v float64) float64 {
	if v > 0 {
		return 1
	}
	return 0
}
