// common.cuh: device helpers shared by the kernels of internal/kernels.
//
// Inline PTX for the Ampere-level instructions the kernels use (cp.async,
// ldmatrix, mma.sync bf16), bf16 packing and the shared-memory swizzles.
// Everything here compiles with nvcc 11.8 for compute_80 (PTX ISA 7.8); the
// driver JIT-compiles that PTX for Hopper.
#pragma once

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#error "internal/kernels needs compute_80 or newer (cp.async, ldmatrix, bf16 mma)"
#endif

#include <cuda_bf16.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;

#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f

// Activation codes: the values of compute.Activation.
#define ACT_NONE 0
#define ACT_GELU 1
#define ACT_QUICKGELU 2
#define ACT_RELU 3

// gelu and quick_gelu are the activations the CPU backend fuses
// (internal/sgemm): exact erf GELU and x*sigmoid(1.702x), with the accurate
// erff/expf. Not inlined: a GEMM epilogue applies them to 128 accumulators
// per thread, and inlining erff that often makes the PTX megabytes long.
__device__ __noinline__ float gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
__device__ __noinline__ float quick_gelu(float x) { return x / (1.0f + expf(-1.702f * x)); }

// apply_act applies activation code act (compute.Activation) to x.
__device__ __forceinline__ float apply_act(float x, int act) {
    switch (act) {
    case ACT_GELU:
        return gelu(x);
    case ACT_QUICKGELU:
        return quick_gelu(x);
    case ACT_RELU:
        return fmaxf(x, 0.0f);
    default:
        return x;
    }
}

// smem_addr is the shared-state-space address of a generic pointer into
// shared memory, as cp.async and ldmatrix want it.
__device__ __forceinline__ uint32_t smem_addr(const void *p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}

// cp_async16 copies 16 bytes global -> shared without going through
// registers (L2 only: .cg).
__device__ __forceinline__ void cp_async16(void *dst_smem, const void *src_gmem) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_addr(dst_smem)), "l"(src_gmem));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// cp_async_wait<N> waits until at most N committed groups are pending.
template <int N> __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// ldsm_x4 loads four 8x8 b16 matrices; lanes 8i..8i+7 give the row
// addresses of matrix i, and register i receives matrix i in the mma
// fragment layout (thread t holds row t/4, elements 2(t%4) and 2(t%4)+1).
__device__ __forceinline__ void ldsm_x4(uint32_t r[4], const void *p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(p)));
}

// ldsm_x4_t is ldsm_x4 with each 8x8 matrix transposed: thread t receives
// column t/4, rows 2(t%4) and 2(t%4)+1 of the stored matrix.
__device__ __forceinline__ void ldsm_x4_t(uint32_t r[4], const void *p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(p)));
}

// mma_bf16 is d += a*b for one m16n8k16 tile: a the 16x16 row-major A
// fragment (4 registers of bf16 pairs), b0/b1 the 16x8 column-major B
// fragment, d the 16x8 fp32 accumulator. Fragment layouts (g = lane/4,
// c = lane%4): a0 (row g, k 2c..2c+1), a1 (row g+8, same k), a2 (row g,
// k 2c+8..), a3 (row g+8, k 2c+8..); b0 (k 2c..2c+1, col g), b1 (k 2c+8..,
// col g); d0,d1 (row g, cols 2c, 2c+1), d2,d3 (row g+8, same cols).
__device__ __forceinline__ void mma_bf16(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// pack_bf16 rounds two floats to bf16 and packs them, lo in the low half
// (the element with the smaller column index in a fragment).
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t *>(&v);
}

// Shared-memory tiles are stored in 16-byte chunks (8 bf16) with an XOR
// swizzle of the chunk index so that the eight row addresses of one
// ldmatrix phase fall into distinct bank groups.
//
// swz32: tile of rows of 32 bf16 (4 chunks, 64 bytes): chunk ^ ((row/2)%4).
__device__ __forceinline__ int swz32(int row, int chunk) { return row * 32 + ((chunk ^ ((row >> 1) & 3)) << 3); }
// swz64: rows of 64 bf16 (8 chunks, 128 bytes): chunk ^ (row%8).
__device__ __forceinline__ int swz64(int row, int chunk) { return row * 64 + ((chunk ^ (row & 7)) << 3); }
// swz128: rows of 128 bf16 (16 chunks, 256 bytes): chunk ^ (row%8).
__device__ __forceinline__ int swz128(int row, int chunk) { return row * 128 + ((chunk ^ (row & 7)) << 3); }

// quad_max/quad_sum reduce over the four lanes of a quad (lanes 4g..4g+3),
// the lanes that share a row of an mma accumulator.
__device__ __forceinline__ float quad_max(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}
