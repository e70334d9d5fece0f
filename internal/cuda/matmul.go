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
	m, n, k, err := compute.MatMulDims(out, a, b, bias, transB)
	check(err == nil, op, "%v", err)
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
	g := gemmCall{kernel: "gemm_kn", c: devPtr(out), ldc: n, a: abf, lda: kp, b: bbf, bias: devPtr(bias),
		m: m, n: n, mPad: mp, nPad: np, kPad: kp, alpha: 1, act: int(act)}
	g.ldb = d.bToBF16(bbf, b, n, k, transB)
	if transB {
		g.kernel = "gemm_nk"
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
	m, n, k, err := compute.MatMulBackwardDims(da, db, dBias, dOut, a, b, transB)
	check(err == nil, op, "%v", err)
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
		// da = dOut·bᵀ, b stored [K,N]: B operand [n=K][k=N]; with transB
		// da = dOut·b, b stored [N,K]: B operand [k=N][n=K].
		g := gemmCall{kernel: "gemm_nk", c: devPtr(da), ldc: k, a: gbf, lda: np, b: bbf,
			m: m, n: k, mPad: mp, nPad: kp, kPad: np, alpha: 1}
		g.ldb = d.bToBF16(bbf, b, n, k, transB)
		if transB {
			g.kernel = "gemm_kn"
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
