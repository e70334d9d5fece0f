//go:build cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/clip-go/clip/internal/compute"
)

// buffer is device memory holding float32 elements.
type buffer struct {
	ptr cu.DevicePtr
	n   int
}

// Len is the number of float32 elements.
func (b *buffer) Len() int { return b.n }

// devPtr is the device address of t's first element; 0 for the absent
// tensor. It panics if t belongs to another backend.
func devPtr(t compute.Tensor) cu.DevicePtr {
	if t.IsNil() {
		return 0
	}
	b, ok := t.Buf.(*buffer)
	if !ok {
		panic(fmt.Sprintf("cuda: tensor %v belongs to another backend (%T)", t, t.Buf))
	}
	if t.Off < 0 || t.Off+t.Numel() > b.n {
		panic(fmt.Sprintf("cuda: tensor %v at offset %d outside its buffer of %d elements", t, t.Off, b.n))
	}
	return b.ptr + cu.DevicePtr(4*t.Off)
}

// arenaAlign is the allocation granularity in elements (256 bytes), so that
// every arena tensor allows the kernels' 16-byte vector loads.
const arenaAlign = 64

// slabElems is the minimum slab size (64 MiB of float32).
const slabElems = 16 << 20

// Arena is a bump allocator over slabs of device memory with the semantics
// of compute.Arena (and of the CPU backend's arena): Reset rewinds it, so a
// step that allocates the same sequence of shapes reuses the same memory and
// allocates nothing. Contents of a new tensor are undefined.
type Arena struct {
	d     *Device
	slabs []*buffer
	slab  int
	used  int
}

var _ compute.Arena = (*Arena)(nil)

// NewArena returns an empty arena on the device.
func (d *Device) NewArena() compute.Arena { return &Arena{d: d} }

// Alloc returns a tensor of the given shape. If the device is out of memory
// the failure is kept for Sync and the tensor is unusable (ops do nothing
// until Sync has returned the error).
func (a *Arena) Alloc(shape ...int) compute.Tensor {
	n := 1
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("cuda: Alloc: negative dimension in %v", shape))
		}
		n *= s
	}
	padded := (n + arenaAlign - 1) / arenaAlign * arenaAlign
	for a.slab < len(a.slabs) && a.used+padded > a.slabs[a.slab].n {
		a.slab++
		a.used = 0
	}
	if a.slab == len(a.slabs) {
		size := max(padded, slabElems)
		var p cu.DevicePtr
		err := a.d.do(func() error {
			var err error
			p, err = cu.MemAlloc(int64(size) * 4)
			return err
		})
		if err != nil {
			a.d.fail(fmt.Errorf("cuda: allocating %d MiB for tensor %v: %w", size>>18, shape, err))
			return compute.Tensor{Buf: &buffer{n: n}, Shape: append([]int(nil), shape...)}
		}
		a.slabs = append(a.slabs, &buffer{ptr: p, n: size})
		a.used = 0
	}
	t := compute.Tensor{Buf: a.slabs[a.slab], Off: a.used, Shape: append([]int(nil), shape...)}
	a.used += padded
	return t
}

// Mark records the current position.
func (a *Arena) Mark() compute.ArenaMark { return compute.ArenaMark{Slab: a.slab, Used: a.used} }

// Release makes everything allocated after m reusable.
func (a *Arena) Release(m compute.ArenaMark) {
	if m.Slab > a.slab || m.Slab == a.slab && m.Used > a.used {
		panic(fmt.Sprintf("cuda: Release: mark %+v is ahead of the arena", m))
	}
	a.slab, a.used = m.Slab, m.Used
}

// Reset makes every tensor handed out so far reusable.
func (a *Arena) Reset() { a.slab, a.used = 0, 0 }

// Free waits for queued work and returns the arena's memory to the device;
// its tensors become invalid.
func (a *Arena) Free() error {
	err := a.d.do(func() error {
		if err := a.d.stream.Synchronize(); err != nil {
			return err
		}
		for _, s := range a.slabs {
			if err := cu.MemFree(s.ptr); err != nil {
				return err
			}
		}
		return nil
	})
	a.slabs, a.slab, a.used = nil, 0, 0
	if err != nil {
		return fmt.Errorf("cuda: freeing an arena: %w", err)
	}
	return nil
}

// Upload copies host data into dst (synchronously, after queued work).
func (d *Device) Upload(dst compute.Tensor, src []float32) {
	if len(src) != dst.Numel() {
		panic(fmt.Sprintf("cuda: Upload: %d values into tensor %v", len(src), dst))
	}
	if len(src) == 0 || d.err != nil {
		return
	}
	p := devPtr(dst)
	err := d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return err
		}
		return cu.MemcpyHtoD(p, unsafe.Pointer(&src[0]), int64(4*len(src)))
	})
	if err != nil {
		d.fail(fmt.Errorf("cuda: upload to %v: %w", dst, err))
	}
}

// Download copies src into host memory after all queued work. A failure is
// kept for Sync (dst is then undefined).
func (d *Device) Download(dst []float32, src compute.Tensor) {
	if len(dst) != src.Numel() {
		panic(fmt.Sprintf("cuda: Download: tensor %v into %d values", src, len(dst)))
	}
	if len(dst) == 0 || d.err != nil {
		return
	}
	p := devPtr(src)
	err := d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return err
		}
		return cu.MemcpyDtoH(unsafe.Pointer(&dst[0]), p, int64(4*len(dst)))
	})
	if err != nil {
		d.fail(fmt.Errorf("cuda: download of %v: %w", src, err))
	}
}

// Fill hands fill a host staging slice of dst.Numel() elements and uploads
// it if fill succeeds (compute.Backend.Fill).
func (d *Device) Fill(dst compute.Tensor, fill func(host []float32) error) error {
	host := make([]float32, dst.Numel())
	if err := fill(host); err != nil {
		return err
	}
	d.Upload(dst, host)
	return nil
}

// Zero sets every element of t to 0 (queued).
func (d *Device) Zero(t compute.Tensor) { d.memset(t, 0, "Zero") }

// memset queues t = bits (each float32 element set to the bit pattern).
func (d *Device) memset(t compute.Tensor, bits uint32, what string) {
	if t.IsNil() || t.Numel() == 0 || d.err != nil {
		return
	}
	p := devPtr(t)
	err := d.do(func() error { return cu.MemsetD32Async(p, uint(bits), int64(t.Numel()), d.stream) })
	if err != nil {
		d.fail(fmt.Errorf("cuda: %s of %v: %w", what, t, err))
	}
}

// workspace returns device memory of at least bytes for an op's
// temporaries. It grows (after waiting for queued work, which may still use
// the old one) and never shrinks, so steady-state steps allocate nothing.
// It returns 0 after a failure, which is kept for Sync; callers take 0 as
// that failure, so a request for 0 bytes still makes a workspace (a GEMM
// with K = 0 needs none, but must go on to write act(bias)).
func (d *Device) workspace(bytes int64) cu.DevicePtr {
	if d.err != nil {
		return 0
	}
	if bytes <= d.wsBytes && d.ws != 0 {
		return d.ws
	}
	size := max(bytes, d.wsBytes+d.wsBytes/2, 16<<20)
	err := d.do(func() error {
		if d.ws != 0 {
			if err := d.stream.Synchronize(); err != nil {
				return err
			}
			if err := cu.MemFree(d.ws); err != nil {
				return err
			}
			d.ws, d.wsBytes = 0, 0
		}
		p, err := cu.MemAlloc(size)
		if err != nil {
			return err
		}
		d.ws, d.wsBytes = p, size
		return nil
	})
	if err != nil {
		d.fail(fmt.Errorf("cuda: growing the workspace to %d MiB: %w", size>>20, err))
		return 0
	}
	return d.ws
}

// carver hands out 256-byte aligned pieces of a workspace.
type carver struct {
	base cu.DevicePtr
	off  int64
}

// size is the bytes a carver needs for pieces of the given byte sizes.
func carveSize(sizes ...int64) int64 {
	var n int64
	for _, s := range sizes {
		n += (s + 255) &^ 255
	}
	return n
}

// take returns the next piece of bytes.
func (c *carver) take(bytes int64) cu.DevicePtr {
	p := c.base + cu.DevicePtr(c.off)
	c.off += (bytes + 255) &^ 255
	return p
}
