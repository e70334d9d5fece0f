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
	check(len(a.Shape) == 2 && len(w.Shape) == 2 && len(out.Shape) == 2, op, "want 2-D tensors, got out %v a %v b %v", out, a, w)
	m, k := a.Shape[0], a.Shape[1]
	n, wk := w.Shape[1], w.Shape[0]
	if transB {
		n, wk = w.Shape[0], w.Shape[1]
	}
	check(wk == k, op, "inner dimensions differ: a %v b %v transB=%v", a, w, transB)
	check(out.Shape[0] == m && out.Shape[1] == n, op, "out %v, want [%d,%d]", out, m, n)
	check(bias.IsNil() || bias.Numel() == n, op, "bias %v, want [%d]", bias, n)
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
