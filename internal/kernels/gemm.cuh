// gemm.cuh: the tensor-core main loop shared by gemm.cu and contrastive.cu.
//
// One thread block computes a 128x128 fp32 tile of A·B from bf16 operands:
// k-tiles of 32 stream through a 3-stage cp.async pipeline in 48 KB of
// static shared memory; 8 warps as 2 (m) x 4 (n), each a 64x32 warp tile
// of 4x4 mma.sync m16n8k16 accumulators.
//
// Operands are bf16, zero-padded to multiples of 128 in both dimensions by
// cvt_pad_bf16 (convert.cu), so tile loads need no bounds checks; only the
// epilogues check m < M and n < N. Storage layouts (ld = padded row length):
//   A_KR = false: A stored [M][K] (k contiguous);  true: A stored [K][M].
//   B_KR = false: B stored [N][K] (k contiguous);  true: B stored [K][N].
// Tiles are kept in shared memory in their storage layout; ldmatrix (plain
// or .trans) turns either into the mma fragments.
#pragma once
#include "common.cuh"

#define GEMM_BM 128
#define GEMM_BN 128
#define GEMM_BK 32
#define GEMM_STAGES 3
#define GEMM_THREADS 256
#define GEMM_TILE_ELEMS (128 * 32)

// GemmSmem is the pipeline's shared memory: 3 stages of a 128x32 A tile
// and a 128x32 B tile, 49152 bytes (the static limit).
struct GemmSmem {
    uint16_t a[GEMM_STAGES][GEMM_TILE_ELEMS];
    uint16_t b[GEMM_STAGES][GEMM_TILE_ELEMS];
};

// load_tile issues the cp.async copies of one 128x32 operand tile: rows
// r0..r0+127 and k columns k0..k0+31 of a [rows][K] operand (KR = false,
// swz32 layout), or k rows k0..k0+31 and columns r0..r0+127 of a [K][cols]
// operand (KR = true, swz128 layout). 512 chunks of 16 bytes, 2 per thread.
template <bool KR>
__device__ __forceinline__ void load_tile(uint16_t *s, const uint16_t *g, int ld, int r0, int k0, int tid) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int q = tid + i * GEMM_THREADS;
        if (!KR) {
            int row = q >> 2, ch = q & 3;
            cp_async16(s + swz32(row, ch), g + (size_t)(r0 + row) * ld + k0 + ch * 8);
        } else {
            int row = q >> 4, ch = q & 15;
            cp_async16(s + swz128(row, ch), g + (size_t)(k0 + row) * ld + r0 + ch * 8);
        }
    }
}

// load_a_frag loads the A fragment of the 16x16 block at rows mb..mb+15,
// k columns kk..kk+15 of the stage tile.
template <bool KR>
__device__ __forceinline__ void load_a_frag(uint32_t a[4], const uint16_t *s, int mb, int kk, int lane) {
    if (!KR) {
        // matrices: (m 0-7, k 0-7) (m 8-15, k 0-7) (m 0-7, k 8-15) (m 8-15, k 8-15)
        ldsm_x4(a, s + swz32(mb + (lane & 15), (kk >> 3) + (lane >> 4)));
    } else {
        // stored [k][m], transposed: (k 0-7, m 0-7) (k 0-7, m 8-15) (k 8-15, m 0-7) (k 8-15, m 8-15)
        int krow = kk + (lane & 7) + ((lane >> 4) << 3);
        ldsm_x4_t(a, s + swz128(krow, (mb >> 3) + ((lane >> 3) & 1)));
    }
}

// load_b_frag loads the B fragments of two n8 tiles, columns nb..nb+15, k
// rows kk..kk+15: b[0], b[1] for columns nb..nb+7, b[2], b[3] for nb+8...
template <bool KR>
__device__ __forceinline__ void load_b_frag(uint32_t b[4], const uint16_t *s, int nb, int kk, int lane) {
    if (!KR) {
        // stored [n][k]: (n 0-7, k 0-7) (n 0-7, k 8-15) (n 8-15, k 0-7) (n 8-15, k 8-15)
        int row = nb + (lane & 7) + ((lane >> 4) << 3);
        ldsm_x4(b, s + swz32(row, (kk >> 3) + ((lane >> 3) & 1)));
    } else {
        // stored [k][n], transposed: (k 0-7, n 0-7) (k 8-15, n 0-7) (k 0-7, n 8-15) (k 8-15, n 8-15)
        ldsm_x4_t(b, s + swz128(kk + (lane & 15), (nb >> 3) + (lane >> 4)));
    }
}

// gemm_tile computes acc = A[m0..m0+127, :] · B[:, n0..n0+127] over ktiles
// k-tiles of 32. Thread (warp w, lane l) holds, for mi, ni in 0..3 and
// r in 0..3, the element at row m0 + (w/4)*64 + mi*16 + l/4 + (r/2)*8 and
// column n0 + (w%4)*32 + ni*8 + (l%4)*2 + r%2 in acc[mi][ni][r]. It ends
// with a barrier, so the caller may reuse the shared memory at once.
template <bool A_KR, bool B_KR>
__device__ __forceinline__ void gemm_tile(GemmSmem &sm, const uint16_t *A, int lda, const uint16_t *B, int ldb,
                                          int m0, int n0, int ktiles, float acc[4][4][4]) {
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;
#pragma unroll
    for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++)
#pragma unroll
            for (int r = 0; r < 4; r++)
                acc[mi][ni][r] = 0.0f;

#pragma unroll
    for (int s = 0; s < GEMM_STAGES - 1; s++) {
        if (s < ktiles) {
            load_tile<A_KR>(sm.a[s], A, lda, m0, s * GEMM_BK, tid);
            load_tile<B_KR>(sm.b[s], B, ldb, n0, s * GEMM_BK, tid);
        }
        cp_async_commit();
    }
    for (int kt = 0; kt < ktiles; kt++) {
        // Tile kt has landed once at most STAGES-2 newer groups are pending;
        // the barrier also ends every warp's reads of the stage refilled next.
        cp_async_wait<GEMM_STAGES - 2>();
        __syncthreads();
        int nt = kt + GEMM_STAGES - 1;
        if (nt < ktiles) {
            load_tile<A_KR>(sm.a[nt % GEMM_STAGES], A, lda, m0, nt * GEMM_BK, tid);
            load_tile<B_KR>(sm.b[nt % GEMM_STAGES], B, ldb, n0, nt * GEMM_BK, tid);
        }
        cp_async_commit(); // possibly empty: keeps the group count uniform
        const uint16_t *sa = sm.a[kt % GEMM_STAGES];
        const uint16_t *sb = sm.b[kt % GEMM_STAGES];
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk += 16) {
            uint32_t af[4][4], bfr[2][4];
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
                load_a_frag<A_KR>(af[mi], sa, wm * 64 + mi * 16, kk, lane);
#pragma unroll
            for (int p = 0; p < 2; p++)
                load_b_frag<B_KR>(bfr[p], sb, wn * 32 + p * 16, kk, lane);
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++)
                    mma_bf16(acc[mi][ni], af[mi], bfr[ni >> 1][(ni & 1) * 2], bfr[ni >> 1][(ni & 1) * 2 + 1]);
        }
    }
    cp_async_wait<0>();
    __syncthreads();
}
