package localcomm_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/localcomm"
)

func backends(d int) []compute.Backend {
	bs := make([]compute.Backend, d)
	for i := range bs {
		bs[i] = cpu.New(1)
	}
	return bs
}

// parallel runs fn once per device, each on its own goroutine, and returns
// each device's error and recovered panic message.
func parallel(comms []compute.Comm, fn func(c compute.Comm) error) (errs []error, panics []string) {
	d := len(comms)
	errs, panics = make([]error, d), make([]string, d)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panics[r] = fmt.Sprint(p)
				}
			}()
			errs[r] = fn(c)
		}()
	}
	wg.Wait()
	return errs, panics
}

func mustParallel(t *testing.T, comms []compute.Comm, fn func(c compute.Comm) error) {
	t.Helper()
	errs, panics := parallel(comms, fn)
	for r := range comms {
		if errs[r] != nil || panics[r] != "" {
			t.Fatalf("rank %d: err %v, panic %q", r, errs[r], panics[r])
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(7)-3)))
	}
	return s
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestSizeRank(t *testing.T) {
	comms := localcomm.New(backends(3))
	for r, c := range comms {
		if c.Rank() != r || c.Size() != 3 {
			t.Fatalf("comm %d: rank %d size %d", r, c.Rank(), c.Size())
		}
	}
}

func TestAllGather(t *testing.T) {
	for d := 1; d <= 4; d++ {
		t.Run(fmt.Sprint("D=", d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(d)))
			n, m := 3, 5
			ins := make([][]float32, d)
			outs := make([][]float32, d)
			var want []float32
			for r := range d {
				ins[r] = randSlice(rng, n*m)
				outs[r] = make([]float32, d*n*m)
				want = append(want, ins[r]...)
			}
			mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
				r := c.Rank()
				return c.AllGather(cpu.FromSlice(outs[r], d*n, m), cpu.FromSlice(ins[r], n, m))
			})
			for r := range d {
				if !sameBits(outs[r], want) {
					t.Fatalf("rank %d: got %v want %v", r, outs[r], want)
				}
			}
		})
	}
}

// TestAllGatherInPlace gathers into out when in is this device's rows of
// out, as data parallel training does.
func TestAllGatherInPlace(t *testing.T) {
	d, n, m := 3, 2, 4
	rng := rand.New(rand.NewPCG(2, 2))
	outs := make([][]float32, d)
	var want []float32
	for r := range d {
		outs[r] = make([]float32, d*n*m)
		mine := randSlice(rng, n*m)
		copy(outs[r][r*n*m:], mine)
		want = append(want, mine...)
	}
	mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
		out := cpu.FromSlice(outs[c.Rank()], d*n, m)
		return c.AllGather(out, out.Slice(c.Rank()*n, c.Rank()*n+n))
	})
	for r := range d {
		if !sameBits(outs[r], want) {
			t.Fatalf("rank %d: got %v want %v", r, outs[r], want)
		}
	}
}

func TestReduceScatterSum(t *testing.T) {
	for d := 1; d <= 4; d++ {
		t.Run(fmt.Sprint("D=", d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(d)))
			n, m := 3, 7
			ins := make([][]float32, d)
			outs := make([][]float32, d)
			for r := range d {
				ins[r] = randSlice(rng, d*n*m)
				outs[r] = make([]float32, n*m)
			}
			mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
				r := c.Rank()
				return c.ReduceScatterSum(cpu.FromSlice(outs[r], n, m), cpu.FromSlice(ins[r], d*n, m))
			})
			for r := range d {
				for i := range n * m {
					var s float64
					var s32 float32
					for q := range d {
						s += float64(ins[q][r*n*m+i])
						s32 += ins[q][r*n*m+i]
					}
					if math.Float32bits(outs[r][i]) != math.Float32bits(float32(s)) {
						t.Fatalf("rank %d [%d]: got %v want %v", r, i, outs[r][i], float32(s))
					}
					if diff := math.Abs(float64(outs[r][i] - s32)); diff > 1e-5*(1+math.Abs(float64(s32))) {
						t.Fatalf("rank %d [%d]: got %v, float32 sum %v", r, i, outs[r][i], s32)
					}
				}
			}
		})
	}
}

func TestAllReduceMean(t *testing.T) {
	for d := 1; d <= 4; d++ {
		for _, shape := range [][]int{{1}, {2}, {7, 13}, {3, 4, 5}} {
			t.Run(fmt.Sprint("D=", d, "/", shape), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(4, uint64(d)))
				n := compute.Tensor{Shape: shape}.Numel()
				ts := make([][]float32, d)
				for r := range d {
					ts[r] = randSlice(rng, n)
				}
				want := make([]float32, n)
				for i := range want {
					var s float64
					for q := range d {
						s += float64(ts[q][i])
					}
					want[i] = float32(s / float64(d))
				}
				mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
					return c.AllReduceMean(cpu.FromSlice(ts[c.Rank()], shape...))
				})
				for r := range d {
					if !sameBits(ts[r], want) {
						t.Fatalf("rank %d: got %v want %v", r, ts[r], want)
					}
				}
			})
		}
	}
}

func TestBroadcast(t *testing.T) {
	for d := 1; d <= 4; d++ {
		for root := range d {
			t.Run(fmt.Sprint("D=", d, "/root=", root), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, uint64(d*10+root)))
				ts := make([][]float32, d)
				for r := range d {
					ts[r] = randSlice(rng, 6*5)
				}
				want := append([]float32(nil), ts[root]...)
				mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
					return c.Broadcast(cpu.FromSlice(ts[c.Rank()], 6, 5), root)
				})
				for r := range d {
					if !sameBits(ts[r], want) {
						t.Fatalf("rank %d: got %v want %v", r, ts[r], want)
					}
				}
			})
		}
	}
}

// trainLike makes many collectives in a row, of all kinds and changing
// sizes, as a training loop does, and returns each device's final
// parameters. It exercises buffer reuse between consecutive collectives.
func trainLike(t *testing.T, d int) [][]float32 {
	t.Helper()
	const n, m, steps = 4, 9, 40
	params := make([][]float32, d)
	for r := range d {
		params[r] = make([]float32, n*m)
	}
	mustParallel(t, localcomm.New(backends(d)), func(c compute.Comm) error {
		r := c.Rank()
		rng := rand.New(rand.NewPCG(6, uint64(r)))
		p := cpu.FromSlice(params[r], n, m)
		if r == 0 {
			copy(params[r], randSlice(rng, n*m))
		}
		if err := c.Broadcast(p, 0); err != nil {
			return err
		}
		for step := range steps {
			rows := 1 + step%3
			ld := randSlice(rng, rows*m)
			local := cpu.FromSlice(ld, rows, m)
			ad := make([]float32, d*rows*m)
			all := cpu.FromSlice(ad, d*rows, m)
			if err := c.AllGather(all, local); err != nil {
				return err
			}
			// The gathered rows, the same on every device, feed the update.
			if err := c.ReduceScatterSum(local, all); err != nil {
				return err
			}
			if err := c.AllGather(all, local); err != nil {
				return err
			}
			grad := randSlice(rng, n*m)
			g := cpu.FromSlice(grad, n, m)
			if err := c.AllReduceMean(g); err != nil {
				return err
			}
			for i := range params[r] {
				params[r][i] -= 0.1*grad[i] + 0.01*ad[i%len(ad)]
			}
		}
		return nil
	})
	return params
}

func TestDeterminism(t *testing.T) {
	for d := 1; d <= 4; d++ {
		t.Run(fmt.Sprint("D=", d), func(t *testing.T) {
			a, b := trainLike(t, d), trainLike(t, d)
			for r := range d {
				if !sameBits(a[r], a[0]) {
					t.Fatalf("run 1: rank %d differs from rank 0", r)
				}
				if !sameBits(a[r], b[r]) {
					t.Fatalf("rank %d: run 2 differs from run 1", r)
				}
			}
		})
	}
}

func expectPanic(t *testing.T, want []string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if p == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		msg := fmt.Sprint(p)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Fatalf("panic %q does not mention %q", msg, w)
			}
		}
	}()
	fn()
}

func TestLocalShapePanics(t *testing.T) {
	c := localcomm.New(backends(2))[0]
	z := func(shape ...int) compute.Tensor {
		return cpu.FromSlice(make([]float32, compute.Tensor{Shape: shape}.Numel()), shape...)
	}
	expectPanic(t, []string{"AllGather", "[5,3]", "[2,3]"}, func() { _ = c.AllGather(z(5, 3), z(2, 3)) })
	expectPanic(t, []string{"AllGather", "[4,2]", "[2,3]"}, func() { _ = c.AllGather(z(4, 2), z(2, 3)) })
	expectPanic(t, []string{"ReduceScatterSum", "[3,3]", "[2,3]"}, func() { _ = c.ReduceScatterSum(z(2, 3), z(3, 3)) })
	expectPanic(t, []string{"AllReduceMean", "nil"}, func() { _ = c.AllReduceMean(compute.Tensor{}) })
	expectPanic(t, []string{"Broadcast", "root 2"}, func() { _ = c.Broadcast(z(2), 2) })
	expectPanic(t, []string{"Broadcast", "root -1"}, func() { _ = c.Broadcast(z(2), -1) })
}

// TestDisagreementPanics: devices whose calls disagree all panic with the
// same message naming the op and the shapes, and none deadlocks.
func TestDisagreementPanics(t *testing.T) {
	cases := []struct {
		name string
		fn   func(c compute.Comm) error
		want []string
	}{
		{"shape", func(c compute.Comm) error {
			n := 4 + c.Rank()
			return c.AllReduceMean(cpu.FromSlice(make([]float32, n), n))
		}, []string{"AllReduceMean", "[4]", "[5]"}},
		{"gather rows", func(c compute.Comm) error {
			n := 1 + c.Rank()
			return c.AllGather(cpu.FromSlice(make([]float32, 2*n), 2*n), cpu.FromSlice(make([]float32, n), n))
		}, []string{"AllGather", "[1] -> [2]", "[2] -> [4]"}},
		{"root", func(c compute.Comm) error {
			return c.Broadcast(cpu.FromSlice(make([]float32, 3), 3), c.Rank())
		}, []string{"Broadcast", "root 0", "root 1"}},
		{"op", func(c compute.Comm) error {
			t := cpu.FromSlice(make([]float32, 3), 3)
			if c.Rank() == 0 {
				return c.AllReduceMean(t)
			}
			return c.Broadcast(t, 0)
		}, []string{"AllReduceMean [3]", "Broadcast [3] root 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			comms := localcomm.New(backends(2))
			_, panics := parallel(comms, tc.fn)
			for r, p := range panics {
				if p != panics[0] {
					t.Fatalf("rank %d panicked %q, rank 0 %q", r, p, panics[0])
				}
				for _, w := range tc.want {
					if !strings.Contains(p, w) {
						t.Fatalf("rank %d: panic %q does not mention %q", r, p, w)
					}
				}
			}
			// The communicators are unusable afterwards: later calls fail.
			errs, _ := parallel(comms, func(c compute.Comm) error {
				return c.AllReduceMean(cpu.FromSlice(make([]float32, 1), 1))
			})
			for r, err := range errs {
				if err == nil {
					t.Fatalf("rank %d: call after a disagreement succeeded", r)
				}
			}
		})
	}
}

// stuck runs every device but the last through collective calls while the
// last never arrives, and stops them with stop. It checks that every
// pending call and a later call fail with an error matching target, within
// a bounded time, and that no goroutine is left behind.
func stuck(t *testing.T, d int, newComms func() []compute.Comm, stop func(comms []compute.Comm), target error) {
	t.Helper()
	before := runtime.NumGoroutine()
	comms := newComms()
	ops := []func(c compute.Comm) error{
		func(c compute.Comm) error { return c.AllReduceMean(cpu.FromSlice(make([]float32, 5), 5)) },
		func(c compute.Comm) error {
			return c.AllGather(cpu.FromSlice(make([]float32, 2*d), 2*d), cpu.FromSlice(make([]float32, 2), 2))
		},
		func(c compute.Comm) error {
			return c.ReduceScatterSum(cpu.FromSlice(make([]float32, 2), 2), cpu.FromSlice(make([]float32, 2*d), 2*d))
		},
		func(c compute.Comm) error { return c.Broadcast(cpu.FromSlice(make([]float32, 3), 3), d-1) },
	}
	type result struct {
		rank  int
		first error
		later error
	}
	results := make(chan result, d)
	for r := range d - 1 {
		op := ops[r%len(ops)]
		go func() {
			// One collective that completes among the devices present
			// would need the absent one too, so all of these block.
			first := op(comms[r])
			later := comms[r].AllReduceMean(cpu.FromSlice(make([]float32, 1), 1))
			results <- result{r, first, later}
		}()
	}
	time.Sleep(20 * time.Millisecond) // let them block
	select {
	case res := <-results:
		t.Fatalf("rank %d returned before the stop: %v", res.rank, res.first)
	default:
	}
	start := time.Now()
	stop(comms)
	timeout := time.After(5 * time.Second)
	for range d - 1 {
		select {
		case res := <-results:
			if !errors.Is(res.first, target) || !errors.Is(res.later, target) {
				t.Fatalf("rank %d: errors %v and %v, want %v", res.rank, res.first, res.later, target)
			}
		case <-timeout:
			t.Fatal("pending collectives did not return within 5s of the stop")
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("collectives took %v to fail", el)
	}
	// The absent device's later calls fail too, at once.
	if err := comms[d-1].AllReduceMean(cpu.FromSlice(make([]float32, 1), 1)); !errors.Is(err, target) {
		t.Fatalf("absent rank: %v, want %v", err, target)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines before, %d after", before, n)
	}
}

func TestCancel(t *testing.T) {
	for d := 2; d <= 4; d++ {
		t.Run(fmt.Sprint("D=", d), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stuck(t, d, func() []compute.Comm {
				return localcomm.NewWithContext(ctx, backends(d))
			}, func([]compute.Comm) { cancel() }, context.Canceled)
		})
	}
}

func TestCancelCause(t *testing.T) {
	cause := errors.New("operator pressed stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stuck(t, 3, func() []compute.Comm {
		return localcomm.NewWithContext(ctx, backends(3))
	}, func([]compute.Comm) { cancel(cause) }, cause)
}

func TestAbort(t *testing.T) {
	boom := errors.New("device 2 ran out of memory")
	for d := 2; d <= 4; d++ {
		t.Run(fmt.Sprint("D=", d), func(t *testing.T) {
			stuck(t, d, func() []compute.Comm {
				return localcomm.New(backends(d))
			}, func(comms []compute.Comm) {
				comms[d-1].(*localcomm.Comm).Abort(boom)
			}, boom)
		})
	}
}

func TestAbortNil(t *testing.T) {
	stuck(t, 2, func() []compute.Comm {
		return localcomm.New(backends(2))
	}, func(comms []compute.Comm) {
		c := comms[1].(*localcomm.Comm)
		c.Abort(nil)
		c.Abort(errors.New("second abort is ignored"))
	}, localcomm.ErrAborted)
}

// TestCancelledBefore: a context done before any call fails the first one.
func TestCancelledBefore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	comms := localcomm.NewWithContext(ctx, backends(2))
	time.Sleep(10 * time.Millisecond) // AfterFunc runs on its own goroutine
	errs, _ := parallel(comms, func(c compute.Comm) error {
		return c.Broadcast(cpu.FromSlice(make([]float32, 1), 1), 0)
	})
	for r, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
}
