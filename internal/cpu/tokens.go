package cpu

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
)

// EmbeddingForward computes out[B,T,C] = table[ids[b·T+t]] + pos[t].
// ids is [B,T] in host memory; pos is [>=T, C]. An id outside the table is
// a programmer error (the tokenizer never produces one).
func (b *Backend) EmbeddingForward(out compute.Tensor, ids []int32, table, pos compute.Tensor) {
	const op = "EmbeddingForward"
	check(len(out.Shape) == 3, op, "out %v, want [B,T,C]", out)
	bs, t, c := out.Shape[0], out.Shape[1], out.Shape[2]
	check(len(ids) == bs*t, op, "%d ids for out %v", len(ids), out)
	check(table.Dim(-1) == c && pos.Dim(-1) == c && pos.Shape[0] >= t, op, "table %v pos %v out %v", table, pos, out)
	o, tb, pd := data(out), data(table), data(pos)
	vocab := table.Shape[0]
	for r, id := range ids {
		if id < 0 || int(id) >= vocab {
			panic(fmt.Sprintf("cpu.%s: token id %d outside vocabulary of %d", op, id, vocab))
		}
		row := o[r*c : r*c+c]
		e := tb[int(id)*c : int(id)*c+c]
		p := pd[(r%t)*c : (r%t)*c+c]
		for j := range row {
			row[j] = e[j] + p[j]
		}
	}
}

// PatchEmbedForward is the ViT's conv1: out[B,P,C] = conv(x[B,3,R,R],
// w[C,3,p,p]) with stride p and no bias; patches in row-major grid order.
// It unfolds each image into patch rows [P, 3·p·p] and multiplies by w^T.
func (b *Backend) PatchEmbedForward(out, x, w compute.Tensor, patch int) {
	const op = "PatchEmbedForward"
	cols, rows, width, k := b.unfoldPatches(op, x, w, patch)
	check(out.Numel() == rows*width, op, "out %v, want %d patches of width %d", out, rows, width)
	b.gemmNT(data(out), cols, data(w), rows, width, k)
}

// unfoldPatches checks x[B,Ch,R,R] against a patch-embedding weight
// w[C,Ch,p,p] (or its gradient) and unfolds x into the scratch rows
// cols[B·P, Ch·p·p], one row per patch in row-major grid order; it returns
// cols, the number of rows, C and Ch·p·p.
func (b *Backend) unfoldPatches(op string, x, w compute.Tensor, patch int) (cols []float32, rows, width, k int) {
	check(len(x.Shape) == 4 && len(w.Shape) == 4, op, "x %v w %v", x, w)
	bs, ch, r := x.Shape[0], x.Shape[1], x.Shape[2]
	check(patch > 0 && x.Shape[3] == r && r%patch == 0, op, "image %v not square or not a multiple of patch %d", x, patch)
	width = w.Shape[0]
	check(w.Shape[1] == ch && w.Shape[2] == patch && w.Shape[3] == patch, op, "w %v for %d channels, patch %d", w, ch, patch)
	g := r / patch
	rows, k = bs*g*g, ch*patch*patch
	cols = b.scratchBuf(scratchCols, rows*k)
	xd := data(x)
	b.parallel(rows, 16, func(lo, hi int) {
		for idx := lo; idx < hi; idx++ {
			bi, pi := idx/(g*g), idx%(g*g)
			gy, gx := pi/g, pi%g
			dst := cols[idx*k : idx*k+k]
			n := 0
			for c := 0; c < ch; c++ {
				for dy := 0; dy < patch; dy++ {
					src := xd[((bi*ch+c)*r+gy*patch+dy)*r+gx*patch:]
					n += copy(dst[n:n+patch], src[:patch])
				}
			}
		}
	})
	return cols, rows, width, k
}

// TokensAssembleForward builds the ViT input sequence out[B,1+P,C]:
// out[b,0] = cls + pos[0] and out[b,1+p] = patches[b,p] + pos[1+p].
func (b *Backend) TokensAssembleForward(out, patches, cls, pos compute.Tensor) {
	const op = "TokensAssembleForward"
	bs, p, c := patches.Shape[0], patches.Shape[1], patches.Shape[2]
	check(out.Numel() == bs*(p+1)*c && cls.Numel() == c && pos.Numel() == (p+1)*c, op,
		"out %v patches %v cls %v pos %v", out, patches, cls, pos)
	o, pa, cl, po := data(out), data(patches), data(cls), data(pos)
	for bi := 0; bi < bs; bi++ {
		base := bi * (p + 1) * c
		for j := 0; j < c; j++ {
			o[base+j] = cl[j] + po[j]
		}
		for t := 0; t < p; t++ {
			dst := o[base+(t+1)*c : base+(t+2)*c]
			src := pa[(bi*p+t)*c : (bi*p+t+1)*c]
			pr := po[(t+1)*c : (t+2)*c]
			for j := range dst {
				dst[j] = src[j] + pr[j]
			}
		}
	}
}

// GatherRowsForward picks one token per sequence: out[B,C] = x[b, idx[b]]
// for x[B,T,C] (class token: idx 0; text: the end-of-text position).
func (b *Backend) GatherRowsForward(out, x compute.Tensor, idx []int) {
	const op = "GatherRowsForward"
	bs, t, c := x.Shape[0], x.Shape[1], x.Shape[2]
	check(len(idx) == bs && out.Numel() == bs*c, op, "out %v x %v idx %d", out, x, len(idx))
	o, xd := data(out), data(x)
	for bi, i := range idx {
		check(i >= 0 && i < t, op, "index %d outside sequence of %d", i, t)
		copy(o[bi*c:bi*c+c], xd[(bi*t+i)*c:(bi*t+i)*c+c])
	}
}
