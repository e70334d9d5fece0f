package imageproc

import "fmt"

// DefaultMaxPixels is PIL's decompression-bomb limit (Image.MAX_IMAGE_PIXELS).
const DefaultMaxPixels = 89478485

// PIL's mode names. The mode of a decoded image is the one PIL 9.4 gives the
// same file, because the mode decides how the image is resized and converted.
const (
	ModeBilevel = "1"    // 1 byte per pixel, 0 or 255; resized with NEAREST
	ModeL       = "L"    // 8-bit gray
	ModeLA      = "LA"   // gray + alpha, resized alpha-premultiplied
	ModeP       = "P"    // palette index + 256-entry RGB palette; resized with NEAREST
	ModeRGB     = "RGB"  // 8-bit red, green, blue
	ModeRGBA    = "RGBA" // RGB + alpha (not premultiplied), resized alpha-premultiplied
	ModeCMYK    = "CMYK" // ink amounts, 255 = full ink
	ModeI       = "I"    // 32-bit signed integer gray (16-bit PNGs), resized in float64
)

// Image is a decoded image in one of PIL's modes. Samples are interleaved,
// row-major, channels(mode) bytes per pixel, except mode I which keeps one
// int32 per pixel.
type Image struct {
	mode          string
	width, height int
	pix           []uint8    // [height, width, channels]; nil for mode I
	ints          []int32    // [height, width] for mode I
	palette       [768]uint8 // mode P: RGB of each of the 256 indices
}

// Width is the image width in pixels.
func (m *Image) Width() int { return m.width }

// Height is the image height in pixels.
func (m *Image) Height() int { return m.height }

// Mode is PIL's name for the pixel layout: 1, L, LA, P, RGB, RGBA, CMYK or I.
func (m *Image) Mode() string { return m.mode }

// channels is the number of bytes per pixel of an 8-bit mode.
func channels(mode string) int {
	switch mode {
	case ModeBilevel, ModeL, ModeP:
		return 1
	case ModeLA:
		return 2
	case ModeRGB:
		return 3
	case ModeRGBA, ModeCMYK:
		return 4
	}
	return 0
}

// NewImage wraps interleaved 8-bit samples, [height, width, channels], in
// an Image of the given mode (1, L, LA, RGB, RGBA or CMYK; see NewPaletted
// and NewInt for P and I). pix is used, not copied. Mode 1 samples must be 0
// or 255, as PIL stores them.
func NewImage(mode string, width, height int, pix []uint8) (*Image, error) {
	ch := channels(mode)
	if ch == 0 || mode == ModeP {
		return nil, fmt.Errorf("imageproc: NewImage: unsupported mode %q", mode)
	}
	if err := checkSize(width, height, len(pix), ch); err != nil {
		return nil, err
	}
	return &Image{mode: mode, width: width, height: height, pix: pix}, nil
}

// NewPaletted wraps palette indices, [height, width], and an RGB palette of
// up to 256 entries (3 bytes each) in a mode P image. Indices past the end
// of the palette map to gray (i, i, i), as in PIL, whose palettes start as
// a gray ramp. idx is used, not copied.
func NewPaletted(width, height int, idx []uint8, palette []uint8) (*Image, error) {
	if err := checkSize(width, height, len(idx), 1); err != nil {
		return nil, err
	}
	if len(palette) > 768 || len(palette)%3 != 0 {
		return nil, fmt.Errorf("imageproc: NewPaletted: palette has %d bytes, want a multiple of 3 up to 768", len(palette))
	}
	m := &Image{mode: ModeP, width: width, height: height, pix: idx}
	m.palette = grayRamp()
	copy(m.palette[:], palette)
	return m, nil
}

// NewInt wraps 32-bit gray samples, [height, width], in a mode I image.
// v is used, not copied.
func NewInt(width, height int, v []int32) (*Image, error) {
	if err := checkSize(width, height, len(v), 1); err != nil {
		return nil, err
	}
	return &Image{mode: ModeI, width: width, height: height, ints: v}, nil
}

func checkSize(width, height, n, ch int) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("imageproc: image size %dx%d is empty", width, height)
	}
	if n != width*height*ch {
		return fmt.Errorf("imageproc: %dx%d image with %d channels needs %d samples, got %d", width, height, ch, width*height*ch, n)
	}
	return nil
}

// grayRamp is the palette PIL starts every P image with; entries a file
// does not define keep these values.
func grayRamp() [768]uint8 {
	var p [768]uint8
	for i := range 256 {
		p[3*i], p[3*i+1], p[3*i+2] = uint8(i), uint8(i), uint8(i)
	}
	return p
}
