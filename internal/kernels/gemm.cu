// gemm.cu: C = act(alpha·A·B + bias) or C += alpha·A·B on tensor cores
// (mma.sync bf16, fp32 accumulation), the device twin of the CPU backend's
// MatMulForward and MatMulBackward (internal/cpu/matmul*.go).
//
// Shapes: C fp32 [M][N] with row stride ldc; A and B bf16, zero-padded to
// multiples of 128 in both dimensions (cvt_pad_bf16), Kp the padded inner
// size, ktiles = Kp/32. bias fp32 [N] or NULL. act is a compute.Activation
// code. accumulate: 0 stores act(alpha·A·B + bias); 1 adds alpha·A·B into C
// (parameter gradients; bias and act ignored); 2 adds with atomicAdd, for
// split-K launches (gridDim.z > 1: block z takes an equal share of the
// k-tiles; the host zeroes C first when it wants C = A·B).
//
//   gemm_nk:  A stored [Mp][Kp], B stored [Np][Kp]  (C = A·Bᵀ of storage)
//   gemm_kn:  A stored [Mp][Kp], B stored [Kp][Np]  (C = A·B)
//   gemm_tkn: A stored [Kp][Mp], B stored [Kp][Np]  (C = Aᵀ·B of storage)
//
// Launch: grid (Np/128, Mp/128, splits), block 256, no dynamic shared
// memory (48 KB static). MatMulForward uses gemm_kn (b [K,N]) or gemm_nk
// (b [N,K]); MatMulBackward uses gemm_nk / gemm_kn for da and gemm_tkn
// (split-K) for db; the contrastive loss uses gemm_kn and gemm_tkn.
#include "gemm.cuh"

// EPI_LD is the row stride of the epilogue's staging tile (64 x 128 fp32
// plus 4 floats of padding against bank conflicts: 33 KB, in the pipeline's
// shared memory, which gemm_tile leaves free).
#define EPI_LD 132

template <bool A_KR, bool B_KR>
__device__ __forceinline__ void gemm_body(float *C, int ldc, const uint16_t *A, int lda, const uint16_t *B, int ldb,
                                          const float *bias, int M, int N, int ktiles, float alpha, int act,
                                          int accumulate) {
    __shared__ __align__(128) GemmSmem sm;
    const int m0 = blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    // Split-K: this block's share of the k-tiles (the whole range when
    // gridDim.z == 1). Operands advance along k: columns of a [rows][K]
    // operand, rows of a [K][cols] one.
    const int kper = (ktiles + gridDim.z - 1) / gridDim.z;
    const int kbeg = blockIdx.z * kper;
    const int kn = min(kper, ktiles - kbeg);
    if (gridDim.z > 1 && kn <= 0)
        return; // uniform over the block: nothing to add
    A += A_KR ? (size_t)kbeg * GEMM_BK * lda : (size_t)kbeg * GEMM_BK;
    B += B_KR ? (size_t)kbeg * GEMM_BK * ldb : (size_t)kbeg * GEMM_BK;
    float acc[4][4][4];
    gemm_tile<A_KR, B_KR>(sm, A, lda, B, ldb, m0, n0, max(kn, 0), acc);

    // The epilogue goes through shared memory, half a tile (64 rows) at a
    // time: the stores to C are then coalesced row segments, and bias,
    // activation and bounds checks are one short loop instead of code
    // repeated for each of the 64 accumulators a thread holds.
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;
    float *st = reinterpret_cast<float *>(&sm);
#pragma unroll
    for (int half = 0; half < 2; half++) {
        if (wm == half) {
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++)
#pragma unroll
                    for (int hh = 0; hh < 2; hh++) {
                        int r = mi * 16 + (lane >> 2) + hh * 8, c = wn * 32 + ni * 8 + (lane & 3) * 2;
                        *reinterpret_cast<float2 *>(st + r * EPI_LD + c) =
                            make_float2(alpha * acc[mi][ni][2 * hh], alpha * acc[mi][ni][2 * hh + 1]);
                    }
        }
        __syncthreads();
        for (int i = tid; i < 64 * GEMM_BN; i += GEMM_THREADS) {
            int r = i / GEMM_BN, c = i % GEMM_BN;
            int row = m0 + half * 64 + r, col = n0 + c;
            if (row >= M || col >= N)
                continue;
            float v = st[r * EPI_LD + c];
            float *p = C + (size_t)row * ldc + col;
            if (accumulate == 2) {
                atomicAdd(p, v);
            } else if (accumulate) {
                *p += v;
            } else {
                if (bias != nullptr)
                    v += bias[col];
                *p = apply_act(v, act);
            }
        }
        __syncthreads();
    }
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
    gemm_nk(float *C, int ldc, const uint16_t *A, int lda, const uint16_t *B, int ldb, const float *bias, int M, int N,
            int ktiles, float alpha, int act, int accumulate) {
    gemm_body<false, false>(C, ldc, A, lda, B, ldb, bias, M, N, ktiles, alpha, act, accumulate);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
    gemm_kn(float *C, int ldc, const uint16_t *A, int lda, const uint16_t *B, int ldb, const float *bias, int M, int N,
            int ktiles, float alpha, int act, int accumulate) {
    gemm_body<false, true>(C, ldc, A, lda, B, ldb, bias, M, N, ktiles, alpha, act, accumulate);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
    gemm_tkn(float *C, int ldc, const uint16_t *A, int lda, const uint16_t *B, int ldb, const float *bias, int M,
             int N, int ktiles, float alpha, int act, int accumulate) {
    gemm_body<true, true>(C, ldc, A, lda, B, ldb, bias, M, N, ktiles, alpha, act, accumulate);
}
