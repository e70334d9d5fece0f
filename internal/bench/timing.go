package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Stats are the timed iterations of one measurement.
type Stats struct {
	Times  []time.Duration // in the order they ran
	Median time.Duration   // the middle time; the mean of the two middle ones for an even count
	Min    time.Duration
}

// Measure calls fn warmup times untimed (first-touch page faults, arena
// growth and cold caches belong to no iteration), then iters times timed.
// It stops at the first error or when ctx is cancelled between calls.
// The median is Python's statistics.median, as in bench_torch_cpu.py.
func Measure(ctx context.Context, warmup, iters int, fn func() error) (Stats, error) {
	if iters < 1 || warmup < 0 {
		return Stats{}, fmt.Errorf("bench: want iters >= 1 and warmup >= 0, got %d and %d", iters, warmup)
	}
	for range warmup {
		if err := ctx.Err(); err != nil {
			return Stats{}, err
		}
		if err := fn(); err != nil {
			return Stats{}, err
		}
	}
	times := make([]time.Duration, 0, iters)
	for range iters {
		if err := ctx.Err(); err != nil {
			return Stats{}, err
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			return Stats{}, err
		}
		times = append(times, time.Since(t0))
	}
	return summarize(times), nil
}

func summarize(times []time.Duration) Stats {
	s := slices.Clone(times)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stats{Times: times, Median: med, Min: s[0]}
}
