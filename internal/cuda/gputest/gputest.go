// Package gputest holds what the tests of internal/cuda and its shims share
// and plain test files cannot (a _test.go file is not importable): the rule
// for a test whose GPU library is missing.
package gputest

import (
	"os"
	"testing"
)

// SkipWithout skips t when err (the failure to load a library) is not nil,
// unless the GPU check demands every test (CLIP_GPU_REQUIRE=1, set by
// scripts/gpu-check.sh): then t fails. Either ends the test.
func SkipWithout(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CLIP_GPU_REQUIRE") == "1" {
		t.Fatal(err)
	} else {
		t.Skip(err)
	}
}
