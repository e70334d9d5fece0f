package sgemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBatchInvariance checks the determinism promise of the package doc:
// every row of an M=37 product equals, bit for bit, the same row computed
// alone (M=1), whatever the kernel, the thread count and the transposes;
// and a column equals itself computed in a narrower product, where it falls
// on a different edge.
func TestBatchInvariance(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		const m, n, k = 37, 70, 600 // 600 crosses two kc boundaries
		if tm, tn := grid(m, n, k, 2, current.Load()); tm*tn < 2 {
			t.Fatalf("a %dx%dx%d product is not split (grid %dx%d): the test would not cover threads", m, n, k, tm, tn)
		}
		for tr := range 4 {
			for _, threads := range []int{1, 2} {
				p := Params{M: m, N: n, K: k, TransA: tr&1 != 0, TransB: tr&2 != 0,
					Alpha: 1, Threads: threads, Bias: []float32{}, Act: ActQuickGELU}
				full := newProblem(rng, p, 0)
				Gemm(full.Params)
				for i := range m {
					row := full.Params
					row.M = 1
					row.C = make([]float32, n)
					row.LDC = n
					if row.TransA {
						row.A = full.A[i:] // column i of the stored [K,M] matrix
					} else {
						row.A = full.A[i*full.LDA:]
					}
					Gemm(row)
					for j := range n {
						if math.Float32bits(row.C[j]) != math.Float32bits(full.C[i*full.LDC+j]) {
							t.Fatalf("trans %d threads %d: C[%d,%d] = %x in the batch, %x alone",
								tr, threads, i, j, math.Float32bits(full.C[i*full.LDC+j]), math.Float32bits(row.C[j]))
						}
					}
				}
				// Columns 5..23 as their own product: different N edge and panel position.
				const j0, nn = 5, 19
				sub := full.Params
				sub.N = nn
				sub.C = make([]float32, m*nn)
				sub.LDC = nn
				sub.Bias = full.Bias[j0:]
				if sub.TransB {
					sub.B = full.B[j0*full.LDB:]
				} else {
					sub.B = full.B[j0:]
				}
				Gemm(sub)
				for i := range m {
					for j := range nn {
						if math.Float32bits(sub.C[i*nn+j]) != math.Float32bits(full.C[i*full.LDC+j0+j]) {
							t.Fatalf("trans %d threads %d: C[%d,%d] differs when computed with N=%d", tr, threads, i, j0+j, nn)
						}
					}
				}
			}
		}
	})
}

// TestAssemblyKernelsAgree checks that the assembly kernels give the same
// bits as each other (they use the same FMA chain and kc).
func TestAssemblyKernelsAgree(t *testing.T) {
	var asm []*kernel
	for _, k := range kernels {
		if k != &genericKernel {
			asm = append(asm, k)
		}
	}
	if len(asm) < 2 {
		t.Skipf("only %v on this CPU", kernelNames())
	}
	rng := rand.New(rand.NewPCG(13, 14))
	p := newProblem(rng, Params{M: 45, N: 77, K: 700, Alpha: 1, Beta: 1, TransB: true, Bias: []float32{}}, 3)
	var results [][]float32
	for _, k := range asm {
		q := p.Params
		q.C = append([]float32(nil), p.c0...)
		withKernel(k, func() { Gemm(q) })
		results = append(results, q.C)
	}
	for i := 1; i < len(results); i++ {
		for j := range results[0] {
			if math.Float32bits(results[i][j]) != math.Float32bits(results[0][j]) {
				t.Fatalf("%s and %s differ at %d", asm[0].name, asm[i].name, j)
			}
		}
	}
}
