// AVX2 panel packers (see pack_amd64.go), used by both assembly kernels.
// The transposing ones turn 8 steps of 6 or 8 source rows into 8 packed
// steps with register shuffles, so that every load and store is a vector:
// the scalar scatter they replace costs several cycles per value.
//
// Registers (transposing functions):
//   CX  8-step groups left            SI  source row 0, advanced 32 bytes a group
//   DX  source leading dim in bytes    DI  destination, advanced 8 steps a group
//   BX  destination step in bytes      R8-R11  more source row pointers
//   Y0-Y7  eight rows in               Y8-Y15  transpose temporaries, then the steps out

#include "textflag.h"

// TRANSPOSE8 transposes Y0..Y7 (row i in Yi) into Y8..Y15: afterwards
// Y(8+i) holds element i of every row. Three rounds: interleave pairs of
// rows, then pairs of pairs, then exchange 128-bit halves. Y0..Y7 are
// clobbered.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func pack6x8(groups int, src *float32, lda int, dst *float32)
//
// Packs 6 rows of A (stored [M,K], row r at src + r·lda) times 8·groups
// steps into dst, 6 values per step. Each step is stored as 8 values: the
// last 2 (from the unused rows 6 and 7) are overwritten by the next step,
// and the final step writes 2 values past the panel (packSlack).
TEXT ·pack6x8(SB), NOSPLIT, $0-32
	MOVQ groups+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ dst+24(FP), DI
	SHLQ $2, DX
	LEAQ (SI)(DX*2), R8 // row 2
	LEAQ (R8)(DX*2), R9 // row 4

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(DX*1), Y1
	VMOVUPS (R8), Y2
	VMOVUPS (R8)(DX*1), Y3
	VMOVUPS (R9), Y4
	VMOVUPS (R9)(DX*1), Y5
	TRANSPOSE8
	VMOVUPS Y8, 0(DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	VMOVUPS Y15, 168(DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $192, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

// func pack8x8(groups int, src *float32, ld int, dst *float32, dstride int)
//
// Packs 8 rows of src (row r at src + r·ld) times 8·groups steps: step k
// goes to dst + k·dstride (8 values).
TEXT ·pack8x8(SB), NOSPLIT, $0-40
	MOVQ groups+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ dstride+32(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	LEAQ (SI)(DX*4), R8  // row 4
	LEAQ (DX)(DX*2), R11 // 3·ld
	LEAQ (BX)(BX*2), R10 // 3·dstride

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(DX*1), Y1
	VMOVUPS (SI)(DX*2), Y2
	VMOVUPS (SI)(R11*1), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R8)(DX*1), Y5
	VMOVUPS (R8)(DX*2), Y6
	VMOVUPS (R8)(R11*1), Y7
	TRANSPOSE8
	MOVQ DI, R9
	VMOVUPS Y8, (R9)
	VMOVUPS Y9, (R9)(BX*1)
	VMOVUPS Y10, (R9)(BX*2)
	VMOVUPS Y11, (R9)(R10*1)
	LEAQ (R9)(BX*4), R9
	VMOVUPS Y12, (R9)
	VMOVUPS Y13, (R9)(BX*1)
	VMOVUPS Y14, (R9)(BX*2)
	VMOVUPS Y15, (R9)(R10*1)
	LEAQ (R9)(BX*4), DI
	ADDQ $32, SI
	ADDQ $32, R8
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

// func copyBlock(kb, panels int, src *float32, ld int, dst *float32, w int)
//
// Packs panels panels of w contiguous values per step (w = 6, 8, 16 or 32)
// from kb source rows (ld apart): panel q's step k, the w values at
// src + k·ld + q·w, goes to dst + q·w·kb + k·w. It walks the rows in
// chunks of 8 steps and, within a chunk, panel by panel, so that every
// source row is read front to back (8 sequential streams a chunk) and each
// cache line read is used up before it leaves L1; each copy also prefetches
// the same place 8 rows down, the next chunk. Packing panel by panel read
// one short run from each of kb rows ld apart instead: with ld a multiple of
// 1 KiB those runs share a few L1 sets, miss again for the next panel, and
// cross a page each, out of reach of the hardware prefetchers. (Measured on
// the transposed-A products of training, dW = dYᵀ·X: the packing went from
// a quarter of the product's time to an eighth.)
//
// Registers: AX steps left, BX panels, CX panels left in a chunk, DX ld in
// bytes, SI/DI the chunk's first source row and destination, R8 w in bytes,
// R9 panel stride in the destination (w·kb·4), R10 bytes a panel gets in
// this chunk, R11 the panel's source, R12 its destination (walks), R13
// source row (walks), R14 end of the panel's part of the chunk.
TEXT ·copyBlock(SB), NOSPLIT, $0-48
	MOVQ kb+0(FP), AX
	MOVQ panels+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), DX
	MOVQ dst+32(FP), DI
	MOVQ w+40(FP), R8
	SHLQ $2, DX
	SHLQ $2, R8
	MOVQ AX, R9
	IMULQ R8, R9

chunk:
	MOVQ  $8, R10
	CMPQ  AX, $8
	CMOVQLT AX, R10  // steps in this chunk
	IMULQ R8, R10    // bytes a panel gets
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  BX, CX

panel:
	MOVQ R11, R13
	LEAQ (R12)(R10*1), R14
	CMPQ R8, $32
	JEQ  w8
	CMPQ R8, $64
	JEQ  w16
	CMPQ R8, $128
	JEQ  w32

w6:
	PREFETCHT0 (R13)(DX*8)
	VMOVUPS (R13), X0
	VMOVQ   16(R13), X1
	VMOVUPS X0, (R12)
	VMOVQ   X1, 16(R12)
	ADDQ    DX, R13
	ADDQ    $24, R12
	CMPQ    R12, R14
	JLT     w6
	JMP     next

w8:
	PREFETCHT0 (R13)(DX*8)
	VMOVUPS (R13), Y0
	VMOVUPS Y0, (R12)
	ADDQ    DX, R13
	ADDQ    $32, R12
	CMPQ    R12, R14
	JLT     w8
	JMP     next

w16:
	PREFETCHT0 (R13)(DX*8)
	PREFETCHT0 60(R13)(DX*8)
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	ADDQ    DX, R13
	ADDQ    $64, R12
	CMPQ    R12, R14
	JLT     w16
	JMP     next

w32:
	PREFETCHT0 (R13)(DX*8)
	PREFETCHT0 64(R13)(DX*8)
	PREFETCHT0 124(R13)(DX*8)
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	VMOVUPS 64(R13), Y2
	VMOVUPS 96(R13), Y3
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)
	ADDQ    DX, R13
	ADDQ    $128, R12
	CMPQ    R12, R14
	JLT     w32

next:
	// The next panel: its source is w values on, its destination a panel
	// stride on from where this panel's part of the chunk began.
	ADDQ R8, R11
	SUBQ R10, R12
	ADDQ R9, R12
	DECQ CX
	JNZ  panel

	// The next chunk: 8 rows down, 8 steps on.
	LEAQ (SI)(DX*8), SI
	ADDQ R10, DI
	SUBQ $8, AX
	JGT  chunk
	VZEROUPPER
	RET
