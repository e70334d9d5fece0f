package imageproc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"

	"golang.org/x/image/webp"
)

func webpSize(data []byte) (int, int, error) {
	c, err := webp.DecodeConfig(bytes.NewReader(data))
	return c.Width, c.Height, err
}

// decodeWebP decodes a still WebP into PIL's mode for it: RGBA when the
// file declares alpha (webpHasAlpha), RGB otherwise, alpha then being
// dropped as PIL's "RGBX" raw mode drops it. Lossy images are converted
// with libwebp's "fancy" chroma upsampler and fixed-point YUV->RGB
// formulas; lossless ones are exact by construction.
func decodeWebP(data []byte) (*Image, error) {
	src, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	alpha := webpHasAlpha(data)
	var m *Image
	switch s := src.(type) {
	case *image.YCbCr:
		m = webpYUVToRGB(s, nil, 0)
	case *image.NYCbCrA:
		m = webpYUVToRGB(&s.YCbCr, s.A, s.AStride)
	case *image.NRGBA:
		if m, err = fromGo(s, ModeRGBA); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unexpected decoded type %T", src)
	}
	return withAlpha(m, alpha), nil
}

// webpHasAlpha is libwebp's WebPGetFeatures has_alpha, which decides PIL's
// mode: for lossless data the alpha_is_used bit of the VP8L header (which
// overrides the VP8X flag), for lossy data the VP8X alpha flag or an ALPH
// chunk.
func webpHasAlpha(data []byte) bool {
	flag := false
	for off := 12; off+8 <= len(data); {
		id := string(data[off : off+4])
		n := int(binary.LittleEndian.Uint32(data[off+4:]))
		body := data[off+8:]
		switch id {
		case "VP8X":
			if len(body) > 0 {
				flag = body[0]&0x10 != 0
			}
		case "ALPH":
			flag = true
		case "VP8L":
			// Signature byte, then 14+14 bits of size, then alpha_is_used.
			return len(body) >= 5 && body[4]&0x10 != 0
		case "VP8 ":
			return flag
		}
		if n < 0 || n > len(data) {
			break
		}
		off += 8 + n + n&1 // chunks are padded to even sizes
	}
	return flag
}

// withAlpha gives m PIL's mode: RGB (alpha dropped) or RGBA (opaque alpha
// added where the data had none).
func withAlpha(m *Image, alpha bool) *Image {
	n := m.width * m.height
	switch {
	case alpha && m.mode == ModeRGB:
		rgba := make([]uint8, 4*n)
		for i := range n {
			copy(rgba[4*i:4*i+3], m.pix[3*i:3*i+3])
			rgba[4*i+3] = 255
		}
		return &Image{mode: ModeRGBA, width: m.width, height: m.height, pix: rgba}
	case !alpha && m.mode == ModeRGBA:
		rgb := make([]uint8, 3*n)
		for i := range n {
			copy(rgb[3*i:3*i+3], m.pix[4*i:4*i+3])
		}
		return &Image{mode: ModeRGB, width: m.width, height: m.height, pix: rgb}
	}
	return m
}

// webpYUVToRGB converts a 4:2:0 VP8 frame (plus an optional alpha plane) to
// RGB or RGBA as libwebp's EmitFancyRGB does: output rows are upsampled in
// pairs (2k-1, 2k) from chroma rows k-1 and k; the first row, and the last
// one of an even height, use a single chroma row on both sides.
func webpYUVToRGB(s *image.YCbCr, alpha []uint8, astride int) *Image {
	w, h := s.Rect.Dx(), s.Rect.Dy()
	mode, ch := ModeRGB, 3
	if alpha != nil {
		mode, ch = ModeRGBA, 4
	}
	m := &Image{mode: mode, width: w, height: h, pix: make([]uint8, w*h*ch)}
	yrow := func(y int) []uint8 { return s.Y[y*s.YStride : y*s.YStride+w] }
	crow := func(p []uint8, y int) []uint8 { return p[y*s.CStride : y*s.CStride+(w+1)/2] }
	orow := func(y int) []uint8 { return m.pix[y*w*ch : (y+1)*w*ch] }
	up := func(top, bottom int, cTop, cCur int) {
		var by, bo []uint8
		if bottom >= 0 {
			by, bo = yrow(bottom), orow(bottom)
		}
		upsampleLinePair(yrow(top), by, crow(s.Cb, cTop), crow(s.Cr, cTop),
			crow(s.Cb, cCur), crow(s.Cr, cCur), orow(top), bo, ch)
	}
	up(0, -1, 0, 0)
	for y := 1; y+1 < h; y += 2 {
		up(y, y+1, (y-1)/2, (y+1)/2)
	}
	if h%2 == 0 && h > 1 {
		up(h-1, -1, (h-1)/2, (h-1)/2)
	}
	if alpha != nil {
		for y := range h {
			o := orow(y)
			for x, a := range alpha[y*astride : y*astride+w] {
				o[4*x+3] = a
			}
		}
	}
	return m
}

// upsampleLinePair is libwebp's UPSAMPLE_FUNC for one pair of output rows:
// the top row is nearer the chroma row tu/tv, the bottom row (if any) nearer
// cu/cv, with chroma interpolated 9:3:3:1 between the four surrounding
// samples. libwebp packs U and V in one uint32; computing them apart gives
// the same values because only the low 8 bits of each lane are kept.
func upsampleLinePair(topY, botY, tu, tv, cu, cv, topOut, botOut []uint8, ch int) {
	n := len(topY)
	put := func(out []uint8, x int, y, u, v uint8) {
		o := out[x*ch:]
		o[0], o[1], o[2] = yuvToRGB(y, u, v)
	}
	// edge: chroma 3:1 between the nearer and the further row.
	edge := func(x, cx int) {
		tlu, tlv, lu, lv := int(tu[cx]), int(tv[cx]), int(cu[cx]), int(cv[cx])
		put(topOut, x, topY[x], uint8((3*tlu+lu+2)>>2), uint8((3*tlv+lv+2)>>2))
		if botY != nil {
			put(botOut, x, botY[x], uint8((3*lu+tlu+2)>>2), uint8((3*lv+tlv+2)>>2))
		}
	}
	edge(0, 0)
	for x := 1; x <= (n-1)>>1; x++ {
		var d12, d03 [2]int
		tl := [2]int{int(tu[x-1]), int(tv[x-1])}
		t := [2]int{int(tu[x]), int(tv[x])}
		l := [2]int{int(cu[x-1]), int(cv[x-1])}
		c := [2]int{int(cu[x]), int(cv[x])}
		for i := range 2 {
			avg := tl[i] + t[i] + l[i] + c[i] + 8
			d12[i] = (avg + 2*(t[i]+l[i])) >> 3
			d03[i] = (avg + 2*(tl[i]+c[i])) >> 3
		}
		put(topOut, 2*x-1, topY[2*x-1], uint8((d12[0]+tl[0])>>1), uint8((d12[1]+tl[1])>>1))
		put(topOut, 2*x, topY[2*x], uint8((d03[0]+t[0])>>1), uint8((d03[1]+t[1])>>1))
		if botY != nil {
			put(botOut, 2*x-1, botY[2*x-1], uint8((d03[0]+l[0])>>1), uint8((d03[1]+l[1])>>1))
			put(botOut, 2*x, botY[2*x], uint8((d12[0]+c[0])>>1), uint8((d12[1]+c[1])>>1))
		}
	}
	if n%2 == 0 {
		edge(n-1, (n-1)>>1)
	}
}

// yuvToRGB is libwebp's VP8YuvToRgb: 14-bit coefficients applied with a
// high-half multiply (as its SIMD code does), 6 fractional bits, clipped.
func yuvToRGB(y, u, v uint8) (r, g, b uint8) {
	mulHi := func(a uint8, c int) int { return int(a) * c >> 8 }
	clip := func(x int) uint8 {
		if x&^(256<<6-1) == 0 {
			return uint8(x >> 6)
		}
		if x < 0 {
			return 0
		}
		return 255
	}
	yy := mulHi(y, 19077)
	r = clip(yy + mulHi(v, 26149) - 14234)
	g = clip(yy - mulHi(u, 6419) - mulHi(v, 13320) + 8708)
	b = clip(yy + mulHi(u, 33050) - 17685)
	return r, g, b
}
