package sgemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// SGEMM_KERNEL=avx2-fma (or generic) makes the benchmarks use that kernel,
// for example to time the AVX2 kernel on a machine with AVX-512.
func init() {
	name := os.Getenv("SGEMM_KERNEL")
	if name == "" {
		return
	}
	for _, k := range kernels {
		if k.name == name {
			current.Store(k)
			return
		}
	}
	panic("SGEMM_KERNEL=" + name + ": this CPU runs " + fmt.Sprint(kernelNames()))
}

// benchShapes are (M, K, N): CLIP ViT-B at batch·tokens = 1600 (qkv, MLP
// in, MLP out, attention out), the classic cube, and two small products of
// batch-1 inference (ViT-B/32 image tower: 50 tokens; text tower: 77).
var benchShapes = [][3]int{
	{1600, 768, 2304}, {1600, 768, 3072}, {1600, 3072, 768}, {1600, 768, 768}, {1024, 1024, 1024},
	{50, 768, 3072}, {77, 512, 2048},
	{800, 768, 768}, {800, 768, 3072}, {800, 3072, 768}, // ViT-B/32 training at batch 16
	{4928, 256, 256}, {4928, 256, 1024}, {4928, 1024, 256}, // the small training configuration
}

// BenchmarkGemm reports GFLOP/s for op(A)·op(B) with B stored [K,N] ("nn",
// as numpy's matmul) and [N,K] ("nt", a Linear layer's x·Wᵀ), on 1 and 2
// goroutines, with the kernel Gemm uses (logged; -test.v shows it).
func BenchmarkGemm(b *testing.B) {
	b.Logf("kernel %s", Kernel())
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, layout := range []string{"nn", "nt"} {
			for _, threads := range []int{1, 2} {
				benchGemm(b, fmt.Sprintf("%dx%dx%d/%s/t%d", m, k, n, layout, threads),
					Params{M: m, N: n, K: k, Alpha: 1, A: a, B: bb, C: c, TransB: layout == "nt", Threads: threads})
			}
		}
	}
}

// BenchmarkMicroKernel times each kernel on one tile with its panels in L1:
// the ceiling for BenchmarkGemm.
func BenchmarkMicroKernel(b *testing.B) {
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			a, bp, c := make([]float32, k.mr*kc), make([]float32, k.nr*kc), make([]float32, k.mr*k.nr)
			for b.Loop() {
				k.micro(kc, a, bp, c, k.nr, 1, flagAccumulate, nil)
			}
			reportGFLOPs(b, k.mr, k.nr, kc)
		})
	}
}

// benchGemm times Gemm(p) as sub-benchmark name, after one untimed call.
func benchGemm(b *testing.B, name string, p Params) {
	b.Run(name, func(b *testing.B) {
		Gemm(p)
		for b.Loop() {
			Gemm(p)
		}
		reportGFLOPs(b, p.M, p.N, p.K)
	})
}

func reportGFLOPs(b *testing.B, m, n, k int) {
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// trainShapes are (M, K, N) of the weight gradients of the small training
// configuration (configs/arch/small.json, batch 64, 77 text tokens):
// dW[out,in] += dYᵀ·X with dY [rows,out] and X [rows,in], rows = 64·77.
var trainShapes = [][3]int{{1024, 4928, 256}, {256, 4928, 1024}, {768, 4928, 256}, {256, 4928, 256},
	{768, 800, 768}, {3072, 800, 768}, {768, 800, 3072}}

// BenchmarkGemmTransA reports GFLOP/s for the transposed-A products of
// training (A stored [K,M], B stored [K,N], C accumulated), on 1 and 2
// goroutines.
func BenchmarkGemmTransA(b *testing.B) {
	b.Logf("kernel %s", Kernel())
	for _, s := range trainShapes {
		m, k, n := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			benchGemm(b, fmt.Sprintf("%dx%dx%d/tn/t%d", m, k, n, threads),
				Params{M: m, N: n, K: k, Alpha: 1, Beta: 1, TransA: true, A: a, B: bb, C: c, Threads: threads})
		}
	}
}
