//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"gorgonia.org/cu"
)

// maxArgs is the most arguments a kernel of internal/kernels takes.
const maxArgs = 20

// arg is one kernel argument, held in its own 8-byte slot: a device pointer,
// or a 32-bit int or float in the low half (the kernels take int and float;
// little-endian, so the kernel's 4-byte read sees the value).
type arg uint64

// ptrArg passes a device address (0 for a null pointer).
func ptrArg(p cu.DevicePtr) arg { return arg(p) }

// intArg passes an int; the kernels take 32-bit ints.
func intArg(v int) arg {
	if v < math.MinInt32 || v > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: kernel argument %d does not fit an int", v))
	}
	return arg(uint32(int32(v)))
}

// boolArg passes a flag as an int 0 or 1.
func boolArg(b bool) arg {
	if b {
		return 1
	}
	return 0
}

// f32Arg passes a float.
func f32Arg(v float32) arg { return arg(math.Float32bits(v)) }

// dim3 is a grid or block shape.
type dim3 struct{ x, y, z int }

// launch queues kernel name on the device's stream. A failure is kept for
// Sync, wrapped with the kernel's name and geometry; after one, launches do
// nothing until Sync has returned it.
func (d *Device) launch(name string, grid, block dim3, args ...arg) {
	if d.err != nil {
		return
	}
	fn, ok := d.fns[name]
	if !ok {
		panic("cuda: unknown kernel " + name) // the names are constants of this package
	}
	if len(args) > maxArgs {
		panic(fmt.Sprintf("cuda: kernel %s: %d arguments, at most %d", name, len(args), maxArgs))
	}
	if grid.x <= 0 || grid.y <= 0 || grid.z <= 0 {
		return // empty problem: nothing to do
	}
	for i, a := range args {
		d.slots[i] = uint64(a)
	}
	err := d.do(func() error {
		err := fn.Launch(grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, d.stream, d.ptrs[:len(args)])
		if err == nil && d.syncEach {
			err = d.stream.Synchronize()
		}
		return err
	})
	if err != nil {
		d.fail(fmt.Errorf("cuda: kernel %s (grid %d,%d,%d, block %d,%d,%d): %w",
			name, grid.x, grid.y, grid.z, block.x, block.y, block.z, err))
	}
}
