package sgemm

import "math"

// Activation is an elementwise function applied to C after the bias. The
// values and their order match compute.Activation, so a conversion is a cast.
type Activation int

// The activations CLIP uses.
const (
	ActNone      Activation = iota
	ActGELU                 // exact erf GELU (nn.GELU)
	ActQuickGELU            // x·sigmoid(1.702·x), OpenAI's models
	ActReLU                 // max(x, 0)
)

// String names the activation as configs and logs do.
func (a Activation) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActGELU:
		return "gelu"
	case ActQuickGELU:
		return "quickgelu"
	case ActReLU:
		return "relu"
	}
	return "Activation(?)"
}

// ApplyAct replaces every x[i] by act(x[i]). It is the function Gemm fuses
// into its tiles, exported so that a standalone activation op gives the same
// bits as the fused one. GELU and QuickGELU run as vector code (act_amd64.s)
// where the kernel Gemm uses is an assembly one; that code does the float32
// operations of the scalar functions below in the same order, so the result
// is the same bits whichever kernel is in use.
func ApplyAct(act Activation, x []float32) {
	applyAct(current.Load(), act, x)
}

// applyAct is ApplyAct with the vector code of kernel k, if it has any.
func applyAct(k *kernel, act Activation, x []float32) {
	switch act {
	case ActNone:
	case ActGELU:
		tail := x[actVector(k, act, x):]
		for i, v := range tail {
			tail[i] = GELU(v)
		}
	case ActQuickGELU:
		tail := x[actVector(k, act, x):]
		for i, v := range tail {
			tail[i] = QuickGELU(v)
		}
	case ActReLU:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	default:
		panic("sgemm: unknown activation " + act.String())
	}
}

// ExpSlice replaces every x[i] by Exp32(x[i]), with the vector code of the
// kernel Gemm uses as ApplyAct does (act_amd64.s): the same bits as the
// scalar Exp32 whichever kernel is in use.
func ExpSlice(x []float32) {
	expSlice(current.Load(), x)
}

// expSlice is ExpSlice with the vector code of kernel k, if it has any.
func expSlice(k *kernel, x []float32) {
	tail := x[expVector(k, x):]
	for i, v := range tail {
		tail[i] = Exp32(v)
	}
}

// GELU is nn.GELU's exact form 0.5·x·(1 + erf(x/√2)), with float32 erf
// (absolute error < 4e-7): evaluating it through float64 math.Erf made the
// activation cost as much as the GEMM it is fused into.
func GELU(x float32) float32 {
	return float32(0.5*x) * (1 + erf32(float32(x*math.Sqrt2)/2))
}

// QuickGELU is OpenAI's x·sigmoid(1.702·x) with a float32 exp (relative
// error < 2e-7). For large negative x the exponential overflows to +Inf and
// the result is -0, never NaN.
func QuickGELU(x float32) float32 {
	return x / (1 + Exp32(-1.702*x))
}

// The conversions to float32 in GELU, QuickGELU, Exp32 and erf32 round each
// product on its own: they keep the compiler from fusing it with the next
// addition (as it may on GOAMD64=v3), so the scalar code does exactly the
// operations of the vector code in act_amd64.s on every target.
