// Vector GELU, QuickGELU and Exp32 (see act_amd64.go): AVX2 (8 lanes) and
// AVX-512F (16 lanes). Every value goes through the float32 operations of the scalar
// Exp32, erf32, GELU and QuickGELU (fastmath.go, act.go) in the same order,
// with the same constants and no fused multiply-adds, so that the results
// are the same bits. Special cases are computed along and then replaced:
// Exp32 is +Inf above expHi, 0 below expLo and its argument when NaN;
// erf32 is its argument when NaN.
//
// func quickGELUAVX2(x *float32, n int, tab *[actCN][16]uint32)
// func geluAVX2(x *float32, n int, tab *[actCN][16]uint32)
// func quickGELU512(x *float32, n int, tab *[actCN][16]uint32)
// func gelu512(x *float32, n int, tab *[actCN][16]uint32)
// func expAVX2(x *float32, n int, tab *[actCN][16]uint32)
// func exp512(x *float32, n int, tab *[actCN][16]uint32)
//
// replace x[0:n] by the activation (or Exp32); n is a positive multiple of
// 8 (AVX2) or 16 (AVX-512).
//
// Registers: DI walks x, CX counts the values left, R8 points at actTab (tab),
// whose rows of 16 equal values are full-width memory operands (an AVX2
// instruction reads the first 8).

#include "textflag.h"

// actTab rows (act_amd64.go: actC*), byte offsets from R8.
#define LOG2E 0(R8)
#define LN2HI 64(R8)
#define LN2LO 128(R8)
#define P7 192(R8)
#define P6 256(R8)
#define P5 320(R8)
#define P4 384(R8)
#define P3 448(R8)
#define HALF 512(R8)
#define ONE 576(R8)
#define EXPHI 640(R8)
#define EXPLO 704(R8)
#define INF 768(R8)
#define BIAS127 832(R8)
#define QUICK 896(R8)
#define SQRT2 960(R8)
#define ABSMASK 1024(R8)
#define SIGNMASK 1088(R8)
#define ZERO 1152(R8)
#define E0 1216(R8)
#define E1 1280(R8)
#define E2 1344(R8)
#define E3 1408(R8)
#define E4 1472(R8)
#define E5 1536(R8)
#define E6 1600(R8)
#define E7 1664(R8)
#define E8 1728(R8)
#define E9 1792(R8)

// Compare predicates.
#define LT_OS $0x01
#define UNORD_Q $0x03
#define GT_OQ $0x1e

// EXP_CORE: out = p·2^h·2^(ni-h), Exp32(x) before its special cases; a,
// b, c are scratch; x is kept. round is the width's rounding instruction
// (VROUNDPS or VRNDSCALEPS; immediate 0: to nearest, ties to even).
#define EXP_CORE(round, x, out, a, b, c) \
	VMULPS LOG2E, x, a; \           // x·log2e
	round $0, a, a; \               // n
	VMULPS LN2HI, a, b; \
	VSUBPS b, x, b; \               // x - n·ln2Hi
	VMULPS LN2LO, a, out; \
	VSUBPS out, b, b; \             // r = x - n·ln2Hi - n·ln2Lo
	VMULPS P7, b, out; \            // p = 1/5040·r + 1/720 ...
	VADDPS P6, out, out; \
	VMULPS b, out, out; \
	VADDPS P5, out, out; \
	VMULPS b, out, out; \
	VADDPS P4, out, out; \
	VMULPS b, out, out; \
	VADDPS P3, out, out; \
	VMULPS b, out, out; \
	VADDPS HALF, out, out; \
	VMULPS b, out, out; \
	VADDPS ONE, out, out; \
	VMULPS b, out, out; \
	VADDPS ONE, out, out; \         // ... p·r + 1
	VCVTTPS2DQ a, a; \              // ni (n is an integer)
	VPSRLD $31, a, c; \
	VPADDD a, c, c; \
	VPSRAD $1, c, c; \              // h = ni/2 toward zero
	VPSUBD c, a, a; \               // ni - h
	VPADDD BIAS127, c, c; \
	VPSLLD $23, c, c; \             // 2^h
	VPADDD BIAS127, a, a; \
	VPSLLD $23, a, a; \             // 2^(ni-h)
	VMULPS c, out, out; \
	VMULPS a, out, out               // p·2^h·2^(ni-h)

// EXP_Y: out = Exp32(x), 8 lanes; a, b, c are scratch; x is kept.
#define EXP_Y(x, out, a, b, c) \
	EXP_CORE(VROUNDPS, x, out, a, b, c); \
	VCMPPS GT_OQ, EXPHI, x, c; \
	VBLENDVPS c, INF, out, out; \   // +Inf above expHi
	VCMPPS LT_OS, EXPLO, x, c; \
	VANDNPS out, c, out; \          // 0 below expLo
	VCMPPS UNORD_Q, x, x, c; \
	VBLENDVPS c, x, out, out        // x when NaN

// EXP_Z: EXP_Y on 16 lanes; k is a mask register.
#define EXP_Z(x, out, a, b, c, k) \
	EXP_CORE(VRNDSCALEPS, x, out, a, b, c); \
	VCMPPS GT_OQ, EXPHI, x, k; \
	VMOVUPS INF, k, out; \
	VCMPPS LT_OS, EXPLO, x, k; \
	VPXORD out, out, k, out; \
	VCMPPS UNORD_Q, x, x, k; \
	VMOVAPS x, k, out

// ERF_ARG: for z = |a| >= 0, t = 1/(1 + 0.5·z) and poly = -z·z - 1.26551223
// + t·q(t), the argument of erf32's Exp32. xor is the width's bitwise xor
// (VXORPS; VPXORD on 16 lanes, where VXORPS needs AVX-512DQ).
#define ERF_ARG(xor, z, t, q, poly) \
	VMULPS HALF, z, t; \
	VADDPS ONE, t, t; \
	VMOVUPS ONE, q; \
	VDIVPS t, q, t; \               // t = 1/(1 + 0.5·z)
	VMULPS E9, t, q; \              // q = t·0.17087277 - 0.82215223 ...
	VADDPS E8, q, q; \
	VMULPS t, q, q; \
	VADDPS E7, q, q; \
	VMULPS t, q, q; \
	VADDPS E6, q, q; \
	VMULPS t, q, q; \
	VADDPS E5, q, q; \
	VMULPS t, q, q; \
	VADDPS E4, q, q; \
	VMULPS t, q, q; \
	VADDPS E3, q, q; \
	VMULPS t, q, q; \
	VADDPS E2, q, q; \
	VMULPS t, q, q; \
	VADDPS E1, q, q; \              // ... t·q + 1.00002368
	VMULPS t, q, q; \               // t·q
	VMULPS z, z, poly; \
	xor SIGNMASK, poly, poly; \     // -z·z
	VADDPS E0, poly, poly; \        // -z·z - 1.26551223
	VADDPS q, poly, poly

// Exp32 (ExpSlice), two vectors an iteration while at least two remain so
// that two independent chains overlap.
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8
	CMPQ CX, $16
	JLT eloop8

eloop16:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y6
	EXP_Y(Y0, Y1, Y2, Y3, Y4)
	EXP_Y(Y6, Y7, Y8, Y9, Y10)
	VMOVUPS Y1, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE eloop16
	TESTQ CX, CX
	JZ edone8

eloop8:
	VMOVUPS (DI), Y0
	EXP_Y(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ eloop8

edone8:
	VZEROUPPER
	RET

TEXT ·exp512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8
	CMPQ CX, $32
	JLT eloop16z

eloop32:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z6
	EXP_Z(Z0, Z1, Z2, Z3, Z4, K1)
	EXP_Z(Z6, Z7, Z8, Z9, Z10, K2)
	VMOVUPS Z1, (DI)
	VMOVUPS Z7, 64(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE eloop32
	TESTQ CX, CX
	JZ edone16

eloop16z:
	VMOVUPS (DI), Z0
	EXP_Z(Z0, Z1, Z2, Z3, Z4, K1)
	VMOVUPS Z1, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ eloop16z

edone16:
	VZEROUPPER
	RET

// QuickGELU: x / (1 + Exp32(-1.702·x)).
TEXT ·quickGELUAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8

qloop8:
	VMOVUPS (DI), Y0
	VMULPS QUICK, Y0, Y1
	EXP_Y(Y1, Y2, Y3, Y4, Y5)
	VADDPS ONE, Y2, Y2
	VDIVPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ qloop8
	VZEROUPPER
	RET

TEXT ·quickGELU512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8

qloop16:
	VMOVUPS (DI), Z0
	VMULPS QUICK, Z0, Z1
	EXP_Z(Z1, Z2, Z3, Z4, Z5, K1)
	VADDPS ONE, Z2, Z2
	VDIVPS Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ qloop16
	VZEROUPPER
	RET

// GELU: 0.5·x · (1 + erf32(x·√2/2)), where for z = |a|, t = 1/(1 + 0.5·z),
// erf32(a) = ±(1 - t·Exp32(-z·z - 1.26551223 + t·q(t))), q by Horner.
// Y/Z registers: 0 x, 1 a, 2 z, 3 t, 4 q, 5 poly, 6 Exp32 and erf, 7-9 scratch.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8

gloop8:
	VMOVUPS (DI), Y0
	VMULPS SQRT2, Y0, Y1
	VMULPS HALF, Y1, Y1             // a = x·√2/2 (x·√2 / 2 is the same value)
	VANDPS ABSMASK, Y1, Y2          // z = |a|
	ERF_ARG(VXORPS, Y2, Y3, Y4, Y5)  // t, poly
	EXP_Y(Y5, Y6, Y7, Y8, Y9)
	VMULPS Y3, Y6, Y6
	VMOVUPS ONE, Y7
	VSUBPS Y6, Y7, Y6               // 1 - t·Exp32(poly)
	VCMPPS LT_OS, ZERO, Y1, Y7
	VANDPS SIGNMASK, Y7, Y7
	VXORPS Y7, Y6, Y6               // negated where a < 0
	VCMPPS UNORD_Q, Y1, Y1, Y7
	VBLENDVPS Y7, Y1, Y6, Y6        // erf32(a); a when NaN
	VADDPS ONE, Y6, Y6
	VMULPS HALF, Y0, Y0
	VMULPS Y6, Y0, Y0               // 0.5·x · (1 + erf)
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ gloop8
	VZEROUPPER
	RET

TEXT ·gelu512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8

gloop16:
	VMOVUPS (DI), Z0
	VMULPS SQRT2, Z0, Z1
	VMULPS HALF, Z1, Z1
	VPANDD ABSMASK, Z1, Z2
	ERF_ARG(VPXORD, Z2, Z3, Z4, Z5)
	EXP_Z(Z5, Z6, Z7, Z8, Z9, K1)
	VMULPS Z3, Z6, Z6
	VMOVUPS ONE, Z7
	VSUBPS Z6, Z7, Z6
	VCMPPS LT_OS, ZERO, Z1, K1
	VPXORD SIGNMASK, Z6, K1, Z6
	VCMPPS UNORD_Q, Z1, Z1, K1
	VMOVAPS Z1, K1, Z6
	VADDPS ONE, Z6, Z6
	VMULPS HALF, Z0, Z0
	VMULPS Z6, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ gloop16
	VZEROUPPER
	RET
