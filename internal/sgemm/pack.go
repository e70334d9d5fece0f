package sgemm

// packA packs rows [i0, i0+mb) and steps [p0, p0+kb) of op(A) into dst as
// ceil(mb/mr) panels of kb×mr values: panel q holds rows i0+q·mr.. and
// stores step k of row r at q·mr·kb + k·mr + r. Rows past mb are zero, so
// the micro-kernel never needs a shorter tile. Full panels go through the
// kernel's packer when it has one.
func packA(dst []float32, p *Params, kern *kernel, i0, mb, p0, kb int) {
	mr := kern.mr
	q := 0
	if p.TransA && kern.copyPanels != nil && mb >= mr {
		// Stored [K,M]: the full panels' values are contiguous runs.
		q = mb / mr
		kern.copyPanels(dst, p.A[p0*p.LDA+i0:], p.LDA, kb, q, mr)
	}
	for ; q*mr < mb; q++ {
		h := min(mr, mb-q*mr)
		if h == mr && kern.packA != nil {
			kern.packA(dst[q*mr*kb:], p.A, p.LDA, p.TransA, i0+q*mr, p0, kb)
			continue
		}
		packAPanel(dst[q*mr*kb:(q+1)*mr*kb], p, i0+q*mr, h, p0, kb, mr)
	}
}

// packAPanel packs rows [i, i+h) of op(A), h <= mr, as one panel of d.
func packAPanel(d []float32, p *Params, i, h, p0, kb, mr int) {
	if p.TransA {
		// Stored [K,M]: the values of a step are contiguous.
		for k := range kb {
			dk := d[k*mr : k*mr+mr]
			copy(dk, p.A[(p0+k)*p.LDA+i:][:h])
			clear(dk[h:])
		}
		return
	}
	// Stored [M,K]: walk each row along k and scatter it into column r.
	for r := range h {
		row := p.A[(i+r)*p.LDA+p0:][:kb]
		dr := d[r:]
		for k, v := range row {
			dr[k*mr] = v
		}
	}
	for r := h; r < mr; r++ {
		for k := range kb {
			d[k*mr+r] = 0
		}
	}
}

// packB packs steps [p0, p0+kb) and columns [j0, j0+nb) of op(B) into dst
// as ceil(nb/nr) panels of kb×nr values: panel q holds columns j0+q·nr.. and
// stores step k of column c at q·nr·kb + k·nr + c. Columns past nb are zero.
// Full panels go through the kernel's packer when it has one.
func packB(dst []float32, p *Params, kern *kernel, p0, kb, j0, nb int) {
	nr := kern.nr
	q := 0
	if !p.TransB && kern.copyPanels != nil && nb >= nr {
		// Stored [K,N]: the full panels' values are contiguous runs.
		q = nb / nr
		kern.copyPanels(dst, p.B[p0*p.LDB+j0:], p.LDB, kb, q, nr)
	}
	for ; q*nr < nb; q++ {
		w := min(nr, nb-q*nr)
		if w == nr && kern.packB != nil {
			kern.packB(dst[q*nr*kb:], p.B, p.LDB, p.TransB, p0, kb, j0+q*nr)
			continue
		}
		packBPanel(dst[q*nr*kb:(q+1)*nr*kb], p, p0, kb, j0+q*nr, w, nr)
	}
}

// packBPanel packs columns [j, j+w) of op(B), w <= nr, as one panel of d.
func packBPanel(d []float32, p *Params, p0, kb, j, w, nr int) {
	if !p.TransB {
		// Stored [K,N]: the values of a step are contiguous.
		for k := range kb {
			dk := d[k*nr : k*nr+nr]
			copy(dk, p.B[(p0+k)*p.LDB+j:][:w])
			clear(dk[w:])
		}
		return
	}
	// Stored [N,K]: walk each row of B (a column of op(B)) along k.
	for c := range w {
		row := p.B[(j+c)*p.LDB+p0:][:kb]
		dc := d[c:]
		for k, v := range row {
			dc[k*nr] = v
		}
	}
	for c := w; c < nr; c++ {
		for k := range kb {
			d[k*nr+c] = 0
		}
	}
}
