package cpu

import (
	"math"
	"strconv"

	"github.com/clip-go/clip/internal/compute"
)

// AdamW is one step of PyTorch's AdamW on one tensor (see compute.TrainOps),
// reproducing torch 1.13's _single_tensor_adamw operation by operation in
// float32:
//
//	p.mul_(1 - lr*wd)
//	m.mul_(β1).add_(g, alpha=1-β1)
//	v.mul_(β2).addcmul_(g, g, value=1-β2)
//	denom = (v.sqrt() / sqrt(1-β2^t)).add_(eps)
//	p.addcdiv_(m, denom, value=-lr/(1-β1^t))
//
// PyTorch computes the scalars (1-lr·wd, 1-β1, the bias corrections, the
// step size) in float64 from Python floats and rounds each to float32 when
// it meets the tensor. The hyperparameters arrive here as float32, so each
// is first widened to the float64 of its shortest decimal form (float32(0.9)
// becomes 0.9, as written in a config), and the scalars are then formed and
// rounded exactly as PyTorch does.
func (b *Backend) AdamW(p, g, m, v compute.Tensor, lr, beta1, beta2, eps, weightDecay float32, step int) {
	const op = "AdamW"
	check(sameShape(p, g) && sameShape(p, m) && sameShape(p, v), op, "shapes differ: p %v g %v m %v v %v", p, g, m, v)
	check(step >= 1, op, "step %d, want >= 1", step)
	lr64, b1, b2, eps64, wd := decimal(lr), decimal(beta1), decimal(beta2), decimal(eps), decimal(weightDecay)
	decay := float32(1 - lr64*wd)
	b1f, a1 := float32(b1), float32(1-b1)
	b2f, a2 := float32(b2), float32(1-b2)
	bc1 := 1 - math.Pow(b1, float64(step))
	bc2Sqrt := float32(math.Sqrt(1 - math.Pow(b2, float64(step))))
	negStep := float32(-(lr64 / bc1))
	epsf := float32(eps64)
	doDecay := weightDecay != 0

	fp, fg, fm, fv := data(p), data(g), data(m), data(v)
	vec := useVec()
	// The vector code multiplies by decay = 1 without weight decay, which
	// leaves every value as it is.
	consts := [8]float32{1, b1f, a1, b2f, a2, bc2Sqrt, epsf, negStep}
	if doDecay {
		consts[0] = decay
	}
	b.parallel(len(fp), 1<<14, func(lo, hi int) {
		i := lo
		if vec {
			i += adamwVec(fp[lo:hi], fg[lo:hi], fm[lo:hi], fv[lo:hi], &consts)
		}
		// The conversions keep the compiler from fusing a product with
		// the next sum (as it may on GOAMD64=v3): PyTorch rounds each.
		for ; i < hi; i++ {
			x := fp[i]
			if doDecay {
				x = float32(x * decay)
			}
			gi := fg[i]
			mi := float32(fm[i]*b1f) + float32(a1*gi)
			vi := float32(fv[i]*b2f) + float32(a2*gi*gi)
			denom := float32(float32(math.Sqrt(float64(vi)))/bc2Sqrt) + epsf
			x += negStep * mi / denom
			fp[i], fm[i], fv[i] = x, mi, vi
		}
	})
}

// decimal widens a float32 hyperparameter to the float64 of its shortest
// decimal representation, the Python float it was most likely written as.
func decimal(x float32) float64 {
	f, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	if err != nil {
		return float64(x)
	}
	return f
}
