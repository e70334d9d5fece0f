// attention.cu: fused multi-head attention, forward and backward, flash
// style (online softmax; the Tq x Tk probabilities are never stored), on
// tensor cores (mma.sync bf16, fp32 accumulation). The device twin of the
// CPU backend's AttentionForward/AttentionBackward (internal/cpu/attention*.go),
// except that the forward saves the row log-sum-exp instead of the
// probabilities.
//
// Shapes (fp32, row-major; head h uses channels h*64 .. h*64+63):
//   q, out, dout, dq [B, Tq, C];  k, v, dk, dv [B, Tk, C];  C = H*64
//   lse, D [B, H, Tq] (lse in natural-log units: log Σ_j exp(scale·q·k_j))
// Head dimension 64 only; any Tq, Tk >= 1 (CLIP: 50, 77, 197, 257); causal
// hides key j > query i and needs Tq == Tk. scale = 1/sqrt(64);
// scale_log2 = scale·log2(e). Base pointers and C must allow 16-byte float4
// loads of each row (C % 4 == 0, 16-byte aligned tensors).
//
// attn_fwd: grid (ceil(Tq/64), H, B), block 128 (4 warps x 16 query rows),
//   24 KB static shared memory. Q tile in registers; 64-key tiles of K and V
//   are converted to bf16 in shared memory.
// attn_bwd_dot: D[b,h,i] = Σ_d dout·out over the head's channels (the
//   row sum of P∘dP). grid ceil(B*Tq*H/8), block 256 (a warp per row).
// attn_bwd: grid (H, B), block 128, 41 KB static shared memory. One block
//   per (batch, head): for each 64-key tile (a warp per 16 keys) it sweeps
//   the query tiles, accumulating dK, dV in registers; dQ of each query tile
//   is written by the first key tile and read-modified-written by the next
//   ones, by the same threads, so the result needs no atomics and is
//   deterministic. dq, dk, dv are overwritten.
#include "common.cuh"

#define ATT_D 64
#define ATT_TILE 64
#define ATT_THREADS 128

// load_rows64 converts rows t0..t0+63 (row stride C floats) of the 64 head
// columns at base into a swz64 bf16 tile; rows >= T are zero.
__device__ __forceinline__ void load_rows64(uint16_t *s, const float *base, int t0, int T, int C) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int idx = tid + i * ATT_THREADS;
        int row = idx >> 4, c4 = idx & 15;
        float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
        if (t0 + row < T)
            x = *reinterpret_cast<const float4 *>(base + (size_t)(t0 + row) * C + c4 * 4);
        uint2 pk = make_uint2(pack_bf16(x.x, x.y), pack_bf16(x.z, x.w));
        *reinterpret_cast<uint2 *>(s + swz64(row, c4 >> 1) + (c4 & 1) * 4) = pk;
    }
}

// A fragments (16 rows from rb, k 16 from kk) of a swz64 tile stored
// [row][k]; B fragments of two n8 tiles (n from nb, k from kk) of a tile
// stored [n][k]; and of a tile stored [k][n] (transposed load).
__device__ __forceinline__ void frag_a64(uint32_t a[4], const uint16_t *s, int rb, int kk, int lane) {
    ldsm_x4(a, s + swz64(rb + (lane & 15), (kk >> 3) + (lane >> 4)));
}
__device__ __forceinline__ void frag_b64_nk(uint32_t b[4], const uint16_t *s, int nb, int kk, int lane) {
    ldsm_x4(b, s + swz64(nb + (lane & 7) + ((lane >> 4) << 3), (kk >> 3) + ((lane >> 3) & 1)));
}
__device__ __forceinline__ void frag_b64_kn(uint32_t b[4], const uint16_t *s, int nb, int kk, int lane) {
    ldsm_x4_t(b, s + swz64(kk + (lane & 15), (nb >> 3) + (lane >> 4)));
}
// frag_a64_t: A fragment (rows m from mb, k from kk) of a tile stored [k][m].
__device__ __forceinline__ void frag_a64_t(uint32_t a[4], const uint16_t *s, int mb, int kk, int lane) {
    ldsm_x4_t(a, s + swz64(kk + (lane & 7) + ((lane >> 4) << 3), (mb >> 3) + ((lane >> 3) & 1)));
}

// pack_a turns accumulators c[8][4] (16 rows x 64 columns) into the A
// fragment of k-step j (columns 16j..16j+15): the m16n8 accumulator layout
// of two adjacent n8 tiles is the m16k16 A layout.
__device__ __forceinline__ void pack_a(uint32_t a[4], const float c[8][4], int j) {
    a[0] = pack_bf16(c[2 * j][0], c[2 * j][1]);
    a[1] = pack_bf16(c[2 * j][2], c[2 * j][3]);
    a[2] = pack_bf16(c[2 * j + 1][0], c[2 * j + 1][1]);
    a[3] = pack_bf16(c[2 * j + 1][2], c[2 * j + 1][3]);
}

extern "C" __global__ void __launch_bounds__(ATT_THREADS)
    attn_fwd(float *out, float *lse, const float *q, const float *k, const float *v, int Tq, int Tk, int C, int H,
             int causal, float scale_log2) {
    __shared__ __align__(128) uint16_t sQ[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sK[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sV[ATT_TILE * ATT_D];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, tg = lane & 3;
    const int b = blockIdx.z, h = blockIdx.y, q0 = blockIdx.x * ATT_TILE;
    const float *qb = q + (size_t)b * Tq * C + h * ATT_D;
    const float *kb = k + (size_t)b * Tk * C + h * ATT_D;
    const float *vb = v + (size_t)b * Tk * C + h * ATT_D;

    load_rows64(sQ, qb, q0, Tq, C);
    __syncthreads();
    uint32_t qf[4][4];
#pragma unroll
    for (int kk = 0; kk < 4; kk++)
        frag_a64(qf[kk], sQ, warp * 16, kk * 16, lane);

    float o[8][4];
#pragma unroll
    for (int nt = 0; nt < 8; nt++)
#pragma unroll
        for (int r = 0; r < 4; r++)
            o[nt][r] = 0.0f;
    float mrow[2] = {-INFINITY, -INFINITY}, lrow[2] = {0.0f, 0.0f};

    int nkt = (Tk + ATT_TILE - 1) / ATT_TILE;
    if (causal)
        nkt = min(nkt, (q0 + ATT_TILE - 1) / ATT_TILE + 1);
    for (int kt = 0; kt < nkt; kt++) {
        const int k0 = kt * ATT_TILE;
        __syncthreads(); // every warp is done with the previous K, V tiles
        load_rows64(sK, kb, k0, Tk, C);
        load_rows64(sV, vb, k0, Tk, C);
        __syncthreads();

        float s[8][4];
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
            for (int r = 0; r < 4; r++)
                s[nt][r] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < 4; kk++)
#pragma unroll
            for (int np = 0; np < 4; np++) {
                uint32_t bb[4];
                frag_b64_nk(bb, sK, np * 16, kk * 16, lane);
                mma_bf16(s[2 * np], qf[kk], bb[0], bb[1]);
                mma_bf16(s[2 * np + 1], qf[kk], bb[2], bb[3]);
            }
        // Scores in log2 units; padding keys and the causal mask get -inf.
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
            for (int r = 0; r < 4; r++) {
                int key = k0 + nt * 8 + tg * 2 + (r & 1);
                int qi = q0 + warp * 16 + g + (r >> 1) * 8;
                float x = s[nt][r] * scale_log2;
                if (key >= Tk || (causal && key > qi))
                    x = -INFINITY;
                s[nt][r] = x;
            }
        // Online softmax: rescale the running sum and output by 2^(m_old-m_new).
#pragma unroll
        for (int hh = 0; hh < 2; hh++) {
            float mx = -INFINITY;
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
                mx = fmaxf(mx, fmaxf(s[nt][2 * hh], s[nt][2 * hh + 1]));
            mx = quad_max(mx);
            float mnew = fmaxf(mrow[hh], mx);
            float mref = mnew == -INFINITY ? 0.0f : mnew; // a row masked so far stays 0
            float alpha = exp2f(mrow[hh] - mref);
            mrow[hh] = mnew;
            float ps = 0.0f;
#pragma unroll
            for (int nt = 0; nt < 8; nt++) {
                o[nt][2 * hh] *= alpha;
                o[nt][2 * hh + 1] *= alpha;
                float p0 = exp2f(s[nt][2 * hh] - mref), p1 = exp2f(s[nt][2 * hh + 1] - mref);
                s[nt][2 * hh] = p0;
                s[nt][2 * hh + 1] = p1;
                ps += p0 + p1;
            }
            lrow[hh] = lrow[hh] * alpha + ps;
        }
        // O += P·V
#pragma unroll
        for (int j = 0; j < 4; j++) {
            uint32_t a[4];
            pack_a(a, s, j);
#pragma unroll
            for (int dp = 0; dp < 4; dp++) {
                uint32_t bb[4];
                frag_b64_kn(bb, sV, dp * 16, j * 16, lane);
                mma_bf16(o[2 * dp], a, bb[0], bb[1]);
                mma_bf16(o[2 * dp + 1], a, bb[2], bb[3]);
            }
        }
    }

#pragma unroll
    for (int hh = 0; hh < 2; hh++) {
        float l = quad_sum(lrow[hh]);
        float inv = l > 0.0f ? 1.0f / l : 0.0f;
        int qi = q0 + warp * 16 + g + hh * 8;
        if (qi >= Tq)
            continue;
        float *op = out + ((size_t)b * Tq + qi) * C + h * ATT_D;
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
            *reinterpret_cast<float2 *>(op + nt * 8 + tg * 2) = make_float2(o[nt][2 * hh] * inv, o[nt][2 * hh + 1] * inv);
        if (tg == 0)
            lse[((size_t)b * H + h) * Tq + qi] = (mrow[hh] + log2f(l)) * LN2;
    }
}

extern "C" __global__ void __launch_bounds__(256)
    attn_bwd_dot(float *D, const float *dout, const float *o, int B, int Tq, int C, int H) {
    const int lane = threadIdx.x & 31;
    const long w = (long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (w >= (long)B * Tq * H)
        return;
    const int h = (int)(w % H);
    const long bi = w / H; // b*Tq + i
    const size_t off = (size_t)bi * C + h * ATT_D + lane * 2;
    float2 x = *reinterpret_cast<const float2 *>(dout + off);
    float2 y = *reinterpret_cast<const float2 *>(o + off);
    float s = x.x * y.x + x.y * y.y;
#pragma unroll
    for (int m = 16; m > 0; m >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, m);
    if (lane == 0) {
        long b = bi / Tq, i = bi % Tq;
        D[((size_t)b * H + h) * Tq + i] = s;
    }
}

extern "C" __global__ void __launch_bounds__(ATT_THREADS)
    attn_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k, const float *v,
             const float *lse, const float *Dsum, int Tq, int Tk, int C, int H, int causal, float scale,
             float scale_log2) {
    __shared__ __align__(128) uint16_t sK[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sV[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sQ[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sdO[ATT_TILE * ATT_D];
    __shared__ __align__(128) uint16_t sdS[ATT_TILE * ATT_TILE]; // dSᵀ: [key][query]
    __shared__ float sL[ATT_TILE], sD[ATT_TILE];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, tg = lane & 3;
    const int h = blockIdx.x, b = blockIdx.y;
    const size_t qoff = (size_t)b * Tq * C + h * ATT_D, koff = (size_t)b * Tk * C + h * ATT_D;
    const float *qb = q + qoff, *gb = dout + qoff;
    const float *kb = k + koff, *vb = v + koff;
    float *dqb = dq + qoff, *dkb = dk + koff, *dvb = dv + koff;
    const size_t rb = ((size_t)b * H + h) * Tq;
    const int nkt = (Tk + ATT_TILE - 1) / ATT_TILE, nqt = (Tq + ATT_TILE - 1) / ATT_TILE;

    for (int kt = 0; kt < nkt; kt++) {
        const int k0 = kt * ATT_TILE;
        __syncthreads(); // the last dQ step of the previous key tile read sK
        load_rows64(sK, kb, k0, Tk, C);
        load_rows64(sV, vb, k0, Tk, C);
        __syncthreads();
        uint32_t kf[4][4], vf[4][4];
#pragma unroll
        for (int kk = 0; kk < 4; kk++) {
            frag_a64(kf[kk], sK, warp * 16, kk * 16, lane);
            frag_a64(vf[kk], sV, warp * 16, kk * 16, lane);
        }
        float dka[8][4], dva[8][4];
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
            for (int r = 0; r < 4; r++)
                dka[nt][r] = dva[nt][r] = 0.0f;

        for (int qt = causal ? kt : 0; qt < nqt; qt++) {
            const int q0 = qt * ATT_TILE;
            __syncthreads(); // previous query tile's reads of sQ, sdO, sdS, sL, sD are done
            load_rows64(sQ, qb, q0, Tq, C);
            load_rows64(sdO, gb, q0, Tq, C);
            if (tid < ATT_TILE) {
                int i = q0 + tid;
                sL[tid] = i < Tq ? lse[rb + i] * LOG2E : 0.0f;
                sD[tid] = i < Tq ? Dsum[rb + i] : 0.0f;
            }
            __syncthreads();

            // Sᵀ = K·Qᵀ for this warp's 16 keys x 64 queries.
            float st[8][4], dpt[8][4];
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
#pragma unroll
                for (int r = 0; r < 4; r++)
                    st[nt][r] = dpt[nt][r] = 0.0f;
#pragma unroll
            for (int kk = 0; kk < 4; kk++)
#pragma unroll
                for (int np = 0; np < 4; np++) {
                    uint32_t bq[4], bo[4];
                    frag_b64_nk(bq, sQ, np * 16, kk * 16, lane);
                    mma_bf16(st[2 * np], kf[kk], bq[0], bq[1]);
                    mma_bf16(st[2 * np + 1], kf[kk], bq[2], bq[3]);
                    // dPᵀ = V·dOᵀ
                    frag_b64_nk(bo, sdO, np * 16, kk * 16, lane);
                    mma_bf16(dpt[2 * np], vf[kk], bo[0], bo[1]);
                    mma_bf16(dpt[2 * np + 1], vf[kk], bo[2], bo[3]);
                }
            // Pᵀ from the saved log-sum-exp; dSᵀ = Pᵀ∘(dPᵀ - D). Masked
            // and padding entries have P = 0, hence dS = 0.
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
#pragma unroll
                for (int r = 0; r < 4; r++) {
                    int key = k0 + warp * 16 + g + (r >> 1) * 8;
                    int ql = nt * 8 + tg * 2 + (r & 1);
                    int qi = q0 + ql;
                    bool valid = key < Tk && qi < Tq && (!causal || key <= qi);
                    float p = valid ? exp2f(st[nt][r] * scale_log2 - sL[ql]) : 0.0f;
                    st[nt][r] = p;
                    dpt[nt][r] = p * (dpt[nt][r] - sD[ql]);
                }
            // dV += Pᵀ·dO and dK += dSᵀ·Q (scaled at the end).
#pragma unroll
            for (int j = 0; j < 4; j++) {
                uint32_t ap[4], as[4];
                pack_a(ap, st, j);
                pack_a(as, dpt, j);
#pragma unroll
                for (int dp = 0; dp < 4; dp++) {
                    uint32_t bo[4], bq[4];
                    frag_b64_kn(bo, sdO, dp * 16, j * 16, lane);
                    mma_bf16(dva[2 * dp], ap, bo[0], bo[1]);
                    mma_bf16(dva[2 * dp + 1], ap, bo[2], bo[3]);
                    frag_b64_kn(bq, sQ, dp * 16, j * 16, lane);
                    mma_bf16(dka[2 * dp], as, bq[0], bq[1]);
                    mma_bf16(dka[2 * dp + 1], as, bq[2], bq[3]);
                }
            }
            // dSᵀ to shared memory for dQ = dS·K over the block's 64 keys.
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
#pragma unroll
                for (int hh = 0; hh < 2; hh++) {
                    int krow = warp * 16 + g + hh * 8;
                    *reinterpret_cast<uint32_t *>(sdS + swz64(krow, nt) + tg * 2) =
                        pack_bf16(dpt[nt][2 * hh], dpt[nt][2 * hh + 1]);
                }
            __syncthreads();
            float dqa[8][4];
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
#pragma unroll
                for (int r = 0; r < 4; r++)
                    dqa[nt][r] = 0.0f;
#pragma unroll
            for (int kk = 0; kk < 4; kk++) {
                uint32_t a[4];
                frag_a64_t(a, sdS, warp * 16, kk * 16, lane);
#pragma unroll
                for (int dp = 0; dp < 4; dp++) {
                    uint32_t bk[4];
                    frag_b64_kn(bk, sK, dp * 16, kk * 16, lane);
                    mma_bf16(dqa[2 * dp], a, bk[0], bk[1]);
                    mma_bf16(dqa[2 * dp + 1], a, bk[2], bk[3]);
                }
            }
#pragma unroll
            for (int hh = 0; hh < 2; hh++) {
                int qi = q0 + warp * 16 + g + hh * 8;
                if (qi >= Tq)
                    continue;
                float *p = dqb + (size_t)qi * C;
#pragma unroll
                for (int nt = 0; nt < 8; nt++) {
                    float2 *p2 = reinterpret_cast<float2 *>(p + nt * 8 + tg * 2);
                    float2 val = make_float2(scale * dqa[nt][2 * hh], scale * dqa[nt][2 * hh + 1]);
                    if (kt > 0) {
                        float2 old = *p2;
                        val.x += old.x;
                        val.y += old.y;
                    }
                    *p2 = val;
                }
            }
        }
#pragma unroll
        for (int hh = 0; hh < 2; hh++) {
            int key = k0 + warp * 16 + g + hh * 8;
            if (key >= Tk)
                continue;
#pragma unroll
            for (int nt = 0; nt < 8; nt++) {
                int col = nt * 8 + tg * 2;
                *reinterpret_cast<float2 *>(dkb + (size_t)key * C + col) =
                    make_float2(scale * dka[nt][2 * hh], scale * dka[nt][2 * hh + 1]);
                *reinterpret_cast<float2 *>(dvb + (size_t)key * C + col) =
                    make_float2(dva[nt][2 * hh], dva[nt][2 * hh + 1]);
            }
        }
    }
}
