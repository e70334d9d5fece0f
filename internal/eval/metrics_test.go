package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

var nan = float32(math.NaN())

func TestClassRanks(t *testing.T) {
	tests := []struct {
		name   string
		scores []float32
		c      int
		labels []int
		want   []int
	}{
		{"best is rank 0", []float32{0.1, 0.9, 0.3}, 3, []int{1}, []int{0}},
		{"two above", []float32{0.5, 0.9, 0.3, 0.7}, 4, []int{0}, []int{2}},
		{"worst", []float32{0.5, 0.9, 0.3, 0.7}, 4, []int{2}, []int{3}},
		{"ties count in the true class's favour", []float32{0.5, 0.5, 0.5}, 3, []int{2}, []int{0}},
		{"tie below a better one", []float32{0.7, 0.5, 0.5}, 3, []int{1}, []int{1}},
		{"NaN true score ranks last", []float32{0.1, nan, 0.2}, 3, []int{1}, []int{2}},
		{"NaN candidates never outrank", []float32{nan, 0.1, nan}, 3, []int{1}, []int{0}},
		{"two rows", []float32{1, 2, 3, 3, 2, 1}, 3, []int{0, 0}, []int{2, 0}},
		{"no rows", nil, 3, nil, []int{}},
		{"negative scores", []float32{-3, -1, -2}, 3, []int{2}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClassRanks(tc.scores, tc.c, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ranks %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassRanksErrors(t *testing.T) {
	tests := []struct {
		scores []float32
		c      int
		labels []int
		want   string
	}{
		{[]float32{1, 2}, 3, []int{0}, "2 scores for 1 images x 3 classes"},
		{[]float32{1, 2, 3}, 3, []int{3}, "image 0 has label 3, want 0..2"},
		{[]float32{1, 2, 3}, 3, []int{-1}, "label -1"},
		{nil, 0, nil, "0 classes"},
	}
	for _, tc := range tests {
		_, err := ClassRanks(tc.scores, tc.c, tc.labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ClassRanks(%v, %d, %v) error %v, want %q", tc.scores, tc.c, tc.labels, err, tc.want)
		}
	}
}

func TestRecallAt(t *testing.T) {
	ranks := []int{0, 1, 4, 5, 9, 10, 0, 2}
	for k, want := range map[int]float64{0: 0, 1: 2.0 / 8, 2: 3.0 / 8, 5: 5.0 / 8, 6: 6.0 / 8, 10: 7.0 / 8, 11: 1} {
		if got := RecallAt(ranks, k); got != want {
			t.Errorf("RecallAt(k=%d) = %g, want %g", k, got, want)
		}
	}
	if got := RecallAt(nil, 5); got != 0 {
		t.Errorf("RecallAt(nil) = %g, want 0", got)
	}
}

func TestScoreZeroShot(t *testing.T) {
	// 6 classes, 4 images: image 0 (class 0) correct; image 1 (class 0)
	// true class third; image 2 (class 2) true class last (rank 5); image
	// 3 (class 2) correct. Class 5 has no image.
	classes := []string{"a", "b", "c", "d", "e", "f"}
	scores := []float32{
		9, 1, 1, 1, 1, 1,
		5, 7, 1, 6, 1, 1,
		6, 5, 0, 4, 3, 2,
		0, 0, 1, 0, 0, 0,
	}
	labels := []int{0, 0, 2, 2}
	res, err := ScoreZeroShot(scores, labels, classes)
	if err != nil {
		t.Fatal(err)
	}
	if res.Top1 != 0.5 || res.Top5 != 0.75 || res.N != 4 || res.Failed != 0 {
		t.Errorf("top1 %g top5 %g n %d failed %d, want 0.5 0.75 4 0", res.Top1, res.Top5, res.N, res.Failed)
	}
	want := []ClassResult{
		{"a", 2, 0.5, 1}, {"b", 0, 0, 0}, {"c", 2, 0.5, 0.5},
		{"d", 0, 0, 0}, {"e", 0, 0, 0}, {"f", 0, 0, 0},
	}
	if !reflect.DeepEqual(res.PerClass, want) {
		t.Errorf("per class %+v\nwant %+v", res.PerClass, want)
	}
	if res.MeanPerClassTop1 != 0.5 {
		t.Errorf("mean per-class top-1 %g, want 0.5 (classes without images left out)", res.MeanPerClassTop1)
	}

	// Balanced accuracy differs from accuracy when classes are uneven.
	res, err = ScoreZeroShot([]float32{1, 0, 1, 0, 1, 0, 1, 0}, []int{0, 0, 0, 1}, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Top1 != 0.75 || res.MeanPerClassTop1 != 0.5 || res.Top5 != 1 {
		t.Errorf("top1 %g mean per class %g top5 %g, want 0.75 0.5 1", res.Top1, res.MeanPerClassTop1, res.Top5)
	}
}

func TestSummarizeRanks(t *testing.T) {
	tests := []struct {
		ranks []int
		want  RankMetrics
	}{
		{[]int{0, 0, 0}, RankMetrics{1, 1, 1, 1, 1}},
		{[]int{0, 4, 9, 20}, RankMetrics{0.25, 0.5, 0.75, 33.0/4 + 1, 5}}, // even count: lower middle (rank 4) + 1
		{[]int{3, 0, 7}, RankMetrics{1.0 / 3, 2.0 / 3, 1, 10.0/3 + 1, 4}},
		{nil, RankMetrics{}},
	}
	for _, tc := range tests {
		got := SummarizeRanks(tc.ranks)
		if math.Abs(got.MeanRank-tc.want.MeanRank) < 1e-12 {
			got.MeanRank = tc.want.MeanRank
		}
		if got != tc.want {
			t.Errorf("SummarizeRanks(%v) = %+v, want %+v", tc.ranks, got, tc.want)
		}
	}
}

func TestDiagonalRanks(t *testing.T) {
	// Rows are images, columns texts; the true pairs are on the diagonal.
	scores := []float32{
		0.9, 0.1, 0.3,
		0.8, 0.2, 0.2, // image 1: text 0 is better, text 2 ties with the true text
		0.1, 0.7, 0.5, // image 2: text 1 is better
	}
	img, txt, err := DiagonalRanks(scores, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Text 0: images 0.9, 0.8, 0.1 -> rank 0. Text 1: 0.1, 0.2, 0.7 ->
	// image 2 beats image 1's true 0.2: rank 1. Text 2: 0.3, 0.2, 0.5 -> 0.
	if fmt.Sprint(img) != "[0 1 1]" || fmt.Sprint(txt) != "[0 1 0]" {
		t.Errorf("image ranks %v, text ranks %v; want [0 1 1] and [0 1 0]", img, txt)
	}
	if _, _, err := DiagonalRanks(scores, 2); err == nil {
		t.Error("a 3x3 matrix accepted as 2x2")
	}
}

// TestPairRanksBlocks checks that the streamed ranking (several row blocks
// computed with sgemm) equals ranking the whole matrix.
func TestPairRanksBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 23, 5
	a, b := make([]float32, n*dim), make([]float32, n*dim)
	for i := range a {
		a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	copy(b[3*dim:4*dim], b[7*dim:8*dim]) // a repeated caption: a tie
	full := make([]float32, n*n)
	similarities(a, n, b, n, dim, 1, full)
	wantI2T, wantT2I, err := DiagonalRanks(full, n)
	if err != nil {
		t.Fatal(err)
	}
	defer func(old int) { blockElems = old }(blockElems)
	for _, elems := range []int{1, 2 * n, 5 * n, n * n} {
		blockElems = elems
		i2t, err := pairRanks(context.Background(), a, b, n, dim, 2)
		if err != nil {
			t.Fatal(err)
		}
		t2i, err := pairRanks(context.Background(), b, a, n, dim, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(i2t, wantI2T) || !reflect.DeepEqual(t2i, wantT2I) {
			t.Errorf("block of %d elements: ranks %v / %v, want %v / %v", elems, i2t, t2i, wantI2T, wantT2I)
		}
	}
}
