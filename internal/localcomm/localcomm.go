// Package localcomm is the in-process compute.Comm: D "devices", each
// driven by its own goroutine in one process, that exchange data through
// host memory. It makes data parallel training testable on the CPU.
//
// Every collective is collective: each device makes the same calls, with
// the same shapes, in the same order. Data leaves a device through its
// backend's Download and enters through Upload, so the devices may be any
// backends whose tensors can be copied to and from the host.
//
// Reductions sum in float64 in rank order and round once to float32, so
// every device receives identical bits and results do not vary from run to
// run. Each device reduces its own contiguous share of the elements, so the
// work of a reduction is spread over the devices.
//
// Shape errors are programmer errors and panic naming the op and the shapes,
// as the backends do; this includes devices that disagree about the shapes
// of one collective (every device then panics with the same message).
// Failures are returned: once the context given to NewWithContext is done,
// or a device calls Abort, every pending and later collective on every
// device returns an error instead of waiting for peers that will never come.
package localcomm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/clip-go/clip/internal/compute"
)

// ErrAborted is wrapped by the errors collectives return after Abort(nil).
var ErrAborted = errors.New("localcomm: aborted")

// Comm is one device's communicator. It implements compute.Comm; Abort and
// Err are extras for the code that drives the devices.
type Comm struct {
	h    *hub
	rank int
	be   compute.Backend
	gen  uint64 // collectives made so far; its parity picks the host buffers
}

var _ compute.Comm = (*Comm)(nil)

// New returns one communicator per backend; backends[r] is the device of
// rank r. It is NewWithContext with a context that is never done.
func New(backends []compute.Backend) []compute.Comm {
	return NewWithContext(context.Background(), backends)
}

// NewWithContext is New whose collectives fail once ctx is done: pending
// ones return an error wrapping context.Cause(ctx) on every device, and so
// do all later ones.
func NewWithContext(ctx context.Context, backends []compute.Backend) []compute.Comm {
	d := len(backends)
	if d == 0 {
		panic("localcomm.New: no backends")
	}
	h := &hub{
		d:       d,
		release: make(chan struct{}),
		done:    make(chan struct{}),
	}
	for p := range h.slots {
		h.slots[p] = make([][]float32, d)
		h.calls[p] = make([]call, d)
	}
	comms := make([]compute.Comm, d)
	for r, be := range backends {
		if be == nil {
			panic(fmt.Sprintf("localcomm.New: backend %d is nil", r))
		}
		comms[r] = &Comm{h: h, rank: r, be: be}
	}
	if ctx.Done() != nil {
		// AfterFunc starts no goroutine until ctx is done, so an
		// uncancelled context leaks nothing.
		context.AfterFunc(ctx, func() {
			h.abort(fmt.Errorf("localcomm: context done: %w", context.Cause(ctx)))
		})
	}
	return comms
}

// Rank is this device's index in [0, Size).
func (c *Comm) Rank() int { return c.rank }

// Size is the number of devices D.
func (c *Comm) Size() int { return c.h.d }

// Abort makes every pending and later collective, on every device, return
// an error wrapping err (ErrAborted if err is nil). A device that fails
// calls it so that its peers stop waiting for it. Only the first Abort (or
// context cancellation) counts; later ones do nothing.
func (c *Comm) Abort(err error) {
	if err == nil {
		err = ErrAborted
	}
	c.h.abort(fmt.Errorf("localcomm: rank %d aborted: %w", c.rank, err))
}

// Err returns the error that aborted the communicators, or nil.
func (c *Comm) Err() error {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	return c.h.err
}

// AllGather: out[D·n, ...] = the in[n, ...] of every device, in rank order.
// out may overlap in (in-place gather into out's own rows).
func (c *Comm) AllGather(out, in compute.Tensor) error {
	const op = "AllGather"
	d := c.h.d
	c.check(op, !in.IsNil() && !out.IsNil() && len(in.Shape) >= 1 &&
		len(out.Shape) == len(in.Shape) && out.Shape[0] == d*in.Shape[0] &&
		slices.Equal(out.Shape[1:], in.Shape[1:]),
		"out %v must be [%d·n, ...] for in %v [n, ...]", out, d, in)
	p, err := c.begin(op, call{op: op, a: in.Shape, b: out.Shape, root: -1}, in)
	if err != nil {
		return err
	}
	n := in.Shape[0]
	for q := range d {
		c.be.Upload(out.Slice(q*n, (q+1)*n), c.h.slots[p][q])
	}
	return nil
}

// ReduceScatterSum: out[n, ...] = Σ over devices, in rank order, of rows
// rank·n .. rank·n+n-1 of their in[D·n, ...]. out may overlap in.
func (c *Comm) ReduceScatterSum(out, in compute.Tensor) error {
	const op = "ReduceScatterSum"
	d := c.h.d
	c.check(op, !in.IsNil() && !out.IsNil() && len(out.Shape) >= 1 &&
		len(out.Shape) == len(in.Shape) && in.Shape[0] == d*out.Shape[0] &&
		slices.Equal(out.Shape[1:], in.Shape[1:]),
		"in %v must be [%d·n, ...] for out %v [n, ...]", in, d, out)
	p, err := c.begin(op, call{op: op, a: in.Shape, b: out.Shape, root: -1}, in)
	if err != nil {
		return err
	}
	m := out.Numel()
	lo := c.rank * m
	mine := c.h.slots[p][c.rank][lo : lo+m]
	c.h.reduce(p, mine, lo, 1)
	c.be.Upload(out, mine)
	return nil
}

// AllReduceMean replaces t on every device by the mean over devices: each
// element is Σ_r t_r summed in float64 in rank order, divided by D and
// rounded once, so every device gets identical bits.
func (c *Comm) AllReduceMean(t compute.Tensor) error {
	const op = "AllReduceMean"
	c.check(op, !t.IsNil(), "t %v", t)
	p, err := c.begin(op, call{op: op, a: t.Shape, root: -1}, t)
	if err != nil {
		return err
	}
	d, n := c.h.d, t.Numel()
	if d == 1 {
		return nil // the mean of one device is its own tensor, already there
	}
	// Reduce this device's share of the elements into its own buffer (only
	// this device reads that share), then, once every share is reduced,
	// copy all of them to the device.
	lo, hi := share(n, d, c.rank)
	c.h.reduce(p, c.h.slots[p][c.rank][lo:hi], lo, float64(d))
	if err := c.h.wait(); err != nil {
		return c.wrap(op, err)
	}
	flat := t.Reshape(n)
	for q := range d {
		lo, hi := share(n, d, q)
		if hi > lo {
			c.be.Upload(flat.Slice(lo, hi), c.h.slots[p][q][lo:hi])
		}
	}
	return nil
}

// Broadcast copies root's t to every device.
func (c *Comm) Broadcast(t compute.Tensor, root int) error {
	const op = "Broadcast"
	c.check(op, !t.IsNil() && root >= 0 && root < c.h.d,
		"t %v, root %d of %d devices", t, root, c.h.d)
	var src compute.Tensor
	if c.rank == root {
		src = t
	}
	p, err := c.begin(op, call{op: op, a: t.Shape, root: root}, src)
	if err != nil {
		return err
	}
	if c.rank != root {
		c.be.Upload(t, c.h.slots[p][root])
	}
	return nil
}

// begin starts a collective: it checks for an abort, copies src (if not
// nil) into this device's host buffer of this collective's parity, records
// the call, and waits for every device to do the same. It returns the
// parity whose buffers now hold every device's data. Buffers alternate
// between two parities, so a device that has finished a collective cannot
// overwrite a buffer that a slower peer is still reading: to write the
// same parity again it must pass the next collective's barrier, which
// every peer reaches only after finishing this one.
func (c *Comm) begin(op string, cl call, src compute.Tensor) (int, error) {
	h := c.h
	if err := h.failed(); err != nil {
		return 0, c.wrap(op, err)
	}
	p := int(c.gen & 1)
	c.gen++
	if !src.IsNil() {
		n := src.Numel()
		buf := h.slots[p][c.rank]
		if cap(buf) < n {
			buf = make([]float32, n)
		}
		buf = buf[:n]
		c.be.Download(buf, src)
		h.slots[p][c.rank] = buf
	}
	h.calls[p][c.rank] = cl
	if err := h.wait(); err != nil {
		return 0, c.wrap(op, err)
	}
	// Every device sees the same calls, so all of them agree on whether
	// this panics, and none is left waiting.
	for q := 1; q < h.d; q++ {
		if !h.calls[p][q].equal(h.calls[p][0]) {
			// The same message on every device, whatever its own op.
			msg := fmt.Sprintf("localcomm: devices disagree on a collective: rank 0 called %v, rank %d called %v",
				h.calls[p][0], q, h.calls[p][q])
			h.abort(errors.New(msg))
			panic(msg)
		}
	}
	return p, nil
}

func (c *Comm) check(op string, ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf("localcomm.%s: %s", op, fmt.Sprintf(format, args...)))
	}
}

func (c *Comm) wrap(op string, err error) error {
	return fmt.Errorf("localcomm.%s on rank %d: %w", op, c.rank, err)
}

// call describes one device's side of a collective, to check that all
// devices agree.
type call struct {
	op   string
	a, b []int // shapes; b is nil when the op has one tensor
	root int
}

func (x call) equal(y call) bool {
	return x.op == y.op && x.root == y.root && slices.Equal(x.a, y.a) && slices.Equal(x.b, y.b)
}

func (x call) String() string {
	s := fmt.Sprintf("%s %v", x.op, x.a)
	if x.b != nil {
		s += fmt.Sprintf(" -> %v", x.b)
	}
	if x.root >= 0 {
		s += fmt.Sprintf(" root %d", x.root)
	}
	return s
}

// hub is the state the D communicators share.
type hub struct {
	d int

	// slots[p][r] is device r's host buffer for collectives of parity p;
	// calls[p][r] the call it made. Device r writes its own entries before
	// a barrier, the others read them after it.
	slots [2][][]float32
	calls [2][]call

	mu      sync.Mutex
	arrived int           // devices waiting at the current barrier
	release chan struct{} // closed when the current barrier opens
	done    chan struct{} // closed on abort
	err     error         // why the hub was aborted
}

// wait is a barrier over the D devices. It returns an error instead once
// the hub is aborted.
func (h *hub) wait() error {
	h.mu.Lock()
	if h.err != nil {
		err := h.err
		h.mu.Unlock()
		return err
	}
	ch := h.release
	h.arrived++
	if h.arrived == h.d {
		h.arrived = 0
		h.release = make(chan struct{})
		close(ch)
		h.mu.Unlock()
		return nil
	}
	h.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-h.done:
		return h.failed()
	}
}

func (h *hub) failed() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func (h *hub) abort(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = err
		close(h.done)
	}
}

// reduce sets dst[i] = (Σ_r slots[p][r][lo+i]) / div, summed in float64 in
// rank order and rounded once. dst may be part of one of those buffers.
func (h *hub) reduce(p int, dst []float32, lo int, div float64) {
	bufs := h.slots[p]
	for i := range dst {
		var s float64
		for _, b := range bufs {
			s += float64(b[lo+i])
		}
		dst[i] = float32(s / div)
	}
}

// share is device r's contiguous part [lo, hi) of n elements split over d.
func share(n, d, r int) (lo, hi int) {
	return r * n / d, (r + 1) * n / d
}
