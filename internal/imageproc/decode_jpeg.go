package imageproc

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

func jpegSize(data []byte) (int, int, error) {
	c, err := jpeg.DecodeConfig(bytes.NewReader(data))
	return c.Width, c.Height, err
}

// decodeJPEG decodes with this package's libjpeg-compatible decoder, which
// gives PIL's pixels exactly. Files it refuses (arithmetic coding,
// lossless, 12-bit, DNL) or cannot read go to image/jpeg instead.
func decodeJPEG(data []byte) (*Image, error) {
	m, err := decodeLibjpeg(data)
	if err == nil {
		return m, nil
	}
	if m, goErr := decodeGoJPEG(data); goErr == nil {
		return m, nil
	}
	return nil, err
}

// decodeGoJPEG decodes with image/jpeg into PIL's modes: grayscale -> L,
// YCbCr -> RGB, Adobe RGB -> RGB, Adobe CMYK/YCCK -> CMYK (Go undoes the
// Adobe inversion, as PIL's CMYK;I raw mode does). For YCbCr the chroma
// upsampling and colour conversion are libjpeg-turbo's rather than Go's,
// so only the inverse DCT differs from PIL: a level or two here and there.
func decodeGoJPEG(data []byte) (*Image, error) {
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch s := src.(type) {
	case *image.Gray:
		m := &Image{mode: ModeL, width: w, height: h, pix: make([]uint8, w*h)}
		for y := range h {
			copy(m.pix[y*w:(y+1)*w], s.Pix[y*s.Stride:])
		}
		return m, nil
	case *image.YCbCr:
		return ycbcrToRGB(s)
	case *image.RGBA:
		return fromGo(s, ModeRGB)
	case *image.CMYK:
		m := &Image{mode: ModeCMYK, width: w, height: h, pix: make([]uint8, w*h*4)}
		for y := range h {
			copy(m.pix[y*w*4:(y+1)*w*4], s.Pix[y*s.Stride:])
		}
		return m, nil
	}
	return nil, fmt.Errorf("unexpected decoded type %T", src)
}

// ycbcrToRGB upsamples the chroma planes the way libjpeg-turbo does with
// its default "fancy" upsampling (a triangle filter, edges replicated)
// and converts with libjpeg's fixed-point tables.
func ycbcrToRGB(s *image.YCbCr) (*Image, error) {
	w, h := s.Rect.Dx(), s.Rect.Dy()
	var hf, vf int
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hf, vf = 1, 1
	case image.YCbCrSubsampleRatio422:
		hf, vf = 2, 1
	case image.YCbCrSubsampleRatio420:
		hf, vf = 2, 2
	case image.YCbCrSubsampleRatio440:
		hf, vf = 1, 2
	case image.YCbCrSubsampleRatio411:
		hf, vf = 4, 1
	case image.YCbCrSubsampleRatio410:
		hf, vf = 4, 2
	default:
		return nil, fmt.Errorf("unsupported chroma subsampling %v", s.SubsampleRatio)
	}
	// libjpeg's downsampled_width/height: ceil(size / factor).
	cw, chh := (w+hf-1)/hf, (h+vf-1)/vf
	cplane := func(p []uint8) [][]uint8 {
		rows := make([][]uint8, chh)
		for y := range chh {
			off := s.COffset(s.Rect.Min.X, s.Rect.Min.Y+y*vf)
			rows[y] = p[off : off+cw]
		}
		return rows
	}
	cb := upsampleChroma(cplane(s.Cb), w, h, hf, vf)
	cr := upsampleChroma(cplane(s.Cr), w, h, hf, vf)

	m := &Image{mode: ModeRGB, width: w, height: h, pix: make([]uint8, w*h*3)}
	for y := range h {
		yrow := s.Y[s.YOffset(s.Rect.Min.X, s.Rect.Min.Y+y):][:w]
		out := m.pix[y*w*3 : (y+1)*w*3]
		for x, yv := range yrow {
			out[3*x], out[3*x+1], out[3*x+2] = yccToRGB(yv, cb[y*w+x], cr[y*w+x])
		}
	}
	return m, nil
}
