package sgemm

import "math"

// Float32 elementwise math for the activations. Evaluating them through
// float64 math.Exp/math.Erf costs as much as a sizable share of a ViT's
// GEMM time once the GEMM is fast; these stay within a few float32 ulps of
// the exact result (see fastmath_test.go), far inside the 1e-5 parity bar.
//
// act_amd64.s evaluates the same expressions 8 or 16 at a time and must give
// the same bits: it does the same float32 operations, with the same
// constants, in the same order (explicit float32 conversions keep Go from
// fusing a product with the next addition). Change both together.

const (
	log2e = 1.44269504088896341
	// ln2 split so that n*ln2Hi is exact for |n| < 2^12 (Cody-Waite).
	ln2Hi = 0.693145751953125
	ln2Lo = 1.42860682030941723212e-6
	// Exp32 is +Inf above expHi and 0 below expLo.
	expHi = 88.72283
	expLo = -103.97208
)

// Exp32 is e^x for float32 x, relative error below 2e-7 over the whole
// range; it saturates to 0 and +Inf like math.Exp and propagates NaN.
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// x = n·ln2 + r with |r| <= ln2/2; n is x·log2e (rounded to float32)
	// rounded to the nearest integer, ties to even (ROUNDPS in the vector
	// code; the float64 round trip is exact).
	n := float32(math.RoundToEven(float64(float32(x * log2e))))
	r := x - float32(n*ln2Hi) - float32(n*ln2Lo)
	// e^r by its Taylor series to degree 7 (remainder < 2e-9 on the range).
	p := float32(1.0 / 5040)
	p = float32(p*r) + 1.0/720
	p = float32(p*r) + 1.0/120
	p = float32(p*r) + 1.0/24
	p = float32(p*r) + 1.0/6
	p = float32(p*r) + 0.5
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	// Scale by 2^n in two steps so that subnormal results and n = 128
	// (x just below the overflow threshold) are represented. h is n/2
	// rounded toward zero.
	ni := int32(n)
	h := ni / 2
	return float32(p * math.Float32frombits(uint32(h+127)<<23) * math.Float32frombits(uint32(ni-h+127)<<23))
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
	t := 1 / (1 + float32(0.5*z))
	// Horner from the innermost term, one rounding per operation.
	q := float32(t*0.17087277) - 0.82215223
	q = float32(t*q) + 1.48851587
	q = float32(t*q) - 1.13520398
	q = float32(t*q) + 0.27886807
	q = float32(t*q) - 0.18628806
	q = float32(t*q) + 0.09678418
	q = float32(t*q) + 0.37409196
	q = float32(t*q) + 1.00002368
	poly := float32(-z*z) - 1.26551223 + float32(t*q)
	r := 1 - float32(t*Exp32(poly))
	if x < 0 {
		return -r
	}
	return r
}
