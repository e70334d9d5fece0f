// Package golden locates the reference data made with OpenAI's CLIP code
// (../shared/golden beside the checkout) and compares results against it
// with stated tolerances. Tests only.
package golden

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the golden folder: $CLIP_GOLDEN if set, else ../shared/golden
// beside the repository root. A missing folder fails the test (never skips):
// parity is the first feature.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CLIP_GOLDEN"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			g := filepath.Join(d, "..", "shared", "golden")
			if _, err := os.Stat(filepath.Join(g, "README.md")); err != nil {
				t.Fatalf("golden data missing: %s (set CLIP_GOLDEN or place shared/golden beside the checkout)", g)
			}
			return g
		}
		if filepath.Dir(d) == d {
			t.Fatalf("golden: no go.mod above %s", wd)
		}
	}
}

// Path joins elements onto Dir.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

// Diff summarises how far got is from want.
type Diff struct {
	MaxAbs    float64 // max |got - want|
	MaxRef    float64 // max |want|
	Worst     int     // index of the largest |got - want|
	Got, Want float64 // values at Worst
}

// Rel is MaxAbs / MaxRef: the error relative to the tensor's largest value.
func (d Diff) Rel() float64 {
	if d.MaxRef == 0 {
		return d.MaxAbs
	}
	return d.MaxAbs / d.MaxRef
}

// Compare computes the Diff of two equally long slices. A NaN anywhere counts
// as an infinite difference.
func Compare(got, want []float32) Diff {
	var d Diff
	for i := range want {
		w := float64(want[i])
		g := float64(got[i])
		d.MaxRef = math.Max(d.MaxRef, math.Abs(w))
		e := math.Abs(g - w)
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		if e > d.MaxAbs || i == 0 {
			d.MaxAbs, d.Worst, d.Got, d.Want = e, i, g, w
		}
	}
	return d
}

// AssertRel fails unless max|got-want| <= rel * max|want|, printing the worst
// element and a few leading pairs.
func AssertRel(t testing.TB, name string, got, want []float32, rel float64) Diff {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d elements, want %d", name, len(got), len(want))
		return Diff{}
	}
	d := Compare(got, want)
	if d.Rel() > rel || math.IsInf(d.MaxAbs, 0) {
		var pairs string
		for i := 0; i < len(want) && i < 4; i++ {
			pairs += fmt.Sprintf(" (%g, %g)", got[i], want[i])
		}
		t.Errorf("%s: max|diff| %.3g = %.3g of max|want| %.3g (limit %.1g); worst at %d: got %g want %g; first pairs (got, want):%s",
			name, d.MaxAbs, d.Rel(), d.MaxRef, rel, d.Worst, d.Got, d.Want, pairs)
	}
	return d
}
