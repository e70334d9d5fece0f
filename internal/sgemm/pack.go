package sgemm

// packA packs rows [i0, i0+mb) and steps [p0, p0+kb) of op(A) into dst as
// ceil(mb/mr) panels of kb×mr values (see packPanels).
func packA(dst []float32, p *Params, kern *kernel, i0, mb, p0, kb int) {
	packPanels(dst, kern, p.A, p.LDA, p.TransA, i0, mb, p0, kb, kern.mr)
}

// packB packs steps [p0, p0+kb) and columns [j0, j0+nb) of op(B) into dst
// as ceil(nb/nr) panels of kb×nr values (see packPanels).
func packB(dst []float32, p *Params, kern *kernel, p0, kb, j0, nb int) {
	packPanels(dst, kern, p.B, p.LDB, !p.TransB, j0, nb, p0, kb, kern.nr)
}

// packPanels packs lines [l0, l0+n) and steps [p0, p0+kb) of an operand
// into dst as ceil(n/w) panels of kb×w values. A line is a row of op(A) or
// a column of op(B), the dimension the micro-kernel's tile spans; panel q
// holds lines l0+q·w.. and stores step k of line r at q·w·kb + k·w + r.
// Lines past n are zero, so the micro-kernel never needs a shorter tile.
//
// byStep says how src (leading dimension ld) stores the operand: the values
// of a step contiguous, step k of line l at src[k·ld+l] (A stored [K,M], B
// stored [K,N]); otherwise each line is a source row, at src[l·ld+k].
// Full panels go through the kernel's packers when it has them.
func packPanels(dst []float32, kern *kernel, src []float32, ld int, byStep bool, l0, n, p0, kb, w int) {
	q := 0
	if byStep && kern.copyPanels != nil && n >= w {
		q = n / w
		kern.copyPanels(dst, src[p0*ld+l0:], ld, kb, q, w)
	}
	for ; q*w < n; q++ {
		l, h := l0+q*w, min(w, n-q*w)
		d := dst[q*w*kb : (q+1)*w*kb]
		switch {
		case byStep:
			for k := range kb {
				dk := d[k*w : k*w+w]
				copy(dk, src[(p0+k)*ld+l:][:h])
				clear(dk[h:])
			}
		case h == w && kern.transposePanel != nil:
			// dst, not d: the packer may write past the panel.
			kern.transposePanel(dst[q*w*kb:], src[l*ld+p0:], ld, w, kb)
		default:
			// Walk each line along k and scatter it into column r.
			for r := range h {
				dr := d[r:]
				for k, v := range src[(l+r)*ld+p0:][:kb] {
					dr[k*w] = v
				}
			}
			for r := h; r < w; r++ {
				for k := range kb {
					d[k*w+r] = 0
				}
			}
		}
	}
}
