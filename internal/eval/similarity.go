package eval

import (
	"context"

	"github.com/clip-go/clip/internal/sgemm"
)

// similarities computes c[m, n] = a[m, dim] · b[n, dim]ᵀ: with unit rows,
// the cosine similarity of every row of a with every row of b. Every
// element is computed by the same instructions wherever it falls in the
// matrix (see package sgemm), so equal rows give equal, comparable scores.
func similarities(a []float32, m int, b []float32, n, dim, threads int, c []float32) {
	sgemm.Gemm(sgemm.Params{M: m, N: n, K: dim, TransB: true, Alpha: 1, A: a, B: b, C: c, Threads: threads})
}

// blockElems bounds the similarity block held at once (16 MiB of float32),
// so that retrieval over n pairs needs O(n) memory, not O(n²).
var blockElems = 4 << 20

// pairRanks returns, for the n pairs (a[i], b[i]) of unit feature rows
// [n, dim], the rank of b[i] among all rows of b by similarity to a[i]
// (0-based, ties in the true item's favour: see rankOf). The [n, n]
// similarity matrix is computed and ranked a block of rows at a time.
func pairRanks(ctx context.Context, a, b []float32, n, dim, threads int) ([]int, error) {
	ranks := make([]int, n)
	rows := max(1, min(n, blockElems/max(n, 1)))
	block := make([]float32, rows*n)
	for lo := 0; lo < n; lo += rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+rows, n)
		similarities(a[lo*dim:hi*dim], hi-lo, b, n, dim, threads, block)
		diagonalRowRanks(block, hi-lo, n, lo, ranks)
	}
	return ranks, nil
}
