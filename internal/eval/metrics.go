package eval

import (
	"fmt"
	"sort"

	"github.com/clip-go/clip/internal/pipeline"
)

// Ranks throughout this package are 0-based and count ties in the item's
// favour: the rank of the true item is the number of candidates that score
// strictly higher than it. A true item tied with others is thus ranked
// first among them (PyTorch's topk and argsort break ties in an unspecified
// order; counting only strictly better candidates makes the metrics
// deterministic). A NaN true score ranks last; NaN candidates never outrank.

// rankOf returns the rank of scores[target] among scores.
func rankOf(scores []float32, target int) int {
	t := scores[target]
	if t != t { // NaN
		return len(scores) - 1
	}
	r := 0
	for _, s := range scores {
		if s > t {
			r++
		}
	}
	return r
}

// ClassRanks returns the rank of each image's true class: scores is
// [len(labels), numClasses] row-major (any monotone score: cosine
// similarity, logits or probabilities), labels[i] the true class of row i.
// The image is correct at top-k when its rank is below k.
func ClassRanks(scores []float32, numClasses int, labels []int) ([]int, error) {
	if numClasses <= 0 {
		return nil, fmt.Errorf("class ranks: %d classes", numClasses)
	}
	if len(scores) != len(labels)*numClasses {
		return nil, fmt.Errorf("class ranks: %d scores for %d images x %d classes", len(scores), len(labels), numClasses)
	}
	ranks := make([]int, len(labels))
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("class ranks: image %d has label %d, want 0..%d", i, l, numClasses-1)
		}
		ranks[i] = rankOf(scores[i*numClasses:(i+1)*numClasses], l)
	}
	return ranks, nil
}

// RecallAt is the fraction of ranks below k (top-k accuracy, recall@k);
// 0 for no ranks.
func RecallAt(ranks []int, k int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	n := 0
	for _, r := range ranks {
		if r < k {
			n++
		}
	}
	return float64(n) / float64(len(ranks))
}

// ClassResult is the accuracy on one class's images.
type ClassResult struct {
	Name string  `json:"name"`
	N    int     `json:"n"`    // images of this class that were scored
	Top1 float64 `json:"top1"` // 0 when N is 0
	Top5 float64 `json:"top5"`
}

// ZeroShotResult is a zero-shot evaluation. Accuracies are fractions in
// [0,1] over the N images that were scored (0 when N is 0). Top-5 is 1 when
// there are 5 classes or fewer.
type ZeroShotResult struct {
	Top1 float64 `json:"top1"`
	Top5 float64 `json:"top5"`
	// MeanPerClassTop1 is the mean of the classes' top-1 accuracies over
	// the classes with images (balanced accuracy).
	MeanPerClassTop1 float64       `json:"mean_per_class_top1"`
	N                int           `json:"n"`      // images scored
	Failed           int           `json:"failed"` // images that could not be read
	PerClass         []ClassResult `json:"per_class"`
	// Failures are the unreadable images, in input order.
	Failures []pipeline.ImageFailure `json:"-"`
}

// ScoreZeroShot computes top-1/top-5 and per-class accuracy from a score
// matrix [len(labels), len(classNames)] (row i: image i against every class)
// and the true labels. Failed is left 0 for the caller.
func ScoreZeroShot(scores []float32, labels []int, classNames []string) (*ZeroShotResult, error) {
	ranks, err := ClassRanks(scores, len(classNames), labels)
	if err != nil {
		return nil, err
	}
	return zeroShotFromRanks(ranks, labels, classNames), nil
}

// zeroShotFromRanks summarises the true-class ranks of images with labels.
func zeroShotFromRanks(ranks, labels []int, classNames []string) *ZeroShotResult {
	res := &ZeroShotResult{
		Top1:     RecallAt(ranks, 1),
		Top5:     RecallAt(ranks, 5),
		N:        len(ranks),
		PerClass: make([]ClassResult, len(classNames)),
	}
	byClass := make([][]int, len(classNames))
	for i, l := range labels {
		byClass[l] = append(byClass[l], ranks[i])
	}
	var sum float64
	withImages := 0
	for c, name := range classNames {
		r := byClass[c]
		res.PerClass[c] = ClassResult{Name: name, N: len(r), Top1: RecallAt(r, 1), Top5: RecallAt(r, 5)}
		if len(r) > 0 {
			sum += res.PerClass[c].Top1
			withImages++
		}
	}
	if withImages > 0 {
		res.MeanPerClassTop1 = sum / float64(withImages)
	}
	return res
}

// RankMetrics summarises the ranks of the true items of one retrieval
// direction as OpenCLIP's get_clip_metrics: recall@k is the fraction of
// queries whose true item ranks below k; the mean and median ranks are
// 1-based (1 is perfect), the median being the lower middle value for an
// even count, as torch.median.
type RankMetrics struct {
	R1         float64 `json:"recall@1"`
	R5         float64 `json:"recall@5"`
	R10        float64 `json:"recall@10"`
	MeanRank   float64 `json:"mean_rank"`
	MedianRank float64 `json:"median_rank"`
}

// SummarizeRanks computes RankMetrics from 0-based ranks (zero value for
// none).
func SummarizeRanks(ranks []int) RankMetrics {
	if len(ranks) == 0 {
		return RankMetrics{}
	}
	sorted := append([]int(nil), ranks...)
	sort.Ints(sorted)
	var sum float64
	for _, r := range ranks {
		sum += float64(r)
	}
	return RankMetrics{
		R1:         RecallAt(ranks, 1),
		R5:         RecallAt(ranks, 5),
		R10:        RecallAt(ranks, 10),
		MeanRank:   sum/float64(len(ranks)) + 1,
		MedianRank: float64(sorted[(len(sorted)-1)/2]) + 1,
	}
}

// diagonalRowRanks ranks, for the rows of a block [rows, n] of an [n, n]
// similarity matrix whose true pairs lie on the diagonal, each row's
// diagonal entry within its row. first is the block's first row index, so
// row r's true column is first+r. The ranks are written to out[first:].
func diagonalRowRanks(block []float32, rows, n, first int, out []int) {
	for r := range rows {
		out[first+r] = rankOf(block[r*n:(r+1)*n], first+r)
	}
}

// DiagonalRanks ranks the true pairs of an [n, n] similarity matrix scores
// (row i: image i, column j: text j; image i and text i are a pair):
// imageRanks[i] is the rank of text i among all texts for image i
// (image-to-text retrieval), textRanks[j] the rank of image j among all
// images for text j (text-to-image).
func DiagonalRanks(scores []float32, n int) (imageRanks, textRanks []int, err error) {
	if n < 0 || len(scores) != n*n {
		return nil, nil, fmt.Errorf("diagonal ranks: %d scores for a %d x %d matrix", len(scores), n, n)
	}
	imageRanks = make([]int, n)
	diagonalRowRanks(scores, n, n, 0, imageRanks)
	t := make([]float32, n*n)
	for i := range n {
		for j := range n {
			t[j*n+i] = scores[i*n+j]
		}
	}
	textRanks = make([]int, n)
	diagonalRowRanks(t, n, n, 0, textRanks)
	return imageRanks, textRanks, nil
}
