package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// defaultContrastiveTile is the column tile ContrastiveLoss uses when asked
// for tile <= 0: two b×tile float32 buffers, small next to the features.
const defaultContrastiveTile = 1024

// ContrastiveLoss is the symmetric CLIP loss over this device's rows of a
// global batch of N, fused with its backward (see compute.TrainOps).
//
// It makes two passes over column tiles of tile columns. The first computes
// each row's log-sum-exp online (running max and rescaled sum, in float64)
// for both directions and picks out the target logits; the second
// recomputes each tile of logits (unless N <= tile: the one tile is still
// there), turns it into the logits' gradient G = (softmax - onehot)/(2b)
// and feeds it straight into the feature gradients with two products per
// direction. Only two b×tile buffers are held, never the b×N logits.
//
// Gradients, with Gi/Gt the gradients of logits_i/logits_t:
//
//	dImg    = s·Gi·allTxt     dAllTxt = s·Giᵀ·img
//	dTxt    = s·Gt·allImg     dAllImg = s·Gtᵀ·txt
//	dScale  = Σ Gi∘(img·allTxtᵀ) + Σ Gt∘(txt·allImgᵀ)
//
// Data parallel use (D devices, each with b = N/D rows at rowOffset =
// rank·b): the global loss is the mean over devices of the local losses.
// The gradient of a device's *local* loss with respect to its own feature
// rows is dImg + (its rows of Σ_devices dAllImg), i.e.
// dImg + ReduceScatterSum(dAllImg), and likewise for text; back-propagating
// that through the towers gives the parameter gradients of the local loss,
// and AllReduceMean of those (and of dScale) — the 1/D factor — gives
// exactly the single-device gradient of the whole-batch loss.
func (b *Backend) ContrastiveLoss(loss, dImg, dTxt, dAllImg, dAllTxt, dScale, img, txt, allImg, allTxt compute.Tensor, scale float32, rowOffset, tile int) {
	const op = "ContrastiveLoss"
	check(len(img.Shape) == 2 && len(allImg.Shape) == 2, op, "want 2-D features, got img %v allImg %v", img, allImg)
	rows, e := img.Shape[0], img.Shape[1]
	n := allImg.Shape[0]
	check(rows >= 1, op, "no local rows: img %v", img)
	check(scale > 0, op, "scale %v, want > 0 (it is exp(logit_scale))", scale)
	check(sameShape(txt, img), op, "txt %v, want %v", txt, img)
	check(allImg.Shape[1] == e && sameShape(allTxt, allImg), op, "allImg %v allTxt %v, want [N,%d]", allImg, allTxt, e)
	check(rowOffset >= 0 && rowOffset+rows <= n, op, "rows %d..%d outside the global batch of %d", rowOffset, rowOffset+rows, n)
	for _, g := range []struct {
		t    compute.Tensor
		ref  compute.Tensor
		name string
	}{{dImg, img, "dImg"}, {dTxt, txt, "dTxt"}, {dAllImg, allImg, "dAllImg"}, {dAllTxt, allTxt, "dAllTxt"}} {
		check(g.t.IsNil() || sameShape(g.t, g.ref), op, "%s %v, want %v", g.name, g.t, g.ref)
	}
	check(loss.IsNil() || loss.Numel() == 1, op, "loss %v, want one element", loss)
	check(dScale.IsNil() || dScale.Numel() == 1, op, "dScale %v, want one element", dScale)
	if tile <= 0 {
		tile = defaultContrastiveTile
	}
	tile = min(tile, n)

	fImg, fTxt, fAllImg, fAllTxt := data(img), data(txt), data(allImg), data(allTxt)
	buf := b.scratchBuf(scratchCols, 2*rows*tile)
	si, st := buf[:rows*tile], buf[rows*tile:]

	// logitsTile fills si, st [rows, w] with the logits of columns j0..j0+w.
	logitsTile := func(j0, w int) {
		sgemm.Gemm(sgemm.Params{M: rows, N: w, K: e, TransB: true, Alpha: scale,
			A: fImg, B: fAllTxt[j0*e : (j0+w)*e], C: si[:rows*w], Threads: b.threads})
		sgemm.Gemm(sgemm.Params{M: rows, N: w, K: e, TransB: true, Alpha: scale,
			A: fTxt, B: fAllImg[j0*e : (j0+w)*e], C: st[:rows*w], Threads: b.threads})
	}
	// tileRows calls fn on every row of the tile in si, st [rows, w], with
	// d 0 for image->text (si) and 1 for text->image (st); rows in parallel.
	tileRows := func(w int, fn func(d, r int, row []float32)) {
		b.parallel(rows, 8, func(lo, hi int) {
			for d, s := range [2][]float32{si, st} {
				for r := lo; r < hi; r++ {
					fn(d, r, s[r*w:(r+1)*w])
				}
			}
		})
	}

	// Pass 1: online log-sum-exp per row and direction; [0] image->text,
	// [1] text->image.
	var mx, sum, target [2][]float64
	for d := range 2 {
		mx[d] = make([]float64, rows)
		sum[d] = make([]float64, rows)
		target[d] = make([]float64, rows)
		for r := range mx[d] {
			mx[d][r] = math.Inf(-1)
		}
	}
	for j0 := 0; j0 < n; j0 += tile {
		w := min(tile, n-j0)
		logitsTile(j0, w)
		tileRows(w, func(d, r int, row []float32) {
			if c := rowOffset + r - j0; c >= 0 && c < w {
				target[d][r] = float64(row[c])
			}
			m := mx[d][r]
			for _, x := range row {
				m = math.Max(m, float64(x))
			}
			acc := 0.0
			for _, x := range row {
				acc += math.Exp(float64(x) - m)
			}
			if old := mx[d][r]; m > old {
				sum[d][r] = sum[d][r]*math.Exp(old-m) + acc
				mx[d][r] = m
			} else {
				sum[d][r] += acc
			}
		})
	}
	lse := mx // reuse: lse = max + log(sum)
	total := 0.0
	for d := range 2 {
		for r := range rows {
			lse[d][r] = mx[d][r] + math.Log(sum[d][r])
			total += lse[d][r] - target[d][r]
		}
	}
	inv := 1 / float64(2*rows)
	if !loss.IsNil() {
		data(loss)[0] = float32(total * inv)
	}
	if dImg.IsNil() && dTxt.IsNil() && dAllImg.IsNil() && dAllTxt.IsNil() && dScale.IsNil() {
		return
	}

	// Pass 2: G = (softmax - onehot)/(2b) tile by tile, into the gradients.
	parts := make([]float64, rows) // per-row dScale partial sums
	invScale := 1 / float64(scale)
	for j0 := 0; j0 < n; j0 += tile {
		w := min(tile, n-j0)
		if n > tile { // else si, st still hold pass 1's logits of the one tile
			logitsTile(j0, w)
		}
		tileRows(w, func(d, r int, row []float32) {
			l := lse[d][r]
			c := rowOffset + r - j0
			acc := 0.0
			for j, x := range row {
				g := math.Exp(float64(x) - l)
				if j == c {
					g--
				}
				g *= inv
				acc += g * float64(x)
				row[j] = float32(g)
			}
			parts[r] += acc * invScale
		})
		beta := float32(1)
		if j0 == 0 {
			beta = 0
		}
		// Row gradients accumulate over tiles; column gradients of this
		// tile's columns are written once.
		if !dImg.IsNil() {
			sgemm.Gemm(sgemm.Params{M: rows, N: e, K: w, Alpha: scale, Beta: beta,
				A: si[:rows*w], B: fAllTxt[j0*e : (j0+w)*e], C: data(dImg), Threads: b.threads})
		}
		if !dTxt.IsNil() {
			sgemm.Gemm(sgemm.Params{M: rows, N: e, K: w, Alpha: scale, Beta: beta,
				A: st[:rows*w], B: fAllImg[j0*e : (j0+w)*e], C: data(dTxt), Threads: b.threads})
		}
		if !dAllTxt.IsNil() {
			sgemm.Gemm(sgemm.Params{M: w, N: e, K: rows, TransA: true, Alpha: scale,
				A: si[:rows*w], LDA: w, B: fImg, C: data(dAllTxt)[j0*e : (j0+w)*e], Threads: b.threads})
		}
		if !dAllImg.IsNil() {
			sgemm.Gemm(sgemm.Params{M: w, N: e, K: rows, TransA: true, Alpha: scale,
				A: st[:rows*w], LDA: w, B: fTxt, C: data(dAllImg)[j0*e : (j0+w)*e], Threads: b.threads})
		}
	}
	if !dScale.IsNil() {
		ds := 0.0
		for _, p := range parts {
			ds += p
		}
		data(dScale)[0] = float32(ds)
	}
}
