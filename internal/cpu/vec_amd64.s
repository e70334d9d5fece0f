// AVX2 loops of the CPU backend (see vec.go). Each lane does the float64 or
// float32 operations of the scalar Go code in the same order, with no fused
// multiply-adds, so the results are the same bits.

#include "textflag.h"

// func colSums64AVX2(acc *float64, n int, src *float32, rows, ld int)
//
// acc[j] += src[i·ld+j] for j < n (a multiple of 4), i = 0, 1, ..., rows-1
// in order, in float64. Rows go four at a time, read front to back, with
// the partial sums kept in registers between the four additions.
//
// Registers: DI acc, CX n·4 (bytes of a row), SI row i, R9/R8/R11 rows
// i+1..i+3, DX ld in bytes, BX rows left, AX byte offset in the row.
TEXT ·colSums64AVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ src+16(FP), SI
	MOVQ rows+24(FP), BX
	MOVQ ld+32(FP), DX
	SHLQ $2, CX
	SHLQ $2, DX

quad:
	CMPQ BX, $4
	JLT  single
	LEAQ (SI)(DX*1), R9
	LEAQ (SI)(DX*2), R8
	LEAQ (R9)(DX*2), R11
	XORQ AX, AX

quadcol:
	VMOVUPD   (DI)(AX*2), Y0
	VCVTPS2PD (SI)(AX*1), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R9)(AX*1), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R8)(AX*1), Y1
	VADDPD    Y1, Y0, Y0
	VCVTPS2PD (R11)(AX*1), Y1
	VADDPD    Y1, Y0, Y0
	VMOVUPD   Y0, (DI)(AX*2)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JLT       quadcol
	LEAQ      (SI)(DX*4), SI
	SUBQ      $4, BX
	JMP       quad

single:
	TESTQ BX, BX
	JZ    done
	XORQ  AX, AX

singlecol:
	VMOVUPD   (DI)(AX*2), Y0
	VCVTPS2PD (SI)(AX*1), Y1
	VADDPD    Y1, Y0, Y0
	VMOVUPD   Y0, (DI)(AX*2)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JLT       singlecol
	ADDQ      DX, SI
	DECQ      BX
	JMP       single

done:
	VZEROUPPER
	RET

// func scaleAVX2(dst, src *float32, n int, c float32)
//
// dst[i] = c·src[i] in float32 for i < n (a positive multiple of 8).
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y1

scaleloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     scaleloop
	VZEROUPPER
	RET

// Constants of quickGELUGradAVX2, float64.
DATA qgConst<>+0(SB)/8, $1.0
DATA qgConst<>+8(SB)/8, $1.702
DATA qgConst<>+16(SB)/8, $60.0
DATA qgConst<>+24(SB)/8, $0x7fffffffffffffff
GLOBL qgConst<>(SB), RODATA|NOPTR, $32

// func quickGELUGradAVX2(dx, gr, x, e *float32, n int)
//
// dx[i] = float32(float64(gr[i])·d(x[i])) for i < n (a positive multiple of
// 4), d the QuickGELU derivative of quickGELUDerivExp given e[i] =
// Exp32(-1.702·x[i]): s = 1/(1+e), d = s + 1.702·x·s·(1-s), and for
// |x| >= 60 the step 1 (x > 0) or 0. Four float64 lanes.
//
// Registers: DI dx, SI gr, DX x, R8 e, CX values left; Y10 1, Y11 1.702,
// Y12 60, Y13 the float64 absolute-value mask, Y14 0.
TEXT ·quickGELUGradAVX2(SB), NOSPLIT, $0-40
	MOVQ         dx+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         e+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSD qgConst<>+0(SB), Y10
	VBROADCASTSD qgConst<>+8(SB), Y11
	VBROADCASTSD qgConst<>+16(SB), Y12
	VBROADCASTSD qgConst<>+24(SB), Y13
	VXORPD       Y14, Y14, Y14

qgloop:
	VCVTPS2PD  (DX), Y0              // x
	VCVTPS2PD  (R8), Y1              // e
	VADDPD     Y10, Y1, Y1           // 1 + e
	VDIVPD     Y1, Y10, Y2           // s = 1/(1+e)
	VMULPD     Y11, Y0, Y3           // 1.702·x
	VMULPD     Y2, Y3, Y3            // ·s
	VSUBPD     Y2, Y10, Y4           // 1 - s
	VMULPD     Y4, Y3, Y3            // ·(1-s)
	VADDPD     Y3, Y2, Y3            // d = s + ...
	VANDPD     Y13, Y0, Y5           // |x|
	VCMPPD     $0x1d, Y12, Y5, Y5    // |x| >= 60 (GE_OQ)
	VCMPPD     $0x1e, Y14, Y0, Y6    // x > 0 (GT_OQ)
	VANDPD     Y10, Y6, Y6           // the step: 1 or 0
	VBLENDVPD  Y5, Y6, Y3, Y3        // the step where |x| >= 60
	VCVTPS2PD  (SI), Y7              // g
	VMULPD     Y7, Y3, Y3            // g·d
	VCVTPD2PSY Y3, X3
	VMOVUPS    X3, (DI)
	ADDQ       $16, DI
	ADDQ       $16, SI
	ADDQ       $16, DX
	ADDQ       $16, R8
	SUBQ       $4, CX
	JNZ        qgloop
	VZEROUPPER
	RET

// func sum4AVX2(x *float32, n int, s *[4]float64)
//
// s[l] = Σ x[4i+l] over i < n/4 in order, in float64; n is a positive
// multiple of 4. (sum64's four partial sums.)
TEXT ·sum4AVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	MOVQ   s+16(FP), DI
	VXORPD Y0, Y0, Y0

sumloop:
	VCVTPS2PD (SI), Y1
	VADDPD    Y1, Y0, Y0
	ADDQ      $16, SI
	SUBQ      $4, CX
	JNZ       sumloop
	VMOVUPD   Y0, (DI)
	VZEROUPPER
	RET

// func sqDev4AVX2(x *float32, n int, mu float64, s *[4]float64)
//
// s[l] = Σ (x[4i+l]-mu)² over i < n/4 in order, in float64; n is a
// positive multiple of 4. (sumSquaredDev64's four partial sums.)
TEXT ·sqDev4AVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mu+16(FP), Y2
	MOVQ         s+24(FP), DI
	VXORPD       Y0, Y0, Y0

sqloop:
	VCVTPS2PD (SI), Y1
	VSUBPD    Y2, Y1, Y1
	VMULPD    Y1, Y1, Y1
	VADDPD    Y1, Y0, Y0
	ADDQ      $16, SI
	SUBQ      $4, CX
	JNZ       sqloop
	VMOVUPD   Y0, (DI)
	VZEROUPPER
	RET

// func lnOutAVX2(out, x, w, b *float32, n int, mu, r float64)
//
// out[j] = float32((x[j]-mu)·r)·w[j] + b[j] for j < n (a positive multiple
// of 4): the normalisation in float64, the affine map in float32.
TEXT ·lnOutAVX2(SB), NOSPLIT, $0-56
	MOVQ         out+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         w+16(FP), R8
	MOVQ         b+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSD mu+40(FP), Y10
	VBROADCASTSD r+48(FP), Y11

outloop:
	VCVTPS2PD  (SI), Y0
	VSUBPD     Y10, Y0, Y0
	VMULPD     Y11, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMULPS     (R8), X0, X0
	VADDPS     (R9), X0, X0
	VMOVUPS    X0, (DI)
	ADDQ       $16, SI
	ADDQ       $16, R8
	ADDQ       $16, R9
	ADDQ       $16, DI
	SUBQ       $4, CX
	JNZ        outloop
	VZEROUPPER
	RET

// func lnBackSums4AVX2(gr, x, w *float32, n int, mu, r float64, s *[8]float64)
//
// The row sums of the layer-norm backward, four partial sums each over
// j = 4i+l, i < n/4 in order (n a positive multiple of 4), in float64:
// with gj = gr[j]·w[j], s[l] = Σ gj and s[4+l] = Σ gj·(x[j]-mu)·r.
TEXT ·lnBackSums4AVX2(SB), NOSPLIT, $0-56
	MOVQ         gr+0(FP), SI
	MOVQ         x+8(FP), DX
	MOVQ         w+16(FP), R8
	MOVQ         n+24(FP), CX
	VBROADCASTSD mu+32(FP), Y10
	VBROADCASTSD r+40(FP), Y11
	MOVQ         s+48(FP), DI
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1

bsloop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD (R8), Y3
	VMULPD    Y3, Y2, Y2   // gj
	VADDPD    Y2, Y0, Y0
	VCVTPS2PD (DX), Y4
	VSUBPD    Y10, Y4, Y4  // x - mu
	VMULPD    Y4, Y2, Y4   // gj·(x-mu)
	VMULPD    Y11, Y4, Y4  // ·r
	VADDPD    Y4, Y1, Y1
	ADDQ      $16, SI
	ADDQ      $16, DX
	ADDQ      $16, R8
	SUBQ      $4, CX
	JNZ       bsloop
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	VZEROUPPER
	RET

// func lnBackDxAVX2(dx, gr, x, w *float32, n int, mu, r, sg, sgx float64)
//
// dx[j] = float32(r·((gj - sg) - xh·sgx)) for j < n (a positive multiple
// of 4), gj = gr[j]·w[j] and xh = (x[j]-mu)·r in float64.
TEXT ·lnBackDxAVX2(SB), NOSPLIT, $0-72
	MOVQ         dx+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         w+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSD mu+40(FP), Y10
	VBROADCASTSD r+48(FP), Y11
	VBROADCASTSD sg+56(FP), Y12
	VBROADCASTSD sgx+64(FP), Y13

dxloop:
	VCVTPS2PD  (SI), Y2
	VCVTPS2PD  (R8), Y3
	VMULPD     Y3, Y2, Y2   // gj
	VCVTPS2PD  (DX), Y4
	VSUBPD     Y10, Y4, Y4
	VMULPD     Y11, Y4, Y4  // xh
	VMULPD     Y13, Y4, Y4  // xh·sgx
	VSUBPD     Y12, Y2, Y2  // gj - sg
	VSUBPD     Y4, Y2, Y2   // - xh·sgx
	VMULPD     Y11, Y2, Y2  // ·r
	VCVTPD2PSY Y2, X2
	VMOVUPS    X2, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DX
	ADDQ       $16, R8
	ADDQ       $16, DI
	SUBQ       $4, CX
	JNZ        dxloop
	VZEROUPPER
	RET

// func lnGradColsAVX2(sw, sb *float64, n int, gr, x *float32, ld, rows int, mean, rstd *float32)
//
// The layer-norm parameter gradients of rows rows (ld apart), row after
// row, in float64: sw[j] += gr·(x-mu)·r and sb[j] += gr for j < n (a
// positive multiple of 4), mu and r the row's mean and rstd.
//
// Registers: DI sw, BX sb, CX n·4, SI/DX the rows of gr and x, R8 ld in
// bytes, R9 rows left, R10/R11 walk mean and rstd, AX byte offset in the row.
TEXT ·lnGradColsAVX2(SB), NOSPLIT, $0-72
	MOVQ sw+0(FP), DI
	MOVQ sb+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ gr+24(FP), SI
	MOVQ x+32(FP), DX
	MOVQ ld+40(FP), R8
	MOVQ rows+48(FP), R9
	MOVQ mean+56(FP), R10
	MOVQ rstd+64(FP), R11
	SHLQ $2, CX
	SHLQ $2, R8

gcrow:
	VCVTSS2SD    (R10), X10, X10
	VBROADCASTSD X10, Y10
	VCVTSS2SD    (R11), X11, X11
	VBROADCASTSD X11, Y11
	XORQ         AX, AX

gccol:
	VCVTPS2PD (SI)(AX*1), Y2
	VCVTPS2PD (DX)(AX*1), Y3
	VSUBPD    Y10, Y3, Y3
	VMULPD    Y3, Y2, Y3
	VMULPD    Y11, Y3, Y3
	VADDPD    (DI)(AX*2), Y3, Y3
	VMOVUPD   Y3, (DI)(AX*2)
	VADDPD    (BX)(AX*2), Y2, Y2
	VMOVUPD   Y2, (BX)(AX*2)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JLT       gccol
	ADDQ      R8, SI
	ADDQ      R8, DX
	ADDQ      $4, R10
	ADDQ      $4, R11
	DECQ      R9
	JNZ       gcrow
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) (m float32, nan bool)
//
// m = the largest of x[0:n] (n a positive multiple of 8) and nan whether
// any of them is NaN (VMAXPS skips NaNs; the caller makes the maximum NaN
// then, as Go's max does). Eight running maxima, reduced at the end.
TEXT ·maxAVX2(SB), NOSPLIT, $0-21
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	VXORPS  Y2, Y2, Y2

maxloop:
	VMOVUPS (SI), Y1
	VMAXPS  Y1, Y0, Y0
	VCMPPS  $0x03, Y1, Y1, Y3 // UNORD_Q: NaN lanes
	VORPS   Y3, Y2, Y2
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     maxloop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, m+16(FP)
	VPTEST       Y2, Y2
	SETNE        nan+20(FP)
	VZEROUPPER
	RET

// func subAVX2(x *float32, n int, c float32)
//
// x[i] -= c in float32 for i < n (a positive multiple of 8).
TEXT ·subAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS c+16(FP), Y1

subloop:
	VMOVUPS (DI), Y0
	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     subloop
	VZEROUPPER
	RET

// func attnGradAVX2(s, p *float32, n int, dot float64)
//
// s[j] = float32(p[j]·(s[j]-dot)) in float64 for j < n (a positive
// multiple of 4): the softmax backward of a row of attention.
TEXT ·attnGradAVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), DI
	MOVQ         p+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD dot+24(FP), Y10

agloop:
	VCVTPS2PD  (DI), Y0
	VSUBPD     Y10, Y0, Y0
	VCVTPS2PD  (SI), Y1
	VMULPD     Y0, Y1, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)
	ADDQ       $16, DI
	ADDQ       $16, SI
	SUBQ       $4, CX
	JNZ        agloop
	VZEROUPPER
	RET

// func addAVX2(out, a, b *float32, n int)
//
// out[i] = a[i] + b[i] in float32 for i < n (a positive multiple of 8);
// out may be a or b.
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

addloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     addloop
	VZEROUPPER
	RET

// func adamwAVX2(p, gr, m, v *float32, n int, c *[8]float32)
//
// One AdamW step (adamw.go) on n values (a positive multiple of 8), in
// float32 with the scalar code's operations in its order. c holds decay
// (1 without weight decay), β1, 1-β1, β2, 1-β2, sqrt(1-β2^t), eps and
// -lr/(1-β1^t).
//
// Registers: DI p, SI gr, R8 m, R9 v, CX values left, Y8-Y15 the
// constants.
TEXT ·adamwAVX2(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // decay
	VBROADCASTSS 4(AX), Y9   // β1
	VBROADCASTSS 8(AX), Y10  // 1-β1
	VBROADCASTSS 12(AX), Y11 // β2
	VBROADCASTSS 16(AX), Y12 // 1-β2
	VBROADCASTSS 20(AX), Y13 // sqrt(1-β2^t)
	VBROADCASTSS 24(AX), Y14 // eps
	VBROADCASTSS 28(AX), Y15 // -lr/(1-β1^t)

adamloop:
	VMOVUPS (SI), Y0
	VMULPS  (R8), Y9, Y2  // m·β1
	VMULPS  Y0, Y10, Y1   // (1-β1)·g
	VADDPS  Y1, Y2, Y2    // m
	VMOVUPS Y2, (R8)
	VMULPS  Y0, Y12, Y3   // (1-β2)·g
	VMULPS  Y0, Y3, Y3    // ·g
	VMULPS  (R9), Y11, Y4 // v·β2
	VADDPS  Y3, Y4, Y4    // v
	VMOVUPS Y4, (R9)
	VSQRTPS Y4, Y5
	VDIVPS  Y13, Y5, Y5   // sqrt(v)/sqrt(1-β2^t)
	VADDPS  Y14, Y5, Y5   // denom
	VMULPS  Y2, Y15, Y6   // step·m
	VDIVPS  Y5, Y6, Y6    // /denom
	VMULPS  (DI), Y8, Y7  // p·decay
	VADDPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JNZ     adamloop
	VZEROUPPER
	RET

// func sumSq16AVX2(x *float32, n int, s *[16]float64)
//
// s[l] = Σ x[16i+l]² over i < n/16 in order, in float64 (n a positive
// multiple of 16): four independent vectors of partial sums.
TEXT ·sumSq16AVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	MOVQ   s+16(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

ssloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VMULPD    Y6, Y6, Y6
	VMULPD    Y7, Y7, Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX
	JNZ       ssloop
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	VMOVUPD   Y2, 64(DI)
	VMOVUPD   Y3, 96(DI)
	VZEROUPPER
	RET
