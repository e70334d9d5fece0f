package gputest

import (
	"errors"
	"testing"
)

// fakeT records what SkipWithout does instead of doing it.
type fakeT struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Skip(...any)  { f.skipped = true }
func (f *fakeT) Fatal(...any) { f.failed = true }

func TestSkipWithout(t *testing.T) {
	missing := errors.New("libfoo.so: not found")
	for _, c := range []struct {
		require       string
		err           error
		skip, failure bool
	}{
		{"", nil, false, false},
		{"1", nil, false, false},
		{"", missing, true, false},
		{"0", missing, true, false},
		{"1", missing, false, true},
	} {
		t.Setenv("CLIP_GPU_REQUIRE", c.require)
		f := &fakeT{}
		SkipWithout(f, c.err)
		if f.skipped != c.skip || f.failed != c.failure {
			t.Errorf("CLIP_GPU_REQUIRE=%q err=%v: skipped %v failed %v, want %v %v", c.require, c.err, f.skipped, f.failed, c.skip, c.failure)
		}
	}
}
