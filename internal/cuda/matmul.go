//go:build cuda

package cuda

import (
	"github.com/clip-go/clip/internal/compute"
)

// MatMulForward computes out[M,N] = act(a[M,K] @ b + bias[N]) on tensor
// cores: a and b are rounded to bf16 (padded copies in the workspace), the
// products accumulate in fp32, and bias and activation are fused into the
// epilogue. b is [K,N], or [N,K] when transB (PyTorch's Linear layout);
// bias may be nil. The device twin of cpu.Backend.MatMulForward.
func (d *Device) MatMulForward(out, a, b, bias compute.Tensor, transB bool, act compute.Activation) {
	const op = "MatMulForward"
	check(len(a.Shape) == 2 && len(b.Shape) == 2 && len(out.Shape) == 2, op, "want 2-D tensors, got out %v a %v b %v", out, a, b)
	m, k := a.Shape[0], a.Shape[1]
	n, wk := b.Shape[1], b.Shape[0]
	if transB {
		n, wk = b.Shape[0], b.Shape[1]
	}
	check(wk == k, op, "inner dimensions differ: a %v b %v transB=%v", a, b, transB)
	check(out.Shape[0] == m && out.Shape[1] == n, op, "out %v, want [%d,%d]", out, m, n)
	check(bias.IsNil() || bias.Numel() == n, op, "bias %v, want [%d]", bias, n)
	check(act >= compute.ActNone && act <= compute.ActReLU, op, "unknown activation %d", int(act))
	if m == 0 || n == 0 {
		return
	}
	mp, kp, np := pad(m), pad(k), pad(n)
	ws := d.workspace(carveSize(bf16Bytes(mp, kp), bf16Bytes(kp, np)))
	if ws == 0 {
		return
	}
	c := carver{base: ws}
	abf, bbf := c.take(bf16Bytes(mp, kp)), c.take(bf16Bytes(kp, np))
	d.toBF16(abf, mp, kp, devPtr(a), m, k, k)
	g := gemmCall{c: devPtr(out), ldc: n, a: abf, lda: kp, b: bbf, bias: devPtr(bias),
		m: m, n: n, mPad: mp, nPad: np, kPad: kp, alpha: 1, act: int(act)}
	if transB {
		d.toBF16(bbf, np, kp, devPtr(b), n, k, k)
		g.kernel, g.ldb = "gemm_nk", kp
	} else {
		d.toBF16(bbf, kp, np, devPtr(b), k, n, n)
		g.kernel, g.ldb = "gemm_kn", np
	}
	d.gemm(g)
}

// MatMulBackward is the backward of MatMulForward without activation, as in
// compute.TrainOps: da[M,K] = dOut·bᵀ (dOut·b when transB) overwrites;
// db += aᵀ·dOut ([K,N]), or dOutᵀ·a ([N,K]) when transB; dBias[N] += the
// column sums of dOut (fp32, atomics). Nil outputs are skipped. The
// products run on tensor cores from bf16 copies, accumulating in fp32.
func (d *Device) MatMulBackward(da, db, dBias, dOut, a, b compute.Tensor, transB bool) {
	const op = "MatMulBackward"
	check(len(a.Shape) == 2 && len(b.Shape) == 2 && len(dOut.Shape) == 2, op, "want 2-D tensors, got dOut %v a %v b %v", dOut, a, b)
	m, k := a.Shape[0], a.Shape[1]
	n, wk := b.Shape[1], b.Shape[0]
	if transB {
		n, wk = b.Shape[0], b.Shape[1]
	}
	check(wk == k, op, "inner dimensions differ: a %v b %v transB=%v", a, b, transB)
	check(dOut.Shape[0] == m && dOut.Shape[1] == n, op, "dOut %v, want [%d,%d]", dOut, m, n)
	check(da.IsNil() || da.Numel() == m*k, op, "da %v, want [%d,%d]", da, m, k)
	check(db.IsNil() || db.Numel() == n*k, op, "db %v for b %v", db, b)
	check(dBias.IsNil() || dBias.Numel() == n, op, "dBias %v, want [%d]", dBias, n)
	if m == 0 {
		return // empty sums everywhere; da is empty
	}
	if !dBias.IsNil() && n > 0 {
		const rowsPerBlock = 256
		d.launch("colsum_accum", dim3{ceilDiv(n, 32), ceilDiv(m, rowsPerBlock), 1}, dim3{32, 8, 1},
			ptrArg(devPtr(dBias)), ptrArg(devPtr(dOut)), intArg(m), intArg(n), intArg(rowsPerBlock))
	}
	if n == 0 {
		if !da.IsNil() {
			d.Zero(da) // da is an empty sum
		}
		return
	}
	if k == 0 || da.IsNil() && db.IsNil() {
		return
	}
	mp, kp, np := pad(m), pad(k), pad(n)
	gBytes, aBytes, bBytes := bf16Bytes(mp, np), bf16Bytes(mp, kp), bf16Bytes(np, kp)
	ws := d.workspace(carveSize(gBytes, aBytes, bBytes))
	if ws == 0 {
		return
	}
	c := carver{base: ws}
	gbf, abf, bbf := c.take(gBytes), c.take(aBytes), c.take(bBytes)
	d.toBF16(gbf, mp, np, devPtr(dOut), m, n, n)
	if !da.IsNil() {
		g := gemmCall{c: devPtr(da), ldc: k, a: gbf, lda: np, b: bbf, m: m, n: k, mPad: mp, nPad: kp, kPad: np, alpha: 1}
		if transB {
			// da = dOut·b, b stored [N,K]: B operand [k=N][n=K].
			d.toBF16(bbf, np, kp, devPtr(b), n, k, k)
			g.kernel, g.ldb = "gemm_kn", kp
		} else {
			// da = dOut·bᵀ, b stored [K,N]: B operand [n=K][k=N].
			d.toBF16(bbf, kp, np, devPtr(b), k, n, n)
			g.kernel, g.ldb = "gemm_nk", np
		}
		d.gemm(g)
	}
	if !db.IsNil() {
		// db sums over the M rows: few output tiles and a long reduction,
		// so the k-tiles are split among blocks that add with atomics.
		d.toBF16(abf, mp, kp, devPtr(a), m, k, k)
		g := gemmCall{kernel: "gemm_tkn", c: devPtr(db), alpha: 1, accumulate: 1, kPad: mp}
		if transB {
			// db[N,K] += dOutᵀ·a: A operand dOut stored [k=M][m=N].
			g.ldc, g.a, g.lda, g.b, g.ldb, g.m, g.n, g.mPad, g.nPad = k, gbf, np, abf, kp, n, k, np, kp
		} else {
			// db[K,N] += aᵀ·dOut: A operand a stored [k=M][m=K].
			g.ldc, g.a, g.lda, g.b, g.ldb, g.m, g.n, g.mPad, g.nPad = n, abf, kp, gbf, np, k, n, kp, np
		}
		if g.splits = d.splitK(g.mPad/tile*g.nPad/tile, mp/32); g.splits > 1 {
			g.accumulate = 2
		}
		d.gemm(g)
	}
}
