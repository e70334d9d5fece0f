package sgemm

import (
	"sync/atomic"
	"testing"
)

// ParallelFor runs every task once, hands out slots below threads, and
// never lets two goroutines use one slot at the same time; run it with
// -race, also alongside products that share the workers.
func TestParallelFor(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		for _, tasks := range []int{0, 1, 2, 5, 64} {
			counts := make([]atomic.Int32, tasks)
			busy := make([]atomic.Int32, threads)
			var bad atomic.Int32
			ParallelFor(tasks, threads, func(slot, i int) {
				if slot < 0 || slot >= threads || busy[slot].Add(1) != 1 {
					bad.Add(1)
					return
				}
				counts[i].Add(1)
				busy[slot].Add(-1)
			})
			if bad.Load() != 0 {
				t.Fatalf("threads %d tasks %d: a slot out of range or shared", threads, tasks)
			}
			for i := range counts {
				if n := counts[i].Load(); n != 1 {
					t.Fatalf("threads %d tasks %d: task %d ran %d times", threads, tasks, i, n)
				}
			}
		}
	}
	// Nested: tasks that run products on the same workers.
	var sum atomic.Int64
	ParallelFor(4, 2, func(_, i int) {
		a, b, c := []float32{1, 2}, []float32{3, 4}, []float32{0}
		Gemm(Params{M: 1, N: 1, K: 2, Alpha: 1, A: a, B: b, C: c, Threads: 2})
		sum.Add(int64(c[0]))
	})
	if sum.Load() != 4*11 {
		t.Errorf("nested products: sum %d, want 44", sum.Load())
	}
}
