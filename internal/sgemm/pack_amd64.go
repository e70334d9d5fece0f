package sgemm

// Panel packers for the assembly kernels (kernel.packA, kernel.packB),
// built on pack_avx2_amd64.s. A panel of op(A) rows or op(B) columns is
// either a transpose of source rows (A stored [M,K], B stored [N,K]) or a
// copy of contiguous runs (A stored [K,M], B stored [K,N]).

// pack6x8 packs 6 rows × 8·groups steps, 6 values per step, and writes 2
// values past the last step (packSlack).
//
//go:noescape
func pack6x8(groups int, src *float32, lda int, dst *float32)

// pack8x8 packs 8 rows × 8·groups steps, step k at dst + k·dstride.
//
//go:noescape
func pack8x8(groups int, src *float32, ld int, dst *float32, dstride int)

// copyPanel copies width values from each of rows rows (ld apart) to dst,
// width apart.
//
//go:noescape
func copyPanel(rows int, src *float32, ld int, dst *float32, width int)

// packPanel packs one full panel of w rows or columns of an operand as the
// kernel wants it: d gets kb steps of w values. When transpose is set, the
// panel's values for one step are src[r·ld + k] for r < w (w source rows
// along k); otherwise they are the contiguous src[k·ld + r].
// w is 6 or a multiple of 8; d must hold packSlack values past the panel.
func packPanel(d, src []float32, ld int, transpose bool, w, kb int) {
	if !transpose {
		_ = src[(kb-1)*ld+w-1]
		_ = d[kb*w-1]
		copyPanel(kb, &src[0], ld, &d[0], w)
		return
	}
	g := kb / 8
	if g > 0 {
		_ = src[(w-1)*ld+8*g-1]
		_ = d[w*8*g+1]
		if w == 6 {
			pack6x8(g, &src[0], ld, &d[0])
		} else {
			for r := 0; r < w; r += 8 {
				pack8x8(g, &src[r*ld], ld, &d[r], w)
			}
		}
	}
	for k := 8 * g; k < kb; k++ {
		dk := d[k*w : k*w+w]
		for r := range dk {
			dk[r] = src[r*ld+k]
		}
	}
}

// packAPanelAsm packs the mr-row panel of op(A) from row i (kernel.packA).
func packAPanelAsm(mr int) func(d, a []float32, lda int, trans bool, i, p0, kb int) {
	return func(d, a []float32, lda int, trans bool, i, p0, kb int) {
		if trans { // stored [K,M]: contiguous rows of op(A) values per step
			packPanel(d, a[p0*lda+i:], lda, false, mr, kb)
		} else {
			packPanel(d, a[i*lda+p0:], lda, true, mr, kb)
		}
	}
}

// packBPanelAsm packs the nr-column panel of op(B) from column j
// (kernel.packB).
func packBPanelAsm(nr int) func(d, b []float32, ldb int, trans bool, p0, kb, j int) {
	return func(d, b []float32, ldb int, trans bool, p0, kb, j int) {
		if trans { // stored [N,K]: each column of op(B) is a source row
			packPanel(d, b[j*ldb+p0:], ldb, true, nr, kb)
		} else {
			packPanel(d, b[p0*ldb+j:], ldb, false, nr, kb)
		}
	}
}

// copyBlock packs panels full panels of w values a step (w = 6, 8, 16 or
// 32) from kb rows of src, ld apart, where the panels' values are
// contiguous in each row: panel q's step k, src[k·ld+q·w:][:w], goes to
// dst[q·w·kb+k·w:]. kb and panels are positive.
//
//go:noescape
func copyBlock(kb, panels int, src *float32, ld int, dst *float32, w int)

// copyPanels is kernel.copyPanels for the assembly kernels.
func copyPanels(d, src []float32, ld, kb, panels, w int) {
	_ = src[(kb-1)*ld+panels*w-1]
	_ = d[panels*w*kb-1]
	copyBlock(kb, panels, &src[0], ld, &d[0], w)
}
