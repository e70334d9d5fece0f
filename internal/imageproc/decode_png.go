package imageproc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// pngHeader is what the IHDR chunk says; PIL picks the mode from the bit
// depth and colour type, not from what Go's decoder returns.
type pngHeader struct {
	width, height int
	depth, ctype  uint8
	plteEntries   int // colours in the PLTE chunk
}

func readPNGHeader(data []byte) (pngHeader, error) {
	var h pngHeader
	// signature (8) + length (4) + "IHDR" (4) + 13 bytes of IHDR
	if len(data) < 8+8+13 || string(data[12:16]) != "IHDR" {
		return h, errors.New("missing IHDR chunk")
	}
	h.width = int(binary.BigEndian.Uint32(data[16:20]))
	h.height = int(binary.BigEndian.Uint32(data[20:24]))
	h.depth, h.ctype = data[24], data[25]
	// Walk the chunks up to the image data to find the palette size.
	for off := 8; off+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off : off+4]))
		typ := string(data[off+4 : off+8])
		if typ == "PLTE" {
			h.plteEntries = n / 3
		}
		if typ == "IDAT" || n < 0 || n > len(data) {
			break
		}
		off += 12 + n
	}
	return h, nil
}

func pngSize(data []byte) (int, int, error) {
	h, err := readPNGHeader(data)
	return h.width, h.height, err
}

// decodePNG decodes with image/png and re-labels the result with PIL 9.4's
// mode for the file's bit depth and colour type (PngImagePlugin._MODES):
//
//	gray 1 bit -> 1; gray 2/4/8 -> L; gray 16 -> I (full 16-bit value)
//	RGB 8/16 -> RGB (16-bit: high byte)
//	palette -> P
//	gray+alpha 8 -> LA; gray+alpha 16 -> RGBA (high bytes, gray replicated)
//	RGBA 8/16 -> RGBA (16-bit: high byte)
//
// A tRNS chunk does not change PIL's mode (only its info), so the colour
// Go stores beside the alpha it derives from tRNS is all that is used.
func decodePNG(data []byte) (*Image, error) {
	hdr, err := readPNGHeader(data)
	if err != nil {
		return nil, err
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch hdr.ctype {
	case 0:
		switch {
		case hdr.depth == 1:
			return fromGo(src, ModeBilevel)
		case hdr.depth == 16:
			return intFromGo(src)
		}
		return fromGo(src, ModeL)
	case 2:
		return fromGo(src, ModeRGB)
	case 3:
		p, ok := src.(*image.Paletted)
		if !ok {
			return nil, fmt.Errorf("palette PNG decoded as %T", src)
		}
		m := &Image{mode: ModeP, width: w, height: h, pix: make([]uint8, w*h), palette: grayRamp()}
		for y := range h {
			copy(m.pix[y*w:(y+1)*w], p.Pix[y*p.Stride:y*p.Stride+w])
		}
		// Go pads the palette with black for out-of-range indices; PIL's
		// palette keeps its initial gray ramp there.
		for i, c := range p.Palette[:min(len(p.Palette), hdr.plteEntries, 256)] {
			r, g, bl := rawRGB(c)
			m.palette[3*i], m.palette[3*i+1], m.palette[3*i+2] = r, g, bl
		}
		return m, nil
	case 4:
		if hdr.depth == 16 {
			return fromGo(src, ModeRGBA)
		}
		return fromGo(src, ModeLA)
	case 6:
		return fromGo(src, ModeRGBA)
	}
	return nil, fmt.Errorf("unsupported PNG colour type %d", hdr.ctype)
}

// rawRGB returns a palette entry's colour as stored in the file: Go keeps
// palette entries with tRNS alpha as non-premultiplied NRGBA.
func rawRGB(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.RGBA:
		if c.A == 0xff {
			return c.R, c.G, c.B
		}
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}

// fromGo copies a decoded Go image into an 8-bit Image of the given mode,
// keeping the stored (non-premultiplied) samples and, for 16-bit images,
// their high bytes as PIL's ;16B unpackers do. Gray modes read the red
// rgbaSampler reads 4-channel pixels of bytesPer bytes a channel (1, or
// 2 big-endian: the high byte is kept).
func rgbaSampler(pix []uint8, stride, bytesPer int) func(x, y int) (uint8, uint8, uint8, uint8) {
	return func(x, y int) (uint8, uint8, uint8, uint8) {
		p := pix[y*stride+4*bytesPer*x:]
		return p[0], p[bytesPer], p[2*bytesPer], p[3*bytesPer]
	}
}

// channel of colour images, since a gray PNG with tRNS decodes to NRGBA.
func fromGo(src image.Image, mode string) (*Image, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	ch := channels(mode)
	m := &Image{mode: mode, width: w, height: h, pix: make([]uint8, w*h*ch)}
	var sample func(x, y int) (r, g, bl, a uint8)
	switch s := src.(type) {
	case *image.Gray:
		sample = func(x, y int) (uint8, uint8, uint8, uint8) {
			v := s.Pix[y*s.Stride+x]
			return v, v, v, 0xff
		}
	case *image.Gray16:
		sample = func(x, y int) (uint8, uint8, uint8, uint8) {
			v := s.Pix[y*s.Stride+2*x]
			return v, v, v, 0xff
		}
	case *image.NRGBA:
		sample = rgbaSampler(s.Pix, s.Stride, 1)
	case *image.NRGBA64:
		sample = rgbaSampler(s.Pix, s.Stride, 2)
	case *image.RGBA:
		// Only opaque images decode to RGBA, where premultiplied = stored.
		sample = rgbaSampler(s.Pix, s.Stride, 1)
	case *image.RGBA64:
		sample = rgbaSampler(s.Pix, s.Stride, 2)
	default:
		return nil, fmt.Errorf("unexpected decoded type %T for mode %s", src, mode)
	}
	for y := range h {
		row := m.pix[y*w*ch : (y+1)*w*ch]
		for x := range w {
			r, g, bl, a := sample(x, y)
			p := row[x*ch : (x+1)*ch]
			switch mode {
			case ModeBilevel, ModeL:
				p[0] = r
			case ModeLA:
				p[0], p[1] = r, a
			case ModeRGB:
				p[0], p[1], p[2] = r, g, bl
			case ModeRGBA:
				p[0], p[1], p[2], p[3] = r, g, bl, a
			}
		}
	}
	return m, nil
}

// intFromGo copies a 16-bit gray image into mode I, as PIL's I;16B
// unpacker does: the sample is the full 16-bit value.
func intFromGo(src image.Image) (*Image, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	m := &Image{mode: ModeI, width: w, height: h, ints: make([]int32, w*h)}
	for y := range h {
		for x := range w {
			var v uint16
			switch s := src.(type) {
			case *image.Gray16:
				v = binary.BigEndian.Uint16(s.Pix[y*s.Stride+2*x:])
			case *image.NRGBA64:
				v = binary.BigEndian.Uint16(s.Pix[y*s.Stride+8*x:])
			default:
				return nil, fmt.Errorf("unexpected decoded type %T for mode I", src)
			}
			m.ints[y*w+x] = int32(v)
		}
	}
	return m, nil
}
