// Package sgemm is a float32 matrix multiply for the CPU backend:
//
//	C[M,N] = act(alpha·op(A)·op(B) + beta·C + bias)
//
// with row-major operands, leading dimensions, optional transposes, a bias
// added to every row and an elementwise activation fused into the tiles of C
// while they are still in cache. It needs no cgo: the hot loop is a
// hand-written Plan 9 assembly micro-kernel chosen at run time from the CPU's
// features (AVX-512, AVX2+FMA), and a pure-Go kernel serves every other
// machine and the tests.
//
// # Design
//
// The loops follow Goto and BLIS. For each block of NC columns and each block
// of KC steps along K, a KC×NC block of op(B) is packed into NR-column
// panels (contiguous, zero-padded at the N edge); for each block of MC rows a
// MC×KC block of op(A) is packed into MR-row panels (zero-padded at the M
// edge). The micro-kernel then multiplies one MR×KC panel of A by one KC×NR
// panel of B into an MR×NR tile of C held in registers. The B panel stays in
// L1 while the A panels of the block stream from L2; the packed B block lives
// in L2/L3. Edge tiles run the same kernel through a small scratch tile, so
// every element of C goes through the same instructions. The bias is added
// by the kernel and the activation is applied to each tile right after the
// kernel's last pass over it.
//
// Kernels (chosen at run time with golang.org/x/sys/cpu, see Kernel):
//
//	avx512    8×32 tile, AVX-512F                     kernel_avx512_amd64.s
//	avx2-fma  6×16 tile, AVX2 + FMA (Haswell, Zen)    kernel_avx2_amd64.s
//	generic   4×4 tile, pure Go, any GOARCH           kernel_generic.go
//
// The packers of both assembly kernels are AVX2 code (pack_avx2_amd64.s).
// An operand whose panels are contiguous runs in its rows (A stored [K,M],
// as in the weight gradients dW = dYᵀ·X of training, or B stored [K,N]) is
// packed a whole block at a time, reading its rows front to back; the
// others are transposed 8×8 at a time. Packing buffers are kept per kernel
// in a free list and reused, so a steady state allocates nothing.
//
// # Threads
//
// A product is cut into a grid of tasks (row and column ranges of whole
// panels; see grid), one or two per goroutine, chosen to minimise the
// packing that tasks repeat. The caller and up to Params.Threads-1 worker
// goroutines claim tasks in order from a shared counter, so a worker that
// arrives late costs little and the caller never waits for one to wake up.
// Workers are started once and poll for work for a millisecond after each
// product before they park. Products under about 60k cycles run on the
// calling goroutine alone. ParallelFor hands other work (the CPU backend's
// elementwise and row ops) to the same workers, which are awake between the
// products of a training step.
//
// # Determinism
//
// C[i,j] does not depend on M, on i's position within a panel or block, on
// the thread split or on where the N edge falls: an image embedded alone or
// inside a batch gives the same bits. Each element has one accumulator that
// walks k in increasing order inside each KC block (KC is a constant, the same
// for every kernel), and the blocks are added into C in increasing order. The
// assembly kernels use fused multiply-adds and therefore agree with each other
// bit for bit; the pure-Go kernel follows the same order but rounds as the Go
// compiler does for its target (fused on GOAMD64=v3, not on v1), so its bits
// may differ from the assembly kernels'.
package sgemm
