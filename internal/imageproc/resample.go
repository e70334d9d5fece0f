package imageproc

// The two convolution passes of PIL's ImagingResample for 8-bit samples:
// each output sample is 1<<(precisionBits-1) plus the sum of input samples
// times fixed-point weights, accumulated in int32, shifted right by
// precisionBits and clipped to [0, 255]. The horizontal pass runs first and
// its uint8 result feeds the vertical pass.
//
// Both passes compute only a window of the output: every output sample
// depends on its own weights alone, so computing the centre crop and no
// more gives the same bytes as resizing everything and cropping, at a
// fraction of the work for wide images.

// plane is a view of interleaved 8-bit samples: pixel (x, y), in source
// coordinates, starts at pix[(y-y0)*stride+(x-x0)*ch].
type plane struct {
	pix    []uint8
	stride int
	ch     int
	x0, y0 int
}

// newPlane views a whole 8-bit image.
func newPlane(m *Image) plane {
	ch := channels(m.mode)
	return plane{pix: m.pix, stride: m.width * ch, ch: ch}
}

// row returns the samples of pixels [xa, xb) of row y.
func (p plane) row(y, xa, xb int) []uint8 {
	off := (y-p.y0)*p.stride + (xa-p.x0)*p.ch
	return p.pix[off : off+(xb-xa)*p.ch]
}

// clip8 turns an accumulated fixed-point sum into a sample.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

const roundHalf = int32(1) << (precisionBits - 1)

// resampleRows runs the horizontal pass for output columns [xa, xb) on
// source rows [ya, yb) of src, writing (yb-ya) rows of (xb-xa)*ch samples
// to dst.
func resampleRows(dst []uint8, src plane, c *axisCoeffs, xa, xb, ya, yb int) {
	ch := src.ch
	w := (xb - xa) * ch
	// The source columns the window reads.
	lo, hi := c.span()
	for y := ya; y < yb; y++ {
		in := src.row(y, lo, hi)
		out := dst[(y-ya)*w : (y-ya+1)*w]
		switch ch {
		case 1:
			rowTaps1(out, in, c, xa, xb, lo)
		case 3:
			rowTaps3(out, in, c, xa, xb, lo)
		case 4:
			rowTaps4(out, in, c, xa, xb, lo)
		default:
			rowTapsN(out, in, c, xa, xb, lo, ch)
		}
	}
}

// rowTaps1..N compute outputs [xa, xb) of one row; in holds the source
// pixels from column lo on. One function per channel count keeps the
// channel loop unrolled.
func rowTaps1(out, in []uint8, c *axisCoeffs, xa, xb, lo int) {
	for xx := xa; xx < xb; xx++ {
		first, k := c.taps(xx)
		s := in[first-lo:]
		s = s[:len(k)]
		acc := roundHalf
		for i, kw := range k {
			acc += int32(s[i]) * kw
		}
		out[xx-xa] = clip8(acc)
	}
}

func rowTaps3(out, in []uint8, c *axisCoeffs, xa, xb, lo int) {
	for xx := xa; xx < xb; xx++ {
		first, k := c.taps(xx)
		s := in[(first-lo)*3:]
		s = s[:3*len(k)]
		a0, a1, a2 := roundHalf, roundHalf, roundHalf
		for i, kw := range k {
			p := s[3*i : 3*i+3 : 3*i+3]
			a0 += int32(p[0]) * kw
			a1 += int32(p[1]) * kw
			a2 += int32(p[2]) * kw
		}
		o := out[(xx-xa)*3 : (xx-xa)*3+3 : (xx-xa)*3+3]
		o[0], o[1], o[2] = clip8(a0), clip8(a1), clip8(a2)
	}
}

func rowTaps4(out, in []uint8, c *axisCoeffs, xa, xb, lo int) {
	for xx := xa; xx < xb; xx++ {
		first, k := c.taps(xx)
		s := in[(first-lo)*4:]
		s = s[:4*len(k)]
		a0, a1, a2, a3 := roundHalf, roundHalf, roundHalf, roundHalf
		for i, kw := range k {
			p := s[4*i : 4*i+4 : 4*i+4]
			a0 += int32(p[0]) * kw
			a1 += int32(p[1]) * kw
			a2 += int32(p[2]) * kw
			a3 += int32(p[3]) * kw
		}
		o := out[(xx-xa)*4 : (xx-xa)*4+4 : (xx-xa)*4+4]
		o[0], o[1], o[2], o[3] = clip8(a0), clip8(a1), clip8(a2), clip8(a3)
	}
}

func rowTapsN(out, in []uint8, c *axisCoeffs, xa, xb, lo, ch int) {
	for xx := xa; xx < xb; xx++ {
		first, k := c.taps(xx)
		s := in[(first-lo)*ch:]
		for j := range ch {
			acc := roundHalf
			for i, kw := range k {
				acc += int32(s[i*ch+j]) * kw
			}
			out[(xx-xa)*ch+j] = clip8(acc)
		}
	}
}

// resampleColumns runs the vertical pass for output rows [ya, yb): output
// row yy is the weighted sum of rows first[yy].. of src, whose rows hold the
// columns [xa, xb). acc is scratch of at least (xb-xa)*ch int32s. Integer
// sums do not depend on the order of the terms, so the pass accumulates
// whole rows at a time, which is what makes it fast.
func resampleColumns(dst []uint8, src plane, c *axisCoeffs, xa, xb, ya, yb int, acc []int32) {
	w := (xb - xa) * src.ch
	acc = acc[:w]
	for yy := ya; yy < yb; yy++ {
		for i := range acc {
			acc[i] = roundHalf
		}
		first, k := c.taps(yy)
		for i, kw := range k {
			in := src.row(first+i, xa, xb)
			in = in[:len(acc)]
			for j, v := range in {
				acc[j] += int32(v) * kw
			}
		}
		out := dst[(yy-ya)*w : (yy-ya+1)*w]
		for j, a := range acc {
			out[j] = clip8(a)
		}
	}
}

// roundUp is PIL's ROUND_UP: round half away from zero, then truncate.
func roundUp(f float64) int32 {
	if f >= 0 {
		return int32(f + 0.5)
	}
	return int32(f - 0.5)
}

// resampleIntRows is the horizontal pass for mode I: float64 weights,
// float64 sums in PIL's order, rounded to int32 after each pass.
func resampleIntRows(dst []int32, src []int32, srcW int, c *axisCoeffs, xa, xb, ya, yb int) {
	w := xb - xa
	for y := ya; y < yb; y++ {
		in := src[y*srcW : (y+1)*srcW]
		out := dst[(y-ya)*w : (y-ya+1)*w]
		for xx := xa; xx < xb; xx++ {
			first, k := c.floatTaps(xx)
			s := in[first : first+len(k)]
			ss := 0.0
			for i, kw := range k {
				ss += float64(float64(s[i]) * kw)
			}
			out[xx-xa] = roundUp(ss)
		}
	}
}

// resampleIntColumns is the vertical pass for mode I over src rows of
// width srcW whose first row is source row y0 and first column is column
// xa. Each output sample sums its taps top to bottom, as PIL does.
func resampleIntColumns(dst []int32, src []int32, srcW, y0 int, c *axisCoeffs, xa, xb, ya, yb int, acc []float64) {
	w := xb - xa
	acc = acc[:w]
	for yy := ya; yy < yb; yy++ {
		for i := range acc {
			acc[i] = 0
		}
		first, k := c.floatTaps(yy)
		for i, kw := range k {
			off := (first+i-y0)*srcW + xa
			in := src[off : off+w]
			for j, v := range in {
				acc[j] += float64(float64(v) * kw)
			}
		}
		out := dst[(yy-ya)*w : (yy-ya+1)*w]
		for j, a := range acc {
			out[j] = roundUp(a)
		}
	}
}
