//go:build cuda

package cuda

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/clip-go/clip/internal/kernels"
)

// Info describes the device a Device runs on.
type Info struct {
	Ordinal      int
	Name         string
	Major, Minor int   // compute capability
	SMs          int   // multiprocessors
	TotalMem     int64 // bytes
	Driver       int   // CUDA driver API version, e.g. 13000
}

func (i Info) String() string {
	return fmt.Sprintf("GPU %d: %s, compute capability %d.%d, %d SMs, %.1f GiB, driver API %d.%d",
		i.Ordinal, i.Name, i.Major, i.Minor, i.SMs, float64(i.TotalMem)/(1<<30), i.Driver/1000, i.Driver%1000/10)
}

// Device is one GPU: its primary context (the one cuBLAS and NCCL use), one
// stream every op is queued on, the embedded kernels (loaded and resolved by
// name at Open), and a grow-only workspace for op temporaries.
//
// Like the CPU backend, a Device is used by one goroutine at a time. Ops
// queue work and return; the first failure of a launch or a copy is kept
// and returned by Sync, and later ops do nothing until it has been.
type Device struct {
	info   Info
	dev    cu.Device
	ctx    cu.CUContext
	stream cu.Stream
	mods   []cu.Module
	fns    map[string]cu.Function

	ws      cu.DevicePtr // workspace
	wsBytes int64
	lt      *lt // cuBLASLt, made on first use

	syncEach bool // CLIP_CUDA_SYNC=1: synchronise after every launch
	err      error

	// Launch argument slots: gorgonia.org/cu's Function.Launch copies 8
	// bytes from each argument pointer, so every scalar gets its own slot.
	slots [maxArgs]uint64
	ptrs  [maxArgs]unsafe.Pointer
}

// Open makes the device with the given ordinal ready: it retains the primary
// context, creates a stream, JIT-loads the embedded PTX and resolves every
// kernel, so a missing or broken kernel fails here and not mid-training.
// CLIP_CUDA_SYNC=1 synchronises after every launch, so that an asynchronous
// fault is reported with the name of the kernel that caused it (slow; for
// checks). The process must have a GPU: gorgonia.org/cu exits at
// initialisation without one.
func Open(ordinal int) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: counting devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cuda: device %d requested, %d present", ordinal, n)
	}
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuda: device %d: %w", ordinal, err)
	}
	d := &Device{dev: dev, fns: map[string]cu.Function{}}
	for i := range d.ptrs {
		d.ptrs[i] = unsafe.Pointer(&d.slots[i])
	}
	d.syncEach, _ = strconv.ParseBool(os.Getenv("CLIP_CUDA_SYNC"))
	if err := d.describe(ordinal); err != nil {
		return nil, err
	}
	if d.ctx, err = dev.RetainPrimaryCtx(); err != nil {
		return nil, fmt.Errorf("cuda: %s: retaining the primary context: %w", d.info.Name, err)
	}
	err = d.do(func() error {
		var err error
		if d.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
			return fmt.Errorf("creating a stream: %w", err)
		}
		return d.loadKernels()
	})
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("cuda: %s: %w", d.info.Name, err)
	}
	return d, nil
}

// describe fills d.info.
func (d *Device) describe(ordinal int) error {
	name, err := d.dev.Name()
	if err != nil {
		return fmt.Errorf("cuda: device %d name: %w", ordinal, err)
	}
	d.info = Info{Ordinal: ordinal, Name: name, Driver: cu.Version()}
	for _, a := range []struct {
		attr cu.DeviceAttribute
		dst  *int
	}{
		{cu.ComputeCapabilityMajor, &d.info.Major},
		{cu.ComputeCapabilityMinor, &d.info.Minor},
		{cu.MultiprocessorCount, &d.info.SMs},
	} {
		if *a.dst, err = d.dev.Attribute(a.attr); err != nil {
			return fmt.Errorf("cuda: %s: attribute %d: %w", name, a.attr, err)
		}
	}
	if d.info.TotalMem, err = d.dev.TotalMem(); err != nil {
		return fmt.Errorf("cuda: %s: memory size: %w", name, err)
	}
	if d.info.Major < 8 {
		return fmt.Errorf("cuda: %s has compute capability %d.%d; the kernels need 8.0 or newer", name, d.info.Major, d.info.Minor)
	}
	return nil
}

// loadKernels JIT-loads every embedded module and resolves its kernels.
// A JIT failure comes back with the JIT's error log.
func (d *Device) loadKernels() error {
	for _, m := range kernels.Modules() {
		src, err := kernels.PTX(m.Name)
		if err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
		logBuf := &cu.JITErrorLogBuffer{Buffer: make([]byte, 16<<10)}
		mod, err := cu.LoadDataEx(src, logBuf)
		if err != nil {
			return fmt.Errorf("loading module %s: %w: %s", m.Name, err, cString(logBuf.Buffer))
		}
		d.mods = append(d.mods, mod)
		for _, k := range m.Kernels {
			fn, err := mod.Function(k)
			if err != nil {
				return fmt.Errorf("module %s: kernel %s: %w", m.Name, k, err)
			}
			d.fns[k] = fn
		}
	}
	return nil
}

// cString is the NUL-terminated text at the start of b.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// Info describes the device.
func (d *Device) Info() Info { return d.info }

// Kernels lists the kernels loaded and resolved at Open, sorted.
func (d *Device) Kernels() []string {
	names := make([]string, 0, len(d.fns))
	for k := range d.fns {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Name is "cuda".
func (d *Device) Name() string { return "cuda" }

// do runs f with the device's context current on a locked OS thread: the
// driver keeps the current context per thread, and a goroutine may move
// between threads.
func (d *Device) do(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return fmt.Errorf("setting the context current: %w", err)
	}
	return f()
}

// fail records the first asynchronous failure for Sync.
func (d *Device) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Sync waits for all queued work and returns the first failure since the
// last Sync (a launch, a copy, an allocation or the work itself), then
// clears it.
func (d *Device) Sync() error {
	err := d.do(func() error { return d.stream.Synchronize() })
	if first := d.err; first != nil {
		d.err = nil
		return first
	}
	if err != nil {
		return fmt.Errorf("cuda: synchronising: %w", err)
	}
	return nil
}

// Close waits for queued work, frees the workspace, unloads the modules and
// releases the primary context. Arenas must be freed first.
func (d *Device) Close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	keep(d.do(func() error {
		var zero cu.Stream
		if d.stream != zero {
			keep(d.stream.Synchronize())
			keep(d.stream.Destroy())
		}
		if d.ws != 0 {
			keep(cu.MemFree(d.ws))
			d.ws, d.wsBytes = 0, 0
		}
		keep(d.closeLt())
		for _, m := range d.mods {
			keep(m.Unload())
		}
		d.mods = nil
		return nil
	}))
	keep(d.dev.ReleasePrimaryCtx())
	if first != nil {
		return fmt.Errorf("cuda: closing %s: %w", d.info.Name, first)
	}
	return nil
}
