package imageproc

// libjpeg-turbo's chroma upsampling and YCbCr->RGB conversion, shared by
// the JPEG decoder and the image/jpeg fallback.

// yccToRGB is libjpeg's ycc_rgb_convert for one pixel.
func yccToRGB(y, cb, cr uint8) (r, g, b uint8) {
	t := &ycc
	yy := int32(y)
	return clamp255(yy + t.crR[cr]), clamp255(yy + (t.cbG[cb]+t.crG[cr])>>16), clamp255(yy + t.cbB[cb])
}

func clamp255(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}

// yccTables are libjpeg's jdcolor.c tables: 16-bit fixed point, with
// FIX(x) = int(x*65536 + 0.5) and the rounding constant folded in.
type yccTables struct {
	crR, cbB, crG, cbG [256]int32
}

var ycc = func() yccTables {
	fix := func(x float64) int32 { return int32(x*65536 + 0.5) }
	var t yccTables
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + 1<<15) >> 16
		t.cbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + 1<<15
	}
	return t
}()

// upsampleChroma returns a w x h plane from a chroma plane of rows of
// ceil(w/hf) samples, choosing the method as libjpeg-turbo's
// jinit_upsampler does: triangle ("fancy") filters for 2x1 and 2x2 when the
// plane is more than 2 samples wide, and for 1x2; replication otherwise.
// Rows above the first and below the last repeat the edge row, as
// libjpeg's context rows do.
func upsampleChroma(rows [][]uint8, w, h, hf, vf int) []uint8 {
	out := make([]uint8, w*h)
	cw := len(rows[0])
	line := make([]uint8, cw*hf+2) // one upsampled row, before trimming to w
	for y := range h {
		near := rows[y/vf]
		switch {
		case hf == 1 && vf == 1:
			copy(line, near)
		case hf == 2 && vf == 1 && cw > 2:
			fancyH2(line, near)
		case hf == 1 && vf == 2:
			far, bias := farRow(rows, y)
			for i := range cw {
				line[i] = uint8((3*int(near[i]) + int(far[i]) + bias) >> 2)
			}
		case hf == 2 && vf == 2 && cw > 2:
			far, _ := farRow(rows, y)
			fancyH2V2(line, near, far)
		default:
			for i := range cw * hf {
				line[i] = near[i/hf]
			}
		}
		copy(out[y*w:(y+1)*w], line[:w])
	}
	return out
}

// farRow returns, for output row y of a 2x vertically subsampled plane,
// the second nearest chroma row (above for even y, below for odd y, edge
// rows repeated) and libjpeg-turbo's h1v2 rounding bias for that case.
func farRow(rows [][]uint8, y int) ([]uint8, int) {
	r := y / 2
	if y%2 == 0 {
		return rows[max(r-1, 0)], 1
	}
	return rows[min(r+1, len(rows)-1)], 2
}

// fancyH2 is libjpeg's h2v1 triangle filter: each output is 3/4 of the
// nearer input plus 1/4 of the further one, rounding alternately down and
// up; the outermost outputs copy the edge samples.
func fancyH2(out, in []uint8) {
	n := len(in)
	out[0] = in[0]
	out[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int(in[i])
		out[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
		out[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
	}
	v := 3 * int(in[n-1])
	out[2*n-2] = uint8((v + int(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// fancyH2V2 is libjpeg's h2v2 triangle filter for one output row: column
// sums 3*near+far, then 3:1 between neighbouring columns, in 1/16 units.
func fancyH2V2(out, near, far []uint8) {
	n := len(near)
	sum := func(i int) int { return 3*int(near[i]) + int(far[i]) }
	this, next := sum(0), sum(1)
	out[0] = uint8((this*4 + 8) >> 4)
	out[1] = uint8((this*3 + next + 7) >> 4)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = sum(i + 1)
		out[2*i] = uint8((this*3 + last + 8) >> 4)
		out[2*i+1] = uint8((this*3 + next + 7) >> 4)
		last, this = this, next
	}
	out[2*n-2] = uint8((this*3 + last + 8) >> 4)
	out[2*n-1] = uint8((this*4 + 7) >> 4)
}
