//go:build cuda

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cuda/nccl"
)

// streamHandle is the CUstream behind the device's stream, for libraries
// loaded with dlopen (NCCL, cuBLASLt) that take it as an integer.
// gorgonia.org/cu's Stream is a struct holding only that handle.
func (d *Device) streamHandle() uintptr {
	var s uintptr
	if unsafe.Sizeof(d.stream) != unsafe.Sizeof(s) {
		panic("cuda: unexpected layout of cu.Stream")
	}
	return *(*uintptr)(unsafe.Pointer(&d.stream))
}

// NCCLComm is compute.Comm between the GPUs of a data-parallel job, one per
// device, over NCCL on the device's stream. Collectives are queued; a
// failed peer shows as an error from the call or from the device's Sync.
type NCCLComm struct {
	d *Device
	c *nccl.Comm
}

var _ compute.Comm = (*NCCLComm)(nil)

// NewNCCLUniqueID makes the id that rank 0 creates and hands (out of band)
// to every rank before NewNCCLComm.
func NewNCCLUniqueID() (nccl.UniqueID, error) { return nccl.NewUniqueID() }

// NewNCCLComm joins rank of a communicator of size ranks on this device.
func (d *Device) NewNCCLComm(size int, id nccl.UniqueID, rank int) (*NCCLComm, error) {
	var c *nccl.Comm
	err := d.do(func() error {
		var err error
		c, err = nccl.InitRank(size, id, rank)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cuda: %s: %w", d.info.Name, err)
	}
	return &NCCLComm{d: d, c: c}, nil
}

// Rank is this device's rank.
func (c *NCCLComm) Rank() int { return c.c.Rank() }

// Size is the number of devices.
func (c *NCCLComm) Size() int { return c.c.Size() }

// AllGather: out[D·n, ...] = the in[n, ...] of every device, in rank order.
func (c *NCCLComm) AllGather(out, in compute.Tensor) error {
	check(out.Numel() == c.Size()*in.Numel(), "AllGather", "out %v for in %v on %d devices", out, in, c.Size())
	return c.run(func(s uintptr) error {
		return c.c.AllGather(uintptr(devPtr(in)), uintptr(devPtr(out)), in.Numel(), nccl.Float32, s)
	})
}

// ReduceScatterSum: out[n, ...] = Σ over devices of their in rows
// rank·n .. rank·n+n-1.
func (c *NCCLComm) ReduceScatterSum(out, in compute.Tensor) error {
	check(in.Numel() == c.Size()*out.Numel(), "ReduceScatterSum", "in %v for out %v on %d devices", in, out, c.Size())
	return c.run(func(s uintptr) error {
		return c.c.ReduceScatter(uintptr(devPtr(in)), uintptr(devPtr(out)), out.Numel(), nccl.Float32, nccl.Sum, s)
	})
}

// AllReduceMean replaces t on every device by the mean over devices.
func (c *NCCLComm) AllReduceMean(t compute.Tensor) error {
	return c.run(func(s uintptr) error {
		p := uintptr(devPtr(t))
		return c.c.AllReduce(p, p, t.Numel(), nccl.Float32, nccl.Avg, s)
	})
}

// Broadcast copies root's t to every device.
func (c *NCCLComm) Broadcast(t compute.Tensor, root int) error {
	check(root >= 0 && root < c.Size(), "Broadcast", "root %d of %d devices", root, c.Size())
	return c.run(func(s uintptr) error {
		p := uintptr(devPtr(t))
		return c.c.Broadcast(p, p, t.Numel(), nccl.Float32, root, s)
	})
}

// run queues a collective after the device's queued work, first returning
// any failure the device has kept.
func (c *NCCLComm) run(f func(stream uintptr) error) error {
	if err := c.d.err; err != nil {
		c.d.err = nil
		return err
	}
	if err := c.d.do(func() error { return f(c.d.streamHandle()) }); err != nil {
		return fmt.Errorf("cuda: rank %d: %w", c.Rank(), err)
	}
	return nil
}

// Close frees the communicator.
func (c *NCCLComm) Close() error { return c.c.Destroy() }
