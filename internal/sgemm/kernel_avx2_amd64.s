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

// ROWSTEP broadcasts the A value at off(AX) into yt and multiplies it into
// the row's accumulators lo, hi.
#define ROWSTEP(off, yt, lo, hi) \
	VBROADCASTSS off(AX), yt; \
	VFMADD231PS Y12, yt, lo; \
	VFMADD231PS Y13, yt, hi

// STEP does one step along k; ao and bo are its byte offsets into A and B.
#define STEP(ao, bo) \
	VMOVUPS bo(BX), Y12; \
	VMOVUPS bo+32(BX), Y13; \
	ROWSTEP(ao+0, Y14, Y0, Y1); \
	ROWSTEP(ao+4, Y15, Y2, Y3); \
	ROWSTEP(ao+8, Y14, Y4, Y5); \
	ROWSTEP(ao+12, Y15, Y6, Y7); \
	ROWSTEP(ao+16, Y14, Y8, Y9); \
	ROWSTEP(ao+20, Y15, Y10, Y11)

// Row epilogues on the accumulators lo, hi of the row at R8. ACC:
// C = alpha·acc + C (one rounding); SET: C = alpha·acc; BIAS adds the bias;
// STORE writes the row and moves to the next.
#define ACC(lo, hi) VFMADD213PS (R8), Y12, lo; VFMADD213PS 32(R8), Y12, hi
#define SET(lo, hi) VMULPS Y12, lo, lo; VMULPS Y12, hi, hi
#define BIAS(lo, hi) VADDPS Y14, lo, lo; VADDPS Y15, hi, hi
#define STORE(lo, hi) VMOVUPS lo, (R8); VMOVUPS hi, 32(R8); ADDQ SI, R8

#define ROWS(op) \
	op(Y0, Y1); op(Y2, Y3); op(Y4, Y5); \
	op(Y6, Y7); op(Y8, Y9); op(Y10, Y11)

#define ACC_BIAS_STORE(lo, hi) ACC(lo, hi); BIAS(lo, hi); STORE(lo, hi)
#define SET_BIAS_STORE(lo, hi) SET(lo, hi); BIAS(lo, hi); STORE(lo, hi)
#define ACC_STORE(lo, hi) ACC(lo, hi); STORE(lo, hi)
#define SET_STORE(lo, hi) SET(lo, hi); STORE(lo, hi)

// A row of the tile is 64 bytes: one or two cache lines.
#define PREFETCH_ROW(lo, hi) PREFETCHT0 (R8); PREFETCHT0 63(R8); ADDQ SI, R8

#define ZERO(lo, hi) VXORPS lo, lo, lo; VXORPS hi, hi, hi

TEXT ·kern6x16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), SI
	SHLQ $2, SI

	// Ask for the C rows now; they are needed only after the loop.
	MOVQ DI, R8
	ROWS(PREFETCH_ROW)
	ROWS(ZERO)

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

	ROWS(ACC_BIAS_STORE)
	VZEROUPPER
	RET

setbias:
	ROWS(SET_BIAS_STORE)
	VZEROUPPER
	RET

nobias:
	TESTQ $1, R9
	JZ    set
	ROWS(ACC_STORE)
	VZEROUPPER
	RET

set:
	ROWS(SET_STORE)
	VZEROUPPER
	RET
