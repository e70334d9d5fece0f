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
		b.parallel(len(in), 8192, func(lo, hi int) { quickGELUBackward(d[lo:hi], g[lo:hi], in[lo:hi]) })
		return
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
// the forward's float32 exponential.
func quickGELUDeriv(x float32) float64 {
	return quickGELUDerivExp(x, sgemm.Exp32(-1.702*x))
}

// quickGELUDerivExp is quickGELUDeriv given e = Exp32(-1.702·x). Far out σ
// is exactly 0 or 1 and the second term 0 (Exp32 overflows to +Inf,
// 1/(1+Inf) = 0), but x·σ·(1-σ) would be Inf·0 at ±Inf, hence the cut. The
// conversion keeps the compiler from fusing the last product with the sum
// (as it may on GOAMD64=v3), so the vector code (vec_amd64.s) does the same
// operations.
func quickGELUDerivExp(x, e float32) float64 {
	if math.Abs(float64(x)) >= 60 {
		return step(float64(x))
	}
	s := 1 / (1 + float64(e))
	return s + float64(1.702*float64(x)*s*(1-s))
}

// quickGELUBackward is dx = dOut·quickGELUDeriv(x) over slices, a block at
// a time: the exponentials of a block by the vectorised sgemm.ExpSlice
// (bit-identical to Exp32), the rest by vector code that does the scalar
// operations (vec.go), so the result equals the scalar form. The scalar
// exponential was a sixth of a training step.
func quickGELUBackward(dx, dOut, x []float32) {
	var e [256]float32
	vec := useVec()
	for lo := 0; lo < len(x); lo += len(e) {
		xs := x[lo:min(lo+len(e), len(x))]
		es := e[:len(xs)]
		gs, ds := dOut[lo:lo+len(xs)], dx[lo:lo+len(xs)]
		n := 0
		if vec {
			n = scaleVec(es, xs, -1.702)
		}
		for j := n; j < len(xs); j++ {
			es[j] = -1.702 * xs[j]
		}
		sgemm.ExpSlice(es)
		n = 0
		if vec {
			n = quickGELUGradVec(ds, gs, xs, es)
		}
		for j := n; j < len(xs); j++ {
			ds[j] = float32(float64(gs[j]) * quickGELUDerivExp(xs[j], es[j]))
		}
	}
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
