package cpu

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// GatherRowsBackward for GatherRowsForward(out, x, idx): dx[B,T,C] is
// overwritten with zeros except dx[b, idx[b]] = dOut[b].
func (b *Backend) GatherRowsBackward(dx, dOut compute.Tensor, idx []int) {
	const op = "GatherRowsBackward"
	check(len(dx.Shape) == 3, op, "dx %v, want [B,T,C]", dx)
	bs, t, c := dx.Shape[0], dx.Shape[1], dx.Shape[2]
	check(len(idx) == bs && dOut.Numel() == bs*c, op, "dOut %v dx %v idx %d", dOut, dx, len(idx))
	d, g := data(dx), data(dOut)
	clear(d)
	for bi, i := range idx {
		check(i >= 0 && i < t, op, "index %d outside sequence of %d", i, t)
		copy(d[(bi*t+i)*c:(bi*t+i)*c+c], g[bi*c:bi*c+c])
	}
}

// EmbeddingBackward for EmbeddingForward(out, ids, table, pos):
// dTable[ids[r]] += dOut[r] and dPos[t] += Σ_b dOut[b,t]; either may be
// nil. dOut is [B,T,C]. Blocks of columns run in parallel and rows in
// order, so repeated ids neither race nor depend on the thread count.
func (b *Backend) EmbeddingBackward(dTable, dPos, dOut compute.Tensor, ids []int32) {
	const op = "EmbeddingBackward"
	check(len(dOut.Shape) == 3, op, "dOut %v, want [B,T,C]", dOut)
	bs, t, c := dOut.Shape[0], dOut.Shape[1], dOut.Shape[2]
	check(len(ids) == bs*t, op, "%d ids for dOut %v", len(ids), dOut)
	check(dTable.IsNil() || dTable.Dim(-1) == c, op, "dTable %v dOut %v", dTable, dOut)
	check(dPos.IsNil() || (dPos.Dim(-1) == c && dPos.Shape[0] >= t), op, "dPos %v dOut %v", dPos, dOut)
	g, tb, pd := data(dOut), data(dTable), data(dPos)
	if tb != nil {
		vocab := dTable.Shape[0]
		for _, id := range ids {
			if id < 0 || int(id) >= vocab {
				panic(fmt.Sprintf("cpu.%s: token id %d outside vocabulary of %d", op, id, vocab))
			}
		}
	}
	const block = 64
	nb := (c + block - 1) / block
	b.parallel(nb, 1, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			j0, j1 := bi*block, min(bi*block+block, c)
			for r, id := range ids {
				src := g[r*c+j0 : r*c+j1]
				if tb != nil {
					dst := tb[int(id)*c+j0 : int(id)*c+j1]
					for j, v := range src {
						dst[j] += v
					}
				}
				if pd != nil {
					p := r % t
					dst := pd[p*c+j0 : p*c+j1]
					for j, v := range src {
						dst[j] += v
					}
				}
			}
		}
	})
}

// TokensAssembleBackward for TokensAssembleForward(out, patches, cls, pos):
// dPatches[b,p] = dOut[b,1+p] overwrites; dCls[C] += Σ_b dOut[b,0] and
// dPos[t] += Σ_b dOut[b,t] accumulate. Nil outputs are skipped.
func (b *Backend) TokensAssembleBackward(dPatches, dCls, dPos, dOut compute.Tensor) {
	const op = "TokensAssembleBackward"
	check(len(dOut.Shape) == 3 && dOut.Shape[1] >= 1, op, "dOut %v, want [B,1+P,C]", dOut)
	bs, t, c := dOut.Shape[0], dOut.Shape[1], dOut.Shape[2]
	p := t - 1
	check(dPatches.IsNil() || dPatches.Numel() == bs*p*c, op, "dPatches %v dOut %v", dPatches, dOut)
	check(dCls.IsNil() || dCls.Numel() == c, op, "dCls %v dOut %v", dCls, dOut)
	check(dPos.IsNil() || dPos.Numel() == t*c, op, "dPos %v dOut %v", dPos, dOut)
	g := data(dOut)
	if dp := data(dPatches); dp != nil {
		for bi := 0; bi < bs; bi++ {
			copy(dp[bi*p*c:(bi+1)*p*c], g[(bi*t+1)*c:(bi+1)*t*c])
		}
	}
	if cl := data(dCls); cl != nil {
		for bi := 0; bi < bs; bi++ {
			for j, v := range g[bi*t*c : bi*t*c+c] {
				cl[j] += v
			}
		}
	}
	if po := data(dPos); po != nil {
		// Σ_b of dOut[b] viewed as [T·C]: column sums of a [B, T·C] matrix.
		b.addColumnSums(po, g, bs, t*c)
	}
}

// PatchEmbedBackward for PatchEmbedForward(out, x, w, patch): dw[C,3,p,p]
// += dOutᵀ·cols, cols the unfolded patch rows of x (pixels get no
// gradient).
func (b *Backend) PatchEmbedBackward(dw, dOut, x compute.Tensor, patch int) {
	const op = "PatchEmbedBackward"
	cols, rows, width, k := b.unfoldPatches(op, x, dw, patch)
	check(dOut.Numel() == rows*width, op, "dOut %v, want %d patches of width %d", dOut, rows, width)
	// dw[C,K] += dOutᵀ[C,BP]·cols[BP,K]
	sgemm.Gemm(sgemm.Params{
		M: width, N: k, K: rows, TransA: true, Alpha: 1, Beta: 1,
		A: data(dOut), B: cols, C: data(dw), Threads: b.threads,
	})
}
