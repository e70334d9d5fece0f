// convert.cu: the memory-bound helpers around the tensor-core kernels.
//
// cvt_pad_bf16: dst bf16 [rowsPad][colsPad] = src fp32 [rows][cols] (row
//   stride ld) rounded to nearest even, zero outside rows x cols. colsPad
//   must be a multiple of 8. Each thread writes one 16-byte chunk (8
//   values) per step of a grid-stride loop. Launch: block 256, any grid
//   (the host uses min(ceil(rowsPad*colsPad/8/256), 8192)).
//
// colsum_accum: dbias[n] += Σ_m g[m][n] for g fp32 [M][N] (MatMulBackward's
//   bias gradient, accumulating like every parameter gradient). Launch:
//   block (32, 8), grid (ceil(N/32), ceil(M/rowsPerBlock)); partial sums
//   of each block are added with atomicAdd.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    cvt_pad_bf16(uint16_t *dst, int rowsPad, int colsPad, const float *src, int rows, int cols, int ld) {
    const int chunksPerRow = colsPad >> 3;
    const size_t total = (size_t)rowsPad * chunksPerRow;
    const bool vec = (ld & 3) == 0 && ((uintptr_t)src & 15) == 0;
    for (size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x; q < total; q += (size_t)gridDim.x * blockDim.x) {
        int r = (int)(q / chunksPerRow);
        int c0 = (int)(q % chunksPerRow) * 8;
        float v[8];
        if (r < rows && vec && c0 + 8 <= cols) {
            const float4 *p = reinterpret_cast<const float4 *>(src + (size_t)r * ld + c0);
            float4 x = p[0], y = p[1];
            v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
            v[4] = y.x, v[5] = y.y, v[6] = y.z, v[7] = y.w;
        } else {
#pragma unroll
            for (int j = 0; j < 8; j++)
                v[j] = (r < rows && c0 + j < cols) ? src[(size_t)r * ld + c0 + j] : 0.0f;
        }
        uint4 o;
        o.x = pack_bf16(v[0], v[1]);
        o.y = pack_bf16(v[2], v[3]);
        o.z = pack_bf16(v[4], v[5]);
        o.w = pack_bf16(v[6], v[7]);
        *reinterpret_cast<uint4 *>(dst + (size_t)r * colsPad + c0) = o;
    }
}

extern "C" __global__ void __launch_bounds__(256)
    colsum_accum(float *dbias, const float *g, int M, int N, int rowsPerBlock) {
    __shared__ float red[8][33];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int col = blockIdx.x * 32 + tx;
    const int r0 = blockIdx.y * rowsPerBlock;
    const int r1 = min(M, r0 + rowsPerBlock);
    float s = 0.0f;
    if (col < N)
        for (int r = r0 + ty; r < r1; r += 8)
            s += g[(size_t)r * N + col];
    red[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && col < N) {
        float t = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; i++)
            t += red[i][tx];
        atomicAdd(dbias + col, t);
    }
}
