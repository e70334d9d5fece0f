package cpu

import "github.com/clip-go/clip/internal/compute"

// LayerNormBackward for out = (x-mean)·rstd·w + b over the rows of x[N,C],
// with mean[N] and rstd[N] saved by LayerNormForward: dx overwrites, dw[C]
// and db[C] accumulate. With x̂ = (x-mean)·rstd and g = dOut·w,
//
//	dx = rstd·(g - mean(g) - x̂·mean(g·x̂)),
//
// row sums in float64. A constant row has x̂ = 0 and gets dx =
// rstd·(g - mean(g)), finite for eps > 0.
func (b *Backend) LayerNormBackward(dx, dw, db, dOut, x, mean, rstd, w compute.Tensor) {
	const op = "LayerNormBackward"
	c := x.Dim(-1)
	n := x.Numel() / c
	check(dOut.Numel() == x.Numel(), op, "dOut %v x %v", dOut, x)
	check(dx.IsNil() || dx.Numel() == x.Numel(), op, "dx %v x %v", dx, x)
	check(w.Numel() == c && (dw.IsNil() || dw.Numel() == c) && (db.IsNil() || db.Numel() == c), op,
		"w %v dw %v db %v for width %d", w, dw, db, c)
	check(mean.Numel() == n && rstd.Numel() == n, op, "mean %v rstd %v for %d rows", mean, rstd, n)
	g, in, wd, md, rd := data(dOut), data(x), data(w), data(mean), data(rstd)
	if !dx.IsNil() {
		d := data(dx)
		b.parallel(n, max(1, 2048/c), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				mu, r := float64(md[i]), float64(rd[i])
				row, grow, drow := in[i*c:i*c+c], g[i*c:i*c+c], d[i*c:i*c+c]
				var sg, sgx float64
				for j, v := range row {
					gj := float64(grow[j]) * float64(wd[j])
					sg += gj
					sgx += gj * (float64(v) - mu) * r
				}
				sg /= float64(c)
				sgx /= float64(c)
				for j, v := range row {
					gj := float64(grow[j]) * float64(wd[j])
					xh := (float64(v) - mu) * r
					drow[j] = float32(r * (gj - sg - xh*sgx))
				}
			}
		})
	}
	if dw.IsNil() && db.IsNil() {
		return
	}
	// Blocks of columns in parallel, rows in order: deterministic sums.
	const block = 64
	dwd, dbd := data(dw), data(db)
	nb := (c + block - 1) / block
	b.parallel(nb, max(1, 4096/max(n, 1)), func(lo, hi int) {
		var sw, sb [block]float64
		for bi := lo; bi < hi; bi++ {
			j0, j1 := bi*block, min(bi*block+block, c)
			clear(sw[:])
			clear(sb[:])
			for i := 0; i < n; i++ {
				mu, r := float64(md[i]), float64(rd[i])
				row, grow := in[i*c+j0:i*c+j1], g[i*c+j0:i*c+j1]
				for j, v := range row {
					gv := float64(grow[j])
					sw[j] += gv * (float64(v) - mu) * r
					sb[j] += gv
				}
			}
			for j := j0; j < j1; j++ {
				if dwd != nil {
					dwd[j] += float32(sw[j-j0])
				}
				if dbd != nil {
					dbd[j] += float32(sb[j-j0])
				}
			}
		}
	})
}
