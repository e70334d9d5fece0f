package compute

import "fmt"

// MatMulDims checks the shapes of MatMulForward's out[M,N] = a[M,K] @ b +
// bias[N], b [K,N] or, when transB, [N,K], bias absent or of N elements,
// and returns M, N and K. err describes the first mismatch; every backend
// panics with it and the op's name (a shape mismatch is a programmer
// error). The description is formatted only on failure, so the check
// allocates nothing on the hot path.
func MatMulDims(out, a, b, bias Tensor, transB bool) (m, n, k int, err error) {
	if m, n, k, err = matMulDims("out", out, a, b, transB); err != nil {
		return
	}
	if !bias.IsNil() && bias.Numel() != n {
		err = fmt.Errorf("bias %v, want [%d]", bias, n)
	}
	return
}

// MatMulBackwardDims checks the shapes of MatMulBackward (see TrainOps):
// dOut[M,N], a[M,K] and b as for MatMulDims, and the gradients that are
// not nil: da of M·K elements, db of N·K, dBias of N. It returns M, N, K
// and the first mismatch, as MatMulDims does.
func MatMulBackwardDims(da, db, dBias, dOut, a, b Tensor, transB bool) (m, n, k int, err error) {
	if m, n, k, err = matMulDims("dOut", dOut, a, b, transB); err != nil {
		return
	}
	switch {
	case !da.IsNil() && da.Numel() != m*k:
		err = fmt.Errorf("da %v, want [%d,%d]", da, m, k)
	case !db.IsNil() && db.Numel() != n*k:
		err = fmt.Errorf("db %v for b %v", db, b)
	case !dBias.IsNil() && dBias.Numel() != n:
		err = fmt.Errorf("dBias %v, want [%d]", dBias, n)
	}
	return
}

// matMulDims checks the 2-D shapes of a, b and the [M,N] tensor c (the
// forward's out or the backward's dOut, called name in the description).
func matMulDims(name string, c, a, b Tensor, transB bool) (m, n, k int, err error) {
	if len(a.Shape) != 2 || len(b.Shape) != 2 || len(c.Shape) != 2 {
		return 0, 0, 0, fmt.Errorf("want 2-D tensors, got %s %v a %v b %v", name, c, a, b)
	}
	m, k = a.Shape[0], a.Shape[1]
	n, bk := b.Shape[1], b.Shape[0]
	if transB {
		n, bk = b.Shape[0], b.Shape[1]
	}
	if bk != k {
		return 0, 0, 0, fmt.Errorf("inner dimensions differ: a %v b %v transB=%v", a, b, transB)
	}
	if c.Shape[0] != m || c.Shape[1] != n {
		return 0, 0, 0, fmt.Errorf("%s %v, want [%d,%d]", name, c, m, n)
	}
	return m, n, k, nil
}
