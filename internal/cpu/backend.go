// Package cpu is the CPU backend, with no cgo: the executable specification
// of every op in internal/compute. Every other backend is tested against
// it. The GEMMs are internal/sgemm's; the memory-bound loops of training
// (layer norm, activation and softmax backward, column sums, AdamW, adds)
// also have AVX2 versions (vec_amd64.s) that give the Go code's bits, and
// sgemm.SetForceGeneric runs the Go code alone (see useVec).
package cpu

import (
	"fmt"
	"runtime"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// Backend runs ops on the host, splitting work over a fixed number of
// goroutines.
//
// A Backend is used by one goroutine at a time, as a device stream is: its
// ops share grow-only scratch buffers, so a steady-state forward allocates
// nothing.
type Backend struct {
	threads int
	scratch [numScratch][]float32
}

// Scratch slots: an op may hold several at once, never two ops at once.
const (
	scratchCols = iota // unfolded patches / im2col rows
	scratchAttn        // AttentionBackward's dS blocks, one per goroutine
	numScratch
)

// scratchBuf returns slot's buffer with at least n elements; its contents
// are undefined.
func (b *Backend) scratchBuf(slot, n int) []float32 {
	if cap(b.scratch[slot]) < n {
		b.scratch[slot] = make([]float32, n)
	}
	return b.scratch[slot][:n]
}

var (
	_ compute.Backend  = (*Backend)(nil)
	_ compute.TrainOps = (*Backend)(nil)
)

// New returns a CPU backend using threads goroutines (<= 0: GOMAXPROCS).
func New(threads int) *Backend {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Backend{threads: threads}
}

// Name is "cpu".
func (b *Backend) Name() string { return "cpu" }

// Threads is the number of goroutines ops use.
func (b *Backend) Threads() int { return b.threads }

// Sync returns nil: CPU ops complete before they return.
func (b *Backend) Sync() error { return nil }

// Upload copies host data into t.
func (b *Backend) Upload(dst compute.Tensor, src []float32) {
	d := data(dst)
	if len(src) != len(d) {
		panic(fmt.Sprintf("cpu.Upload: %d values into tensor %v", len(src), dst))
	}
	copy(d, src)
}

// Fill hands fill dst's own elements: host memory is the device's, so a
// loader decodes straight into the parameter arena with no staging copy.
func (b *Backend) Fill(dst compute.Tensor, fill func(host []float32) error) error {
	return fill(data(dst))
}

// Download copies t into host memory.
func (b *Backend) Download(dst []float32, src compute.Tensor) {
	s := data(src)
	if len(dst) != len(s) {
		panic(fmt.Sprintf("cpu.Download: tensor %v into %d values", src, len(dst)))
	}
	copy(dst, s)
}

// buffer is the CPU storage behind a tensor.
type buffer struct{ f []float32 }

func (b *buffer) Len() int { return len(b.f) }

// data returns the elements a tensor views.
func data(t compute.Tensor) []float32 {
	if t.IsNil() {
		return nil
	}
	buf, ok := t.Buf.(*buffer)
	if !ok {
		panic(fmt.Sprintf("cpu: tensor %v belongs to another backend (%T)", t, t.Buf))
	}
	return buf.f[t.Off : t.Off+t.Numel()]
}

// FromSlice wraps host memory as a tensor of this backend without copying.
// Tests and loaders use it; the slice must not be resized afterwards.
func FromSlice(f []float32, shape ...int) compute.Tensor {
	t := compute.Tensor{Buf: &buffer{f: f}, Shape: append([]int(nil), shape...)}
	if t.Numel() != len(f) {
		panic(fmt.Sprintf("cpu.FromSlice: %d values for shape %v", len(f), shape))
	}
	return t
}

// parallel calls fn over [0, n) split into contiguous chunks, at most one
// per goroutine, and waits. Small n runs inline: handing work over costs
// more than a few hundred flops.
func (b *Backend) parallel(n, grain int, fn func(lo, hi int)) {
	b.parallelIdx(n, grain, func(_, lo, hi int) { fn(lo, hi) })
}

// parallelIdx is parallel with a slot w < b.threads passed to fn, the same
// for every chunk one goroutine runs and different between goroutines, so
// that each can use its own part of a scratch buffer. The chunks run on the
// calling goroutine and the GEMM's worker goroutines (sgemm.ParallelFor),
// which are awake between the products of a forward or backward pass: a
// new goroutine per chunk had to be started and then picked up by a thread.
func (b *Backend) parallelIdx(n, grain int, fn func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := b.threads
	if grain < 1 {
		grain = 1
	}
	if max := (n + grain - 1) / grain; workers > max {
		workers = max
	}
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	sgemm.ParallelFor((n+chunk-1)/chunk, workers, func(w, t int) {
		lo := t * chunk
		fn(w, lo, min(lo+chunk, n))
	})
}

// check panics with the op name when a shape precondition fails: a shape
// mismatch is a programmer error.
func check(ok bool, op string, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf("cpu.%s: %s", op, fmt.Sprintf(format, args...)))
	}
}

func sameShape(a, b compute.Tensor) bool {
	if len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}
