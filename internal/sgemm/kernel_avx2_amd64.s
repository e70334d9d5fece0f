// 6×16 single-precision micro-kernel for AVX2 + FMA (see kernel_amd64.go).
//
// func kern6x16(k int, a, b, c *float32, ldc int, alpha float32, flags int, bias *float32)
//
// Tile C[0:6, 0:16] = alpha·Σ_k a[k·6+r]·b[k·16+col] (+ C with flagAccumulate)
// (+ bias with flagBias). Each of the 96 sums has its own accumulator lane
// and walks k in order with one FMA per step: that is what makes a result
// independent of where its row and column sit in the tile.
//
// Registers:
//   AX  packed A panel, 6 floats per step        BX  packed B panel, 16 floats per step
//   CX  steps left in the 4× unrolled loop        DX  steps left after it (k mod 4)
//   DI  C tile, row 0                              SI  ldc in bytes
//   R8  C row walker                               R9  flags
//   Y0-Y11  accumulators: row r is Y(2r) (columns 0-7) and Y(2r+1) (8-15)
//   Y12, Y13  B row of the step (columns 0-7, 8-15)
//   Y14, Y15  A value broadcast to 8 lanes; two so that a broadcast does
//             not wait for the FMAs reading the previous one
// After the loop Y12 holds alpha and Y14, Y15 the bias.
//
// Per step: 2 loads of B (from L1), 6 broadcasts of A (from L1/L2) and
// 12 FMAs, i.e. 6 cycles on two FMA pipes; 12 independent accumulators cover
// the FMA latency (4 cycles × 2 pipes = 8 in flight needed).

#include "textflag.h"

// STEP does one step along k; ao and bo are its byte offsets into A and B.
#define STEP(ao, bo) \
	VMOVUPS bo(BX), Y12; \
	VMOVUPS bo+32(BX), Y13; \
	VBROADCASTSS ao(AX), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS ao+4(AX), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS ao+8(AX), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS ao+12(AX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS ao+16(AX), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS ao+20(AX), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

// Row epilogues: lo, hi are the row's accumulators; R8 points at the row.
// ACC: C = alpha·acc + C (one rounding); SET: C = alpha·acc.
#define ROW_ACC(lo, hi) \
	VFMADD213PS (R8), Y12, lo; \
	VFMADD213PS 32(R8), Y12, hi

#define ROW_SET(lo, hi) \
	VMULPS Y12, lo, lo; \
	VMULPS Y12, hi, hi

#define ROW_BIAS(lo, hi) \
	VADDPS Y14, lo, lo; \
	VADDPS Y15, hi, hi

#define ROW_STORE(lo, hi) \
	VMOVUPS lo, (R8); \
	VMOVUPS hi, 32(R8); \
	ADDQ SI, R8

TEXT ·kern6x16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), SI
	SHLQ $2, SI

	// Ask for the C rows now; they are needed only after the loop.
	MOVQ DI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ SI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ SI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ SI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ SI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ SI, R8
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, DX
	ANDQ $3, DX
	SHRQ $2, CX
	JZ   tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ CX
	JNZ  loop4

tail:
	TESTQ DX, DX
	JZ    epilogue

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ DX
	JNZ  loop1

epilogue:
	VBROADCASTSS alpha+40(FP), Y12
	MOVQ flags+48(FP), R9
	MOVQ DI, R8
	TESTQ $2, R9
	JZ    nobias
	MOVQ bias+56(FP), R10
	VMOVUPS (R10), Y14
	VMOVUPS 32(R10), Y15
	TESTQ $1, R9
	JZ    setbias

	// accumulate, bias
	ROW_ACC(Y0, Y1); ROW_BIAS(Y0, Y1); ROW_STORE(Y0, Y1)
	ROW_ACC(Y2, Y3); ROW_BIAS(Y2, Y3); ROW_STORE(Y2, Y3)
	ROW_ACC(Y4, Y5); ROW_BIAS(Y4, Y5); ROW_STORE(Y4, Y5)
	ROW_ACC(Y6, Y7); ROW_BIAS(Y6, Y7); ROW_STORE(Y6, Y7)
	ROW_ACC(Y8, Y9); ROW_BIAS(Y8, Y9); ROW_STORE(Y8, Y9)
	ROW_ACC(Y10, Y11); ROW_BIAS(Y10, Y11); ROW_STORE(Y10, Y11)
	VZEROUPPER
	RET

setbias:
	ROW_SET(Y0, Y1); ROW_BIAS(Y0, Y1); ROW_STORE(Y0, Y1)
	ROW_SET(Y2, Y3); ROW_BIAS(Y2, Y3); ROW_STORE(Y2, Y3)
	ROW_SET(Y4, Y5); ROW_BIAS(Y4, Y5); ROW_STORE(Y4, Y5)
	ROW_SET(Y6, Y7); ROW_BIAS(Y6, Y7); ROW_STORE(Y6, Y7)
	ROW_SET(Y8, Y9); ROW_BIAS(Y8, Y9); ROW_STORE(Y8, Y9)
	ROW_SET(Y10, Y11); ROW_BIAS(Y10, Y11); ROW_STORE(Y10, Y11)
	VZEROUPPER
	RET

nobias:
	TESTQ $1, R9
	JZ    set

	ROW_ACC(Y0, Y1); ROW_STORE(Y0, Y1)
	ROW_ACC(Y2, Y3); ROW_STORE(Y2, Y3)
	ROW_ACC(Y4, Y5); ROW_STORE(Y4, Y5)
	ROW_ACC(Y6, Y7); ROW_STORE(Y6, Y7)
	ROW_ACC(Y8, Y9); ROW_STORE(Y8, Y9)
	ROW_ACC(Y10, Y11); ROW_STORE(Y10, Y11)
	VZEROUPPER
	RET

set:
	ROW_SET(Y0, Y1); ROW_STORE(Y0, Y1)
	ROW_SET(Y2, Y3); ROW_STORE(Y2, Y3)
	ROW_SET(Y4, Y5); ROW_STORE(Y4, Y5)
	ROW_SET(Y6, Y7); ROW_STORE(Y6, Y7)
	ROW_SET(Y8, Y9); ROW_STORE(Y8, Y9)
	ROW_SET(Y10, Y11); ROW_STORE(Y10, Y11)
	VZEROUPPER
	RET
