package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, tc := range []struct {
		times    []time.Duration
		med, min time.Duration
	}{
		{ms(5), 5 * time.Millisecond, 5 * time.Millisecond},
		{ms(9, 1, 5), 5 * time.Millisecond, time.Millisecond},
		{ms(4, 1, 8, 2), 3 * time.Millisecond, time.Millisecond}, // even: mean of the middle two
	} {
		s := summarize(tc.times)
		if s.Median != tc.med || s.Min != tc.min || len(s.Times) != len(tc.times) || s.Times[0] != tc.times[0] {
			t.Errorf("summarize(%v) = %+v, want median %v min %v, times in run order", tc.times, s, tc.med, tc.min)
		}
	}
}

func TestMeasure(t *testing.T) {
	calls := 0
	s, err := Measure(context.Background(), 2, 3, func() error { calls++; return nil })
	if err != nil || calls != 5 || len(s.Times) != 3 {
		t.Fatalf("Measure: err %v, %d calls, %d times; want 5 calls, 3 times", err, calls, len(s.Times))
	}
	boom := errors.New("boom")
	if _, err := Measure(context.Background(), 0, 2, func() error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error not returned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = Measure(ctx, 1, 5, func() error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled: err %v after %d calls, want context.Canceled after 1", err, calls)
	}
	if _, err := Measure(context.Background(), 0, 0, func() error { return nil }); err == nil {
		t.Error("iters 0 accepted")
	}
}

func TestPeakRSS(t *testing.T) {
	if mb, ok := PeakRSSMiB(); ok && (mb <= 1 || mb > 1<<20) {
		t.Errorf("peak RSS %v MiB is implausible", mb)
	}
}
