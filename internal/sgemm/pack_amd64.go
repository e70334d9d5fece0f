package sgemm

// Panel packers for the assembly kernels (kernel.transposePanel,
// kernel.copyPanels), built on pack_avx2_amd64.s.

// pack6x8 packs 6 rows × 8·groups steps, 6 values per step, and writes 2
// values past the last step (packSlack).
//
//go:noescape
func pack6x8(groups int, src *float32, lda int, dst *float32)

// pack8x8 packs 8 rows × 8·groups steps, step k at dst + k·dstride.
//
//go:noescape
func pack8x8(groups int, src *float32, ld int, dst *float32, dstride int)

// transposePanel is kernel.transposePanel for the assembly kernels: w is 6
// or a multiple of 8; d must hold packSlack values past the panel.
func transposePanel(d, src []float32, ld, w, kb int) {
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
