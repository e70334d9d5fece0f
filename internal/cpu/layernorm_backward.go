package cpu

import "github.com/clip-go/clip/internal/compute"

// LayerNormBackward for out = (x-mean)·rstd·w + b over the rows of x[N,C],
// with mean[N] and rstd[N] saved by LayerNormForward: dx overwrites, dw[C]
// and db[C] accumulate. With x̂ = (x-mean)·rstd and g = dOut·w,
//
//	dx = rstd·(g - mean(g) - x̂·mean(g·x̂)),
//
// row sums in float64 (with sum64's four partial sums). A constant row has
// x̂ = 0 and gets dx = rstd·(g - mean(g)), finite for eps > 0.
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
	vec := useVec()
	if !dx.IsNil() {
		d := data(dx)
		b.parallel(n, max(1, 2048/c), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				mu, r := float64(md[i]), float64(rd[i])
				row, grow := in[i*c:i*c+c], g[i*c:i*c+c]
				sg, sgx := layerNormRowSums(grow, row, wd, mu, r, vec)
				layerNormRowDx(d[i*c:i*c+c], grow, row, wd, mu, r, sg/float64(c), sgx/float64(c), vec)
			}
		})
	}
	if dw.IsNil() && db.IsNil() {
		return
	}
	// Ranges of columns in parallel, rows in order: deterministic sums.
	dwd, dbd := data(dw), data(db)
	b.parallel((c+3)/4, max(1, 4096/max(n, 1)), func(lo, hi int) {
		const block = 256
		var sw, sb [block]float64
		j1 := min(hi*4, c)
		for j0 := lo * 4; j0 < j1; j0 += block {
			w := min(block, j1-j0)
			clear(sw[:w])
			clear(sb[:w])
			layerNormGradCols(sw[:w], sb[:w], g[j0:], in[j0:], c, n, md, rd, vec)
			for j := range w {
				if dwd != nil {
					dwd[j0+j] += float32(sw[j])
				}
				if dbd != nil {
					dbd[j0+j] += float32(sb[j])
				}
			}
		}
	})
}

// layerNormRowSums returns Σ gj and Σ gj·x̂j over one row, gj = g[j]·w[j]
// and x̂j = (x[j]-mu)·r, each with sum64's four partial sums (the lanes of
// the vector code).
func layerNormRowSums(g, x, w []float32, mu, r float64, vec bool) (sg, sgx float64) {
	var s [8]float64 // sg's partial sums, then sgx's
	j := 0
	if vec {
		j = lnBackSums4Vec(g, x, w, mu, r, &s)
	}
	if j == 0 {
		for ; j+4 <= len(x); j += 4 {
			for l := range 4 {
				gj := float64(g[j+l]) * float64(w[j+l])
				s[l] += gj
				s[4+l] += float64(gj * (float64(x[j+l]) - mu) * r)
			}
		}
	}
	for ; j < len(x); j++ {
		gj := float64(g[j]) * float64(w[j])
		s[0] += gj
		s[4] += float64(gj * (float64(x[j]) - mu) * r)
	}
	return (s[0] + s[1]) + (s[2] + s[3]), (s[4] + s[5]) + (s[6] + s[7])
}

// layerNormRowDx writes dx[j] = r·(gj - mg - x̂j·mgx) for one row, mg and
// mgx the row means of gj and gj·x̂j.
func layerNormRowDx(dx, g, x, w []float32, mu, r, mg, mgx float64, vec bool) {
	j := 0
	if vec {
		j = lnBackDxVec(dx, g, x, w, mu, r, mg, mgx)
	}
	for ; j < len(x); j++ {
		gj := float64(g[j]) * float64(w[j])
		xh := (float64(x[j]) - mu) * r
		dx[j] = float32(r * (gj - mg - float64(xh*mgx)))
	}
}

// layerNormGradCols adds to sw[j] and sb[j] (j < len(sw)) the sums over
// rows rows (ld apart) of g·x̂ and g, row after row, in float64.
func layerNormGradCols(sw, sb []float64, g, x []float32, ld, rows int, mean, rstd []float32, vec bool) {
	j0 := 0
	if vec {
		j0 = lnGradColsVec(sw, sb, g, x, ld, rows, mean, rstd)
	}
	if j0 == len(sw) {
		return
	}
	for i := range rows {
		mu, r := float64(mean[i]), float64(rstd[i])
		row, grow := x[i*ld:i*ld+len(sw)], g[i*ld:i*ld+len(sw)]
		for j := j0; j < len(sw); j++ {
			gv := float64(grow[j])
			sw[j] += float64(gv * (float64(row[j]) - mu) * r)
			sb[j] += gv
		}
	}
}
