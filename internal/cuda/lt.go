//go:build cuda

package cuda

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cuda/cublaslt"
)

// ltWorkspace is the most workspace a cuBLASLt algorithm may use.
const ltWorkspace = 32 << 20

// ltKey identifies a planned cuBLASLt product.
type ltKey struct {
	m, n, k, lda, ldb int
	transB, bias      bool
}

// lt is the device's cuBLASLt state, made on first use.
type lt struct {
	h     *cublaslt.Handle
	plans map[ltKey]*cublaslt.Plan
}

// MatMulForwardLt is MatMulForward without activation through cuBLASLt
// (loaded with dlopen): the same bf16 copies of a and b, fp32 accumulation,
// bias fused by cuBLASLt's epilogue. It is the reference the GPU check
// times the tensor-core kernel against, and a possible fast path.
// It returns an error if cuBLASLt cannot be loaded or has no algorithm.
func (d *Device) MatMulForwardLt(out, a, b, bias compute.Tensor, transB bool) error {
	const op = "MatMulForwardLt"
	m, n, k, err := compute.MatMulDims(out, a, b, bias, transB)
	check(err == nil, op, "%v", err)
	if d.lt == nil {
		var h *cublaslt.Handle
		if err := d.do(func() error {
			var err error
			h, err = cublaslt.NewHandle()
			return err
		}); err != nil {
			return err
		}
		d.lt = &lt{h: h, plans: map[ltKey]*cublaslt.Plan{}}
	}
	mp, kp, np := pad(m), pad(k), pad(n)
	ldb := np
	if transB {
		ldb = kp
	}
	key := ltKey{m, n, k, kp, ldb, transB, !bias.IsNil()}
	plan, ok := d.lt.plans[key]
	if !ok {
		if err = d.do(func() error {
			plan, err = d.lt.h.NewPlan(m, n, k, kp, ldb, n, transB, !bias.IsNil(), ltWorkspace)
			return err
		}); err != nil {
			return fmt.Errorf("cuda: %s: %w", op, err)
		}
		d.lt.plans[key] = plan
	}
	aBytes, bBytes := bf16Bytes(mp, kp), bf16Bytes(kp, np)
	ws := d.workspace(carveSize(aBytes, bBytes, int64(plan.WSSize)))
	if ws == 0 {
		return d.Sync()
	}
	c := carver{base: ws}
	abf, bbf, lws := c.take(aBytes), c.take(bBytes), c.take(int64(plan.WSSize))
	d.toBF16(abf, mp, kp, devPtr(a), m, k, k)
	d.bToBF16(bbf, b, n, k, transB)
	if d.err != nil {
		return d.Sync()
	}
	err = d.do(func() error {
		return plan.Run(1, 0, uintptr(abf), uintptr(bbf), uintptr(devPtr(out)), uintptr(devPtr(bias)),
			uintptr(lws), plan.WSSize, d.streamHandle())
	})
	if err != nil {
		return fmt.Errorf("cuda: %s [%d,%d]x[%d]: %w", op, m, k, n, err)
	}
	return nil
}

// closeLt frees the cuBLASLt plans and handle.
func (d *Device) closeLt() error {
	if d.lt == nil {
		return nil
	}
	for _, p := range d.lt.plans {
		p.Free()
	}
	err := d.lt.h.Destroy()
	d.lt = nil
	return err
}
