// 8×32 single-precision micro-kernel for AVX-512F (see kernel_amd64.go).
//
// func kern8x32(k int, a, b, c *float32, ldc int, alpha float32, flags int, bias *float32)
//
// The same contract and arithmetic as kern6x16 (one FMA chain per element,
// walking k in order; then C = alpha·acc [+ C] [+ bias]), so the two give
// the same bits. A step loads one 32-float row of B into two registers and
// broadcasts each of the 8 A values once for two FMAs: 10 loads per 16
// FMAs. Why this shape:
//   - 16 wide would need a broadcast per FMA, and the load ports, not the
//     FMA pipes, would set the pace (measured 241 against 258 GFLOP/s here);
//   - 12 rows would reuse B more, but when ldc·4 is a multiple of 4 KiB
//     (N = 1024, 3072) the 12 rows of a tile fall into the same L1 sets
//     and fill all 12 ways: 10% slower; 8 rows leave room.
// 16 accumulators are twice the 4-cycle × 2-pipe FMA latency.
//
// Registers:
//   AX  packed A panel, 8 floats per step      BX  packed B panel, 32 floats per step
//   CX  steps left in the 4× unrolled loop      DX  steps left after it (k mod 4)
//   DI  C tile, row 0                            SI  ldc in bytes
//   R8  C row walker                             R9  flags, R10 bias
//   Z0-Z15   accumulators: row r is Z(2r) (columns 0-15) and Z(2r+1) (16-31)
//   Z16, Z17 B row of the step; the bias in the epilogue
//   Z18-Z21  A values broadcast to 16 lanes, rotating so that a broadcast
//            never waits for the FMAs reading an earlier one
//   Z22      alpha (epilogue)

#include "textflag.h"

// ROWSTEP broadcasts the A value at off(AX) into zt and multiplies it into
// the row's accumulators lo, hi.
#define ROWSTEP(off, zt, lo, hi) \
	VBROADCASTSS off(AX), zt; \
	VFMADD231PS Z16, zt, lo; \
	VFMADD231PS Z17, zt, hi

// STEP does one step; ao and bo are its byte offsets into A and B.
#define STEP(ao, bo) \
	VMOVUPS bo(BX), Z16; \
	VMOVUPS bo+64(BX), Z17; \
	ROWSTEP(ao+0, Z18, Z0, Z1); \
	ROWSTEP(ao+4, Z19, Z2, Z3); \
	ROWSTEP(ao+8, Z20, Z4, Z5); \
	ROWSTEP(ao+12, Z21, Z6, Z7); \
	ROWSTEP(ao+16, Z18, Z8, Z9); \
	ROWSTEP(ao+20, Z19, Z10, Z11); \
	ROWSTEP(ao+24, Z20, Z12, Z13); \
	ROWSTEP(ao+28, Z21, Z14, Z15)

// Row epilogues on the accumulators lo, hi of the row at R8. ACC:
// C = alpha·acc + C (one rounding); SET: C = alpha·acc; BIAS adds the bias;
// STORE writes the row and moves to the next.
#define ACC(lo, hi) VFMADD213PS (R8), Z22, lo; VFMADD213PS 64(R8), Z22, hi
#define SET(lo, hi) VMULPS Z22, lo, lo; VMULPS Z22, hi, hi
#define BIAS(lo, hi) VADDPS Z16, lo, lo; VADDPS Z17, hi, hi
#define STORE(lo, hi) VMOVUPS lo, (R8); VMOVUPS hi, 64(R8); ADDQ SI, R8

#define ROWS(op) \
	op(Z0, Z1); op(Z2, Z3); op(Z4, Z5); op(Z6, Z7); \
	op(Z8, Z9); op(Z10, Z11); op(Z12, Z13); op(Z14, Z15)

#define ACC_BIAS_STORE(lo, hi) ACC(lo, hi); BIAS(lo, hi); STORE(lo, hi)
#define SET_BIAS_STORE(lo, hi) SET(lo, hi); BIAS(lo, hi); STORE(lo, hi)
#define ACC_STORE(lo, hi) ACC(lo, hi); STORE(lo, hi)
#define SET_STORE(lo, hi) SET(lo, hi); STORE(lo, hi)

// A row of the tile is 128 bytes: two or three cache lines.
#define PREFETCH_ROW(lo, hi) PREFETCHT0 (R8); PREFETCHT0 64(R8); PREFETCHT0 127(R8); ADDQ SI, R8

#define ZERO(lo, hi) VPXORD lo, lo, lo; VPXORD hi, hi, hi

TEXT ·kern8x32(SB), NOSPLIT, $0-64
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
	STEP(32, 128)
	STEP(64, 256)
	STEP(96, 384)
	ADDQ $128, AX
	ADDQ $512, BX
	DECQ CX
	JNZ  loop4

tail:
	TESTQ DX, DX
	JZ    epilogue

loop1:
	STEP(0, 0)
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ DX
	JNZ  loop1

epilogue:
	VBROADCASTSS alpha+40(FP), Z22
	MOVQ flags+48(FP), R9
	MOVQ DI, R8
	TESTQ $2, R9
	JZ    nobias
	MOVQ bias+56(FP), R10
	VMOVUPS (R10), Z16
	VMOVUPS 64(R10), Z17
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
