package sgemm

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// scratch is one goroutine's packing buffers, reused across calls.
type scratch struct {
	a, b []float32 // packed blocks of A (mc×kc) and B (kc×nc)
	tile []float32 // mr×nr tile for the edges of C
	bias []float32 // nr values of bias for an edge tile
}

// getScratch returns packing buffers sized for kern.
func (kern *kernel) getScratch() *scratch {
	s := kern.scratch.get()
	if s.a == nil {
		s.a = make([]float32, kern.mc*kc+packSlack)
		s.b = make([]float32, kc*kern.nc+packSlack)
		s.tile = make([]float32, kern.mr*kern.nr)
		s.bias = make([]float32, kern.nr)
	}
	return s
}

// compute does rows [m0,m1) and columns [n0,n1) of C with kernel kern.
func compute(p *Params, kern *kernel, s *scratch, m0, m1, n0, n1 int) {
	mr, nr := kern.mr, kern.nr
	for jc := n0; jc < n1; jc += kern.nc {
		nb := min(kern.nc, n1-jc)
		for pc := 0; pc < p.K; pc += kc {
			kb := min(kc, p.K-pc)
			packB(s.b, p, kern, pc, kb, jc, nb)
			flags := 0
			if pc > 0 || p.Beta != 0 {
				flags |= flagAccumulate
			}
			last := pc+kb == p.K
			if last && p.Bias != nil {
				flags |= flagBias
			}
			for ic := m0; ic < m1; ic += kern.mc {
				mb := min(kern.mc, m1-ic)
				packA(s.a, p, kern, ic, mb, pc, kb)
				for jr := 0; jr < nb; jr += nr {
					bp := s.b[jr*kb : (jr+nr)*kb]
					w := min(nr, nb-jr)
					for ir := 0; ir < mb; ir += mr {
						ap := s.a[ir*kb : (ir+mr)*kb]
						tile(p, kern, s, ap, bp, kb, ic+ir, jc+jr, min(mr, mb-ir), w, flags, last)
					}
				}
			}
		}
	}
}

// tile runs the micro-kernel for the h×w tile of C at (i, j); an edge tile
// (h < mr or w < nr) goes through s.tile so it takes the same instructions.
// On the last block along K it also applies the activation, while the tile
// is in L1.
func tile(p *Params, kern *kernel, s *scratch, ap, bp []float32, kb, i, j, h, w, flags int, last bool) {
	mr, nr, ldc := kern.mr, kern.nr, p.LDC
	c := p.C[i*ldc+j:]
	if h == mr && w == nr {
		var bias []float32
		if flags&flagBias != 0 {
			bias = p.Bias[j : j+nr]
		}
		kern.micro(kb, ap, bp, c, ldc, p.Alpha, flags, bias)
	} else {
		t := s.tile
		if flags&flagAccumulate != 0 {
			for r := range h {
				copy(t[r*nr:r*nr+w], c[r*ldc:r*ldc+w])
			}
		}
		if flags&flagBias != 0 {
			copy(s.bias, p.Bias[j:j+w])
			clear(s.bias[w:])
		}
		kern.micro(kb, ap, bp, t, nr, p.Alpha, flags, s.bias)
		for r := range h {
			copy(c[r*ldc:r*ldc+w], t[r*nr:r*nr+w])
		}
	}
	if last && p.Act != ActNone {
		for r := range h {
			applyAct(kern, p.Act, c[r*ldc:r*ldc+w])
		}
	}
}
