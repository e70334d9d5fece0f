package sgemm

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// serialCycles is the estimated cost (in cycles of one core, see cost) below
// which a product runs on the calling goroutine alone: handing work to
// another goroutine and waiting for it costs microseconds.
const serialCycles = 60e3

// fineCycles: see grid. About 3 ms of one core.
const fineCycles = 10e6

// spinFor is how long an idle worker polls for the next product before it
// parks. Waking a parked worker took 70-300 µs on the project's VMs (a
// goroutine readied by a busy goroutine waits in that one's run queue until
// another thread wakes and steals it), longer than a whole small product.
// The products of a model's forward or backward pass come closer together
// than this, so their workers stay awake; OpenMP and OpenBLAS threads spin
// similarly.
const spinFor = time.Millisecond

// call is one Gemm in flight. Its tasks, the cells of a tm×tn grid over C,
// are claimed in order by whichever goroutines are there: the caller and
// the workers it invited. A worker that arrives late finds less or nothing
// left, so the caller never waits for a goroutine to wake up, only for tasks
// already running, and it waits by polling: a parked caller would be woken
// into the finishing worker's run queue, where it can sit until that
// worker yields.
type call struct {
	p      Params // a copy, so that the caller's Params stays on its stack
	kern   *kernel
	tm, tn int
	// fn, when not nil, makes the call a ParallelFor: task i is fn(slot, i)
	// instead of a cell of a product.
	fn    func(slot, task int)
	next  atomic.Int64 // next task to claim
	done  atomic.Int64 // tasks finished
	refs  atomic.Int64 // goroutines that may still look at the call
	slots atomic.Int64 // ParallelFor slots handed out
}

// calls recycles call structs. (A sync.Pool would allocate here: the last
// goroutine to release a call is often a worker, which returns it to its
// own processor's pool, not the caller's.)
var calls freeList[call]

// run computes the product on up to p.Threads goroutines.
func run(p *Params, kern *kernel) {
	tm, tn := grid(p.M, p.N, p.K, p.Threads, kern)
	if tm*tn == 1 {
		s := kern.getScratch()
		compute(p, kern, s, 0, p.M, 0, p.N)
		kern.scratch.put(s)
		return
	}
	c := calls.get()
	c.p, c.kern, c.tm, c.tn = *p, kern, tm, tn
	c.dispatch(p.Threads)
}

// ParallelFor calls fn(slot, i) for every task i in [0, tasks) on the
// calling goroutine and up to threads-1 of the workers that run the
// products, and returns when all have returned. Tasks are claimed in order
// by whichever goroutine is free, so which goroutine runs a task varies
// from call to call: a task's result must not depend on it. slot, below
// threads, is the same for every task one goroutine runs in this call, and
// no two goroutines share one: it indexes per-goroutine scratch space.
//
// The workers poll for work for a while after each call (see spinFor), so
// between the products of a training step they take a task in well under a
// microsecond, where starting a goroutine and waking a thread for it can
// take far longer than a small elementwise op.
func ParallelFor(tasks, threads int, fn func(slot, task int)) {
	if threads <= 1 || tasks <= 1 {
		for i := range tasks {
			fn(0, i)
		}
		return
	}
	c := calls.get()
	c.fn, c.tm, c.tn = fn, tasks, 1
	c.dispatch(threads)
}

// dispatch runs the tm·tn tasks of c on the caller and up to threads-1
// workers, and recycles c.
func (c *call) dispatch(threads int) {
	tm, tn := c.tm, c.tn
	c.next.Store(0)
	c.done.Store(0)
	c.slots.Store(0)
	helpers := min(threads, tm*tn) - 1
	startWorkers(helpers)
	c.refs.Store(int64(1 + helpers))
	for range helpers {
		select {
		case invites <- c:
		default:
			c.release() // every worker is behind; the caller does the work
		}
	}
	c.work()
	for i := 0; c.done.Load() < int64(tm*tn); i++ {
		pause(i)
	}
	if c.next.Load() == int64(tm*tn)+1 {
		// Only this goroutine's last claim went past the end: no helper
		// has looked at the call. One may be a parked worker that this
		// goroutine woke into its own run queue, where it would wait until
		// this goroutine blocks. Let it run.
		runtime.Gosched()
	}
	c.release()
}

// work claims and runs tasks until none is left.
func (c *call) work() {
	n := int64(c.tm * c.tn)
	if c.fn != nil {
		slot := -1
		for {
			i := c.next.Add(1) - 1
			if i >= n {
				return
			}
			if slot < 0 {
				slot = int(c.slots.Add(1) - 1)
			}
			c.fn(slot, int(i))
			c.done.Add(1)
		}
	}
	var s *scratch
	for {
		i := c.next.Add(1) - 1
		if i >= n {
			break
		}
		if s == nil {
			s = c.kern.getScratch()
		}
		c.runTask(s, int(i))
		c.done.Add(1)
	}
	if s != nil {
		c.kern.scratch.put(s)
	}
}

// runTask computes cell i of the grid: whole panels of rows and columns,
// split as evenly as panels allow.
func (c *call) runTask(s *scratch, i int) {
	p, kern := &c.p, c.kern
	a, b := i/c.tn, i%c.tn
	mp, np := ceilDiv(p.M, kern.mr), ceilDiv(p.N, kern.nr)
	m0, m1 := min(a*mp/c.tm*kern.mr, p.M), min((a+1)*mp/c.tm*kern.mr, p.M)
	n0, n1 := min(b*np/c.tn*kern.nr, p.N), min((b+1)*np/c.tn*kern.nr, p.N)
	if m0 < m1 && n0 < n1 {
		compute(p, kern, s, m0, m1, n0, n1)
	}
}

// release drops one reference; the last one recycles the call.
func (c *call) release() {
	if c.refs.Add(-1) == 0 {
		c.p, c.kern, c.fn = Params{}, nil, nil // drop the references to the caller's data
		calls.put(c)
	}
}

// Workers are goroutines started on demand, as many as the most helpers any
// call has wanted, that then wait for invitations: a steady state starts no
// goroutines and allocates nothing. Concurrent calls share them; a call
// whose invitation is not taken at once gets done by its caller.
var (
	invites = make(chan *call, 256)
	workers atomic.Int64
)

// startWorkers makes sure at least n workers exist.
func startWorkers(n int) {
	for {
		w := workers.Load()
		if w >= int64(n) {
			return
		}
		if workers.CompareAndSwap(w, w+1) {
			go worker()
		}
	}
}

func worker() {
	for {
		c := nextInvite()
		c.work()
		c.release()
	}
}

// nextInvite polls for an invitation for spinFor, then blocks.
func nextInvite() *call {
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case c := <-invites:
			return c
		default:
		}
		if i%1024 == 1023 && time.Since(start) > spinFor {
			return <-invites
		}
		pause(i)
	}
}

// pause is one step of a polling loop. Now and then it yields the
// processor, so that a goroutine queued behind the poller gets to run.
func pause(i int) {
	if i%1024 == 1023 {
		runtime.Gosched()
	}
}

// cost estimates the cycles one core spends on an m×n×k share of a product:
// the kernel's multiply-adds a cycle, plus about two cycles per element
// packed (A once per column block, B once), the cost of packing an operand
// that is not in cache. It is a float64 because m·n·k
// overflows a 32-bit int.
func cost(m, n, k int, kern *kernel) float64 {
	fm, fn, fk := float64(m), float64(n), float64(k)
	return fm*fn*fk/float64(kern.lanes) + 2*(fm*float64(ceilDiv(n, kern.nc))+fn)*fk
}

// grid chooses the tm×tn grid of tasks (whole panels of rows and columns)
// for threads goroutines: the split with the cheapest task, counting the
// packing each task repeats. Products below serialCycles get one task.
// Products below fineCycles a goroutine get two tasks per goroutine: a
// helper that arrives late (a parked worker takes 70-300 µs to wake) then
// costs at most part of a smaller task; above it one task per goroutine
// saves the repeated packing (measured 3-7% on the 1600-row products).
func grid(m, n, k, threads int, kern *kernel) (tm, tn int) {
	total := cost(m, n, k, kern)
	if threads <= 1 || total < serialCycles {
		return 1, 1
	}
	tasks := threads
	if total/float64(threads) < fineCycles {
		tasks = 2 * threads
	}
	mp, np := ceilDiv(m, kern.mr), ceilDiv(n, kern.nr)
	tm, tn = 1, 1
	best := math.Inf(1)
	for a := 1; a <= tasks; a++ {
		b := tasks / a
		if a*b != tasks || a > mp || b > np {
			continue
		}
		c := cost(min(ceilDiv(mp, a)*kern.mr, m), min(ceilDiv(np, b)*kern.nr, n), k, kern)
		// Ties go to more columns: each task then packs a disjoint part of
		// B, the larger operand for CLIP's weights.
		if c < best || (c == best && b > tn) {
			tm, tn, best = a, b, c
		}
	}
	return tm, tn
}

// freeList is a stack of reusable objects. Unlike a sync.Pool it is never
// emptied by the garbage collector: the packing buffers are megabytes and
// a training step would otherwise reallocate them after every collection.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

// get returns a recycled object, or a new zero one.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.items)
	if n == 0 {
		return new(T)
	}
	x := f.items[n-1]
	f.items = f.items[:n-1]
	return x
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
