package cpu

import (
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// MatMulForward computes out[M,N] = a[M,K] @ b + bias[N], then act, with
// the bias and activation fused into the GEMM's tiles. b is [K,N], or
// [N,K] when transB (PyTorch's Linear weight layout). bias may be nil.
//
// Every element is summed in the same order whatever the batch, so a row's
// result does not depend on the rows around it (see internal/sgemm).
func (b *Backend) MatMulForward(out, a, w, bias compute.Tensor, transB bool, act compute.Activation) {
	const op = "MatMulForward"
	m, n, k, err := compute.MatMulDims(out, a, w, bias, transB)
	check(err == nil, op, "%v", err)
	sgemm.Gemm(sgemm.Params{
		M: m, N: n, K: k, TransB: transB, Alpha: 1,
		A: data(a), B: data(w), C: data(out), Bias: data(bias),
		Act: sgemm.Activation(act), Threads: b.threads,
	})
}

// gemmNT computes c[M,N] = a[M,K] @ bt[N,K]ᵀ.
func (b *Backend) gemmNT(c, a, bt []float32, m, n, k int) {
	sgemm.Gemm(sgemm.Params{M: m, N: n, K: k, TransB: true, Alpha: 1, A: a, B: bt, C: c, Threads: b.threads})
}
