package imageproc

import "fmt"

// mulDiv255 is PIL's MULDIV255: a*b/255 rounded, in integers.
func mulDiv255(a, b uint32) uint8 {
	t := a*b + 128
	return uint8(((t >> 8) + t) >> 8)
}

// premultiply copies the region [sx0, sx1) x [sy0, sy1) of an LA or RGBA
// image into scratch with the colour samples multiplied by alpha (PIL's
// RGBA->RGBa and LA->La conversions), which PIL resizes in place of the
// original so that transparent pixels do not bleed their colour.
func premultiply(img *Image, sx0, sx1, sy0, sy1 int, s *scratch) plane {
	src := newPlane(img)
	ch := src.ch
	w := (sx1 - sx0) * ch
	s.pre = grow(s.pre, w*(sy1-sy0))
	for y := sy0; y < sy1; y++ {
		in := src.row(y, sx0, sx1)
		out := s.pre[(y-sy0)*w : (y-sy0+1)*w]
		for i := 0; i+ch <= len(in); i += ch {
			a := in[i+ch-1]
			for j := range ch - 1 {
				out[i+j] = mulDiv255(uint32(in[i+j]), uint32(a))
			}
			out[i+ch-1] = a
		}
	}
	return plane{pix: s.pre, stride: w, ch: ch, x0: sx0, y0: sy0}
}

// unpremultiply undoes premultiply in place the way PIL's RGBa->RGBA does:
// colour*255/alpha truncated and clipped, with alpha 0 and 255 left alone.
func unpremultiply(pix []uint8, ch int) {
	for i := 0; i+ch <= len(pix); i += ch {
		a := uint32(pix[i+ch-1])
		if a == 0 || a == 255 {
			continue
		}
		for j := range ch - 1 {
			pix[i+j] = uint8(min(255*uint32(pix[i+j])/a, 255))
		}
	}
}

// toRGB is PIL's convert("RGB") of m into dst, [height, width, 3]. Alpha is
// dropped without compositing, palettes are looked up (transparency
// ignored, as PIL does), CMYK uses PIL's formula and mode I is clipped to
// [0, 255].
func toRGB(dst []uint8, m *Image) {
	n := m.width * m.height
	if len(dst) != 3*n {
		panic(fmt.Sprintf("imageproc: RGB buffer has %d bytes, want %d", len(dst), 3*n))
	}
	switch m.mode {
	case ModeBilevel, ModeL:
		for i, v := range m.pix[:n] {
			dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
		}
	case ModeLA:
		for i := range n {
			v := m.pix[2*i]
			dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
		}
	case ModeP:
		for i, v := range m.pix[:n] {
			copy(dst[3*i:3*i+3], m.palette[3*int(v):3*int(v)+3])
		}
	case ModeRGB:
		copy(dst, m.pix[:3*n])
	case ModeRGBA:
		for i := range n {
			copy(dst[3*i:3*i+3], m.pix[4*i:4*i+3])
		}
	case ModeCMYK:
		for i := range n {
			p := m.pix[4*i : 4*i+4]
			nk := 255 - uint32(p[3])
			for j := range 3 {
				// nk - c*nk/255 cannot leave [0, 255], so PIL's CLIP8 is moot.
				dst[3*i+j] = uint8(nk - uint32(mulDiv255(uint32(p[j]), nk)))
			}
		}
	case ModeI:
		for i, v := range m.ints[:n] {
			u := uint8(min(max(v, 0), 255))
			dst[3*i], dst[3*i+1], dst[3*i+2] = u, u, u
		}
	default:
		panic("imageproc: unknown mode " + m.mode)
	}
}
