package sgemm

import "math"

// Vector GELU, QuickGELU and Exp32 (act_amd64.s), 16 lanes with the avx512
// kernel and 8 with the avx2-fma one: the activation follows the kernel, so
// a forced kernel (SetForceGeneric, SGEMM_KERNEL in the benchmarks) also
// picks the activation code. Each does the float32 operations of the scalar
// GELU/QuickGELU/Exp32 in the same order and gives the same bits.

// quickGELUAVX2 and geluAVX2 apply the activation to x[0:n], n a positive
// multiple of 8; quickGELU512 and gelu512 to n a positive multiple of 16.
// tab is actTab.
//
//go:noescape
func quickGELUAVX2(x *float32, n int, tab *[actCN][16]uint32)

//go:noescape
func geluAVX2(x *float32, n int, tab *[actCN][16]uint32)

//go:noescape
func quickGELU512(x *float32, n int, tab *[actCN][16]uint32)

//go:noescape
func gelu512(x *float32, n int, tab *[actCN][16]uint32)

// expAVX2 replaces x[0:n] by Exp32(x[0:n]), n a positive multiple of 8;
// exp512 likewise for n a positive multiple of 16. tab is actTab.
//
//go:noescape
func expAVX2(x *float32, n int, tab *[actCN][16]uint32)

//go:noescape
func exp512(x *float32, n int, tab *[actCN][16]uint32)

// expVector applies Exp32 to the longest prefix of x the vector code of
// kernel k covers and returns its length, as actVector does.
func expVector(k *kernel, x []float32) int {
	n := 0
	switch k {
	case &avx512Kernel:
		if n = len(x) &^ 15; n > 0 {
			exp512(&x[0], n, &actTab)
		}
		fallthrough // 8 more values with the AVX2 code
	case &avx2Kernel:
		if m := (len(x) - n) &^ 7; m > 0 {
			expAVX2(&x[n], m, &actTab)
			n += m
		}
	}
	return n
}

// actVector applies act (GELU or QuickGELU) to the longest prefix of x the
// vector code of kernel k covers and returns its length; the caller runs
// the scalar code on the rest.
func actVector(k *kernel, act Activation, x []float32) int {
	n := 0
	switch k {
	case &avx512Kernel:
		if n = len(x) &^ 15; n > 0 {
			if act == ActQuickGELU {
				quickGELU512(&x[0], n, &actTab)
			} else {
				gelu512(&x[0], n, &actTab)
			}
		}
		fallthrough // 8 more values with the AVX2 code
	case &avx2Kernel:
		if m := (len(x) - n) &^ 7; m > 0 {
			if act == ActQuickGELU {
				quickGELUAVX2(&x[n], m, &actTab)
			} else {
				geluAVX2(&x[n], m, &actTab)
			}
			n += m
		}
	}
	return n
}

// actTab holds the constants of the vector code, each repeated 16 times
// (one ZMM or, its first half, one YMM memory operand); actC* are the row
// indices, whose byte offsets (index·64) act_amd64.s spells out. The values
// are the float32 constants of the scalar code, converted by the compiler
// the same way.
var actTab = func() (t [actCN][16]uint32) {
	f := func(v float32) uint32 { return math.Float32bits(v) }
	vals := [actCN]uint32{
		actCLog2e: f(log2e), actCLn2Hi: f(ln2Hi), actCLn2Lo: f(ln2Lo),
		actCP7: f(1.0 / 5040), actCP6: f(1.0 / 720), actCP5: f(1.0 / 120), actCP4: f(1.0 / 24), actCP3: f(1.0 / 6),
		actCHalf: f(0.5), actCOne: f(1), actCExpHi: f(expHi), actCExpLo: f(expLo),
		actCInf: f(float32(math.Inf(1))), actC127: 127, actCQuick: f(-1.702), actCSqrt2: f(math.Sqrt2),
		actCAbs: 0x7fffffff, actCSign: 0x80000000, actCZero: 0,
		actCE0: f(-1.26551223), actCE1: f(1.00002368), actCE2: f(0.37409196), actCE3: f(0.09678418),
		actCE4: f(-0.18628806), actCE5: f(0.27886807), actCE6: f(-1.13520398), actCE7: f(1.48851587),
		actCE8: f(-0.82215223), actCE9: f(0.17087277),
	}
	for i, v := range vals {
		for j := range t[i] {
			t[i][j] = v
		}
	}
	return t
}()

const (
	actCLog2e = iota // 0
	actCLn2Hi        // 64
	actCLn2Lo        // 128
	actCP7           // 192: 1/7!
	actCP6           // 256
	actCP5           // 320
	actCP4           // 384
	actCP3           // 448: 1/3!
	actCHalf         // 512
	actCOne          // 576
	actCExpHi        // 640
	actCExpLo        // 704
	actCInf          // 768
	actC127          // 832: int32 127, the exponent bias
	actCQuick        // 896: -1.702
	actCSqrt2        // 960
	actCAbs          // 1024: 0x7fffffff
	actCSign         // 1088: 0x80000000
	actCZero         // 1152
	actCE0           // 1216: erfcc coefficients, -1.26551223 ...
	actCE1           // 1280
	actCE2           // 1344
	actCE3           // 1408
	actCE4           // 1472
	actCE5           // 1536
	actCE6           // 1600
	actCE7           // 1664
	actCE8           // 1728
	actCE9           // 1792: ... 0.17087277
	actCN
)
