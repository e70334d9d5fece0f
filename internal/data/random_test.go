package data

import (
	"math"
	"testing"
)

func TestCropBoxFallback(t *testing.T) {
	// No 0.9-1.0 area crop with ratio in [3/4, 4/3] fits these, so every
	// attempt fails and the whole image is clamped to the ratio range.
	cases := []struct {
		w, h int
		want [4]int
	}{
		{100, 10, [4]int{43, 0, 56, 10}}, // w = round(10 * 4/3) = 13
		{10, 100, [4]int{0, 43, 10, 56}}, // h = round(10 / (3/4)) = 13
		{300, 100, [4]int{83, 0, 216, 100}},
	}
	for _, c := range cases {
		for seed := range uint64(5) {
			if got := cropBox(c.w, c.h, defaultCropScale, sampleRNG(seed, 0, 0)); got != c.want {
				t.Errorf("%dx%d seed %d: %v, want %v", c.w, c.h, seed, got, c.want)
			}
		}
	}
}

func TestCropBoxDistribution(t *testing.T) {
	sizes := [][2]int{{640, 480}, {480, 640}, {500, 500}, {37, 23}, {1, 1}, {2, 3}}
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		var sumFrac float64
		const n = 2000
		for pos := range n {
			b := cropBox(w, h, defaultCropScale, sampleRNG(9, 1, pos))
			cw, ch := b[2]-b[0], b[3]-b[1]
			if b[0] < 0 || b[1] < 0 || b[2] > w || b[3] > h || cw < 1 || ch < 1 {
				t.Fatalf("%dx%d: box %v outside the image", w, h, b)
			}
			sumFrac += float64(cw*ch) / float64(w*h)
			if w >= 100 && h >= 100 {
				// Rounding the sides moves area and ratio a little.
				frac, ratio := float64(cw*ch)/float64(w*h), float64(cw)/float64(ch)
				if frac < 0.88 || frac > 1 || ratio < 0.74 || ratio > 1.35 {
					t.Fatalf("%dx%d: box %v: area fraction %.3f ratio %.3f", w, h, b, frac, ratio)
				}
			}
		}
		if mean := sumFrac / n; w >= 100 && math.Abs(mean-0.95) > 0.01 {
			t.Errorf("%dx%d: mean area fraction %.4f, want about 0.95", w, h, mean)
		}
	}
}

// TestRandomStreamsFixed pins the generators' output: a checkpoint must
// resume with the same crops and orders under a later build.
func TestRandomStreamsFixed(t *testing.T) {
	if got, want := cropBox(640, 480, defaultCropScale, sampleRNG(1, 2, 3)), [4]int{16, 13, 628, 472}; got != want {
		t.Errorf("cropBox(640x480, seed 1, epoch 2, position 3) = %v, want %v", got, want)
	}
	r := sampleRNG(7, 0, 0)
	if got, want := [3]int{intN(r, 10), intN(r, 1000), intN(r, 3)}, [3]int{5, 164, 1}; got != want {
		t.Errorf("intN draws %v, want %v", got, want)
	}
}
