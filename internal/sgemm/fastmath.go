package sgemm

import "math"

// Float32 elementwise math for the activations. Evaluating them through
// float64 math.Exp/math.Erf costs as much as a sizable share of a ViT's
// GEMM time once the GEMM is fast; these stay within a few float32 ulps of
// the exact result (see fastmath_test.go), far inside the 1e-5 parity bar.

const (
	log2e = 1.44269504088896341
	// ln2 split so that n*ln2Hi is exact for |n| < 2^12 (Cody-Waite).
	ln2Hi = 0.693145751953125
	ln2Lo = 1.42860682030941723212e-6
)

// Exp32 is e^x for float32 x, relative error below 2e-7 over the whole
// range; it saturates to 0 and +Inf like math.Exp and propagates NaN.
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	// x = n·ln2 + r with |r| <= ln2/2.
	n := float32(math.Floor(float64(x*log2e) + 0.5))
	r := x - n*ln2Hi - n*ln2Lo
	// e^r by its Taylor series to degree 7 (remainder < 2e-9 on the range).
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	// Scale by 2^n in two steps so that subnormal results and n = 128
	// (x just below the overflow threshold) are represented.
	ni := int32(n)
	h := ni / 2
	return p * math.Float32frombits(uint32(h+127)<<23) * math.Float32frombits(uint32(ni-h+127)<<23)
}

// erf32 is erf(x) for float32 x, absolute error below 4e-7: erfc by the
// Chebyshev-fitted form of Numerical Recipes (erfcc), whose relative error
// is below 1.2e-7 everywhere.
func erf32(x float32) float32 {
	if x != x {
		return x
	}
	z := x
	if z < 0 {
		z = -z
	}
	t := 1 / (1 + 0.5*z)
	poly := -z*z - 1.26551223 + t*(1.00002368+t*(0.37409196+t*(0.09678418+
		t*(-0.18628806+t*(0.27886807+t*(-1.13520398+t*(1.48851587+
			t*(-0.82215223+t*0.17087277))))))))
	r := 1 - t*Exp32(poly)
	if x < 0 {
		return -r
	}
	return r
}
