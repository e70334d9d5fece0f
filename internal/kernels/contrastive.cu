// contrastive.cu: the fused CLIP contrastive loss (softmax cross-entropy
// of the image->text and text->image logits, OpenCLIP's local loss with a
// row offset for sharding), forward and backward, streaming column tiles
// with an online log-sum-exp so that the b x N logits are never stored.
// The device twin of the CPU backend's ContrastiveLoss
// (internal/cpu/contrastive.go).
//
// Per direction (image->text: X = img, Y = allTxt; text->image: X = txt,
// Y = allImg), with S = scale·X·Yᵀ [R, N] and target column rowOffset + r:
//   loss_r = logΣ_j exp(S_rj) - S_r,target
//   G = (softmax_rows(S) - onehot) / (2R);  dX = scale·G·Y;  dY = scale·Gᵀ·X
//   dScale += Σ G∘(S/scale)
// X, Y are bf16 copies zero-padded to Rpad x Ep and Np x Ep (multiples of
// 128; ld = Ep) made by cvt_pad_bf16; the fp32 originals feed the target
// logits. The host (internal/cuda/contrastive.go) runs, per direction:
//   contrastive_lse: partial (max, sum) in log2 units over a range of
//     column tiles of 128. grid (Rpad/128, splits), block 256, 48 KB
//     static shared memory; part_m, part_l [splits][Rpad].
//   contrastive_lse_combine: lse2[r] = log2 Σ 2^(S·log2e) (log2 units) and
//     rowloss[r] = lse - S_r,target (natural units, fp32 target dot).
//     grid ceil(R/8), block 256 (a warp per row).
//   then, for row chunks of Rc (a multiple of 128) rows starting at c0:
//   contrastive_grad: G chunk bf16 [Rc_pad][Np] (zero outside R x N) and
//     per-block partial sums of G∘S/scale. grid (Np/128, Rc_pad/128),
//     block 256. The host follows with gemm_kn (dX rows, overwrite) and
//     gemm_tkn (dY, accumulate over chunks after the first), alpha = scale.
// and finally contrastive_finish (one block of 256): loss = Σ rowloss/(2R)
// over both directions and dScale = Σ partials, in float64.
#include "gemm.cuh"

// lse_merge folds (om, ol) into the running log2-domain max m and sum l.
__device__ __forceinline__ void lse_merge(float &m, float &l, float om, float ol) {
    float M = fmaxf(m, om);
    if (M == -INFINITY)
        return; // both empty
    l = l * exp2f(m - M) + ol * exp2f(om - M);
    m = M;
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
    contrastive_lse(float *part_m, float *part_l, const uint16_t *X, const uint16_t *Y, int ldx, int N, int Rpad,
                    int ktiles, int tilesPerSplit, float scale_log2) {
    __shared__ __align__(128) GemmSmem sm;
    // The reductions reuse the pipeline's memory (gemm_tile ends with a
    // barrier): a separate array would pass the 48 KB static limit.
    float(*red_m)[GEMM_BM] = reinterpret_cast<float(*)[GEMM_BM]>(&sm.a[0][0]);
    float(*red_l)[GEMM_BM] = red_m + 4;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;
    const int m0 = blockIdx.x * GEMM_BM, split = blockIdx.y;
    const int ntiles = (N + GEMM_BN - 1) / GEMM_BN;
    const int t0 = split * tilesPerSplit, t1 = min(t0 + tilesPerSplit, ntiles);

    float rm[4][2], rl[4][2];
#pragma unroll
    for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int hh = 0; hh < 2; hh++)
            rm[mi][hh] = -INFINITY, rl[mi][hh] = 0.0f;

    for (int t = t0; t < t1; t++) {
        float acc[4][4][4];
        gemm_tile<false, false>(sm, X, ldx, Y, ldx, m0, t * GEMM_BN, ktiles, acc);
#pragma unroll
        for (int mi = 0; mi < 4; mi++)
#pragma unroll
            for (int hh = 0; hh < 2; hh++) {
                float x[8], tmax = -INFINITY;
#pragma unroll
                for (int ni = 0; ni < 4; ni++)
#pragma unroll
                    for (int e = 0; e < 2; e++) {
                        int col = t * GEMM_BN + wn * 32 + ni * 8 + (lane & 3) * 2 + e;
                        float v = col < N ? acc[mi][ni][2 * hh + e] * scale_log2 : -INFINITY;
                        x[ni * 2 + e] = v;
                        tmax = fmaxf(tmax, v);
                    }
                if (tmax == -INFINITY)
                    continue; // only padding columns here
                float mnew = fmaxf(rm[mi][hh], tmax), s = 0.0f;
#pragma unroll
                for (int i = 0; i < 8; i++)
                    s += exp2f(x[i] - mnew);
                rl[mi][hh] = rl[mi][hh] * exp2f(rm[mi][hh] - mnew) + s;
                rm[mi][hh] = mnew;
            }
    }
    // Merge the four lanes of a row, then the four warps along n.
#pragma unroll
    for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int hh = 0; hh < 2; hh++)
#pragma unroll
            for (int off = 1; off <= 2; off <<= 1) {
                float om = __shfl_xor_sync(0xffffffffu, rm[mi][hh], off);
                float ol = __shfl_xor_sync(0xffffffffu, rl[mi][hh], off);
                lse_merge(rm[mi][hh], rl[mi][hh], om, ol);
            }
    if ((lane & 3) == 0) {
#pragma unroll
        for (int mi = 0; mi < 4; mi++)
#pragma unroll
            for (int hh = 0; hh < 2; hh++) {
                int row = wm * 64 + mi * 16 + (lane >> 2) + hh * 8;
                red_m[wn][row] = rm[mi][hh];
                red_l[wn][row] = rl[mi][hh];
            }
    }
    __syncthreads();
    if (tid < GEMM_BM) {
        float m = red_m[0][tid], l = red_l[0][tid];
#pragma unroll
        for (int w = 1; w < 4; w++)
            lse_merge(m, l, red_m[w][tid], red_l[w][tid]);
        part_m[(size_t)split * Rpad + m0 + tid] = m;
        part_l[(size_t)split * Rpad + m0 + tid] = l;
    }
}

extern "C" __global__ void __launch_bounds__(256)
    contrastive_lse_combine(float *lse2, float *rowloss, const float *part_m, const float *part_l, int splits,
                            int Rpad, const float *X, const float *Y, int R, int E, int rowOffset, float scale) {
    const int lane = threadIdx.x & 31;
    const int r = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (r >= R)
        return;
    float m = -INFINITY, l = 0.0f;
    for (int s = lane; s < splits; s += 32)
        lse_merge(m, l, part_m[(size_t)s * Rpad + r], part_l[(size_t)s * Rpad + r]);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        float om = __shfl_xor_sync(0xffffffffu, m, off);
        float ol = __shfl_xor_sync(0xffffffffu, l, off);
        lse_merge(m, l, om, ol);
    }
    const float *x = X + (size_t)r * E, *y = Y + (size_t)(rowOffset + r) * E;
    float dot = 0.0f;
    for (int e = lane; e < E; e += 32)
        dot += x[e] * y[e];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        dot += __shfl_xor_sync(0xffffffffu, dot, off);
    if (lane == 0) {
        float L2 = m + log2f(l);
        lse2[r] = L2;
        rowloss[r] = L2 * LN2 - scale * dot;
    }
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
    contrastive_grad(uint16_t *G, int ldg, float *dscale_part, const uint16_t *X, const uint16_t *Y, int ldx,
                     const float *lse2, int R, int N, int c0, int rowOffset, int ktiles, float scale_log2,
                     float inv2R) {
    __shared__ __align__(128) GemmSmem sm;
    float *red = reinterpret_cast<float *>(&sm.a[0][0]); // reused after gemm_tile's barrier
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;
    const int m0 = c0 + blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    float acc[4][4][4];
    gemm_tile<false, false>(sm, X, ldx, Y, ldx, m0, n0, ktiles, acc);

    float dsum = 0.0f;
#pragma unroll
    for (int mi = 0; mi < 4; mi++)
#pragma unroll
        for (int hh = 0; hh < 2; hh++) {
            int row = m0 + wm * 64 + mi * 16 + (lane >> 2) + hh * 8;
            bool rv = row < R;
            float l = rv ? lse2[row] : 0.0f;
            int target = rowOffset + row;
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {
                int col = n0 + wn * 32 + ni * 8 + (lane & 3) * 2;
                float gv[2];
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    float x = acc[mi][ni][2 * hh + e], gg = 0.0f;
                    if (rv && col + e < N) {
                        float p = exp2f(x * scale_log2 - l);
                        gg = (p - (col + e == target ? 1.0f : 0.0f)) * inv2R;
                        dsum += gg * x;
                    }
                    gv[e] = gg;
                }
                *reinterpret_cast<uint32_t *>(G + (size_t)(row - c0) * ldg + col) = pack_bf16(gv[0], gv[1]);
            }
        }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        dsum += __shfl_xor_sync(0xffffffffu, dsum, off);
    if (lane == 0)
        red[warp] = dsum;
    __syncthreads();
    if (tid == 0) {
        float s = 0.0f;
#pragma unroll
        for (int w = 0; w < GEMM_THREADS / 32; w++)
            s += red[w];
        dscale_part[blockIdx.y * gridDim.x + blockIdx.x] = s;
    }
}

extern "C" __global__ void __launch_bounds__(256)
    contrastive_finish(float *loss, float *dscale, const float *rowloss, int nrows, const float *parts, int nparts,
                       float inv2R) {
    __shared__ double ra[256], rb[256];
    const int tid = threadIdx.x;
    double a = 0.0, b = 0.0;
    for (int i = tid; i < nrows; i += 256)
        a += rowloss[i];
    for (int i = tid; i < nparts; i += 256)
        b += parts[i];
    ra[tid] = a;
    rb[tid] = b;
    __syncthreads();
    for (int s = 128; s > 0; s >>= 1) {
        if (tid < s) {
            ra[tid] += ra[tid + s];
            rb[tid] += rb[tid + s];
        }
        __syncthreads();
    }
    if (tid == 0) {
        if (loss != nullptr)
            loss[0] = (float)(ra[0] * inv2R);
        if (dscale != nullptr)
            dscale[0] = (float)rb[0];
    }
}
