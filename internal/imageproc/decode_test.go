package imageproc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
)

// pngWithIHDR builds a PNG whose IHDR declares w x h 8-bit RGB pixels and
// whose image data is a single empty zlib stream: a decompression bomb's
// header without the bomb.
func pngWithIHDR(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func encoded(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := enc(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	pngData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	jpegData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	gifData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) })
	bigGIF := append([]byte("GIF89a\xa0\x86\xa0\x86\x00\x00\x00"), gifData[13:]...) // 34464x34464 screen
	tests := []struct {
		name      string
		data      []byte
		maxPixels int
		wantIn    string
		wantIs    error
	}{
		{"empty.png", nil, 0, "empty.png: empty file", nil},
		{"truncated.png", pngData[:len(pngData)/2], 0, "truncated.png: decoding PNG", nil},
		{"header-only.png", pngData[:20], 0, "header-only.png: reading PNG header", nil},
		{"truncated.jpg", jpegData[:len(jpegData)/2], 0, "truncated.jpg: decoding JPEG", nil},
		{"truncated.gif", gifData[:len(gifData)-6], 0, "truncated.gif: decoding GIF", nil},
		{"text.png", []byte("hello, this is not an image\n"), 0, "text.png: unknown image format", ErrUnknownFormat},
		{"unknown.bmp", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00"), 0, "unknown image format (not PNG, JPEG, GIF or WebP)", ErrUnknownFormat},
		{"webp.webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00abcd"), 0, "webp.webp: ", nil},
		{"bomb.png", pngWithIHDR(100000, 100000), 0, "bomb.png: image is 100000x100000 = 10000000000 pixels, over the limit of 89478485", ErrTooManyPixels},
		{"bomb.gif", bigGIF, 0, "bomb.gif: image is 34464x34464 = 1187767296 pixels, over the limit of 89478485", ErrTooManyPixels},
		{"small-limit.png", pngData, 1000, "small-limit.png: image is 40x30 = 1200 pixels, over the limit of 1000", ErrTooManyPixels},
		{"zero.png", pngWithIHDR(0, 10), 0, "zero.png: image is 0x10 pixels", ErrTooManyPixels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tc.data), tc.name, tc.maxPixels)
			if err == nil {
				t.Fatalf("decoded a %dx%d %s image, want an error", img.Width(), img.Height(), img.Mode())
			}
			if !strings.Contains(err.Error(), tc.wantIn) {
				t.Errorf("error %q does not contain %q", err, tc.wantIn)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %v", err, tc.wantIs)
			}
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	data := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	for _, limit := range []int{1200, math.MaxInt, 0, -1} {
		if _, err := Decode(bytes.NewReader(data), "ok.png", limit); err != nil {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	if _, err := DecodeFile("testdata/does-not-exist.png", 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// decodeNoRecover is Decode without its recover, so that tests see panics.
func decodeNoRecover(data []byte) (*Image, error) {
	f := sniff(data)
	if f == nil {
		return nil, ErrUnknownFormat
	}
	w, h, err := f.size(data)
	if err != nil {
		return nil, err
	}
	if err := checkPixels(w, h, 1<<22); err != nil {
		return nil, err
	}
	return f.decode(data)
}

// TestDecodeNeverPanics feeds truncations and byte flips of small valid
// files to the decoders: errors are fine, panics are not.
func TestDecodeNeverPanics(t *testing.T) {
	files := []string{"rgba.png", "p16.png", "i16.png", "gif_trns.gif", "gif_interlaced.gif", "webp_lossy_alpha.webp",
		"webp_lossless.webp", "jpeg_420.jpg", "jpeg_progressive.jpg", "jpeg_prog_restart.jpg", "jpeg_410.jpg", "jpeg_cmyk.jpg"}
	for _, f := range files {
		data, err := os.ReadFile(pilPath(f))
		if err != nil {
			t.Fatal(err)
		}
		step := max(len(data)/97, 1)
		for n := 0; n < len(data); n += step {
			decodeNoRecover(data[:n])
			flipped := bytes.Clone(data)
			flipped[n] ^= 0x5a
			if img, err := decodeNoRecover(flipped); err == nil {
				ResizeCropRGB(img, 8)
			}
		}
	}
}

// TestGIFFrameOffset covers a first frame smaller than the screen: PIL
// paints it at its offset on a canvas of the transparent index (or 0).
func TestGIFFrameOffset(t *testing.T) {
	pal := color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 50, 255}, color.RGBA{1, 2, 3, 255}}
	frame := image.NewPaletted(image.Rect(2, 1, 5, 3), pal)
	for i := range frame.Pix {
		frame.Pix[i] = 1
	}
	for _, trns := range []int{-1, 2} {
		var b bytes.Buffer
		g := &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
			Config: image.Config{ColorModel: pal, Width: 6, Height: 4}}
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		if trns >= 0 {
			// Insert a graphic control extension naming the transparent index.
			i := bytes.IndexByte(data[13+3*4:], ',') + 13 + 3*4
			gce := []byte{'!', 0xf9, 4, 1, 0, 0, byte(trns), 0}
			data = append(append(append([]byte{}, data[:i]...), gce...), data[i:]...)
		}
		img, err := Decode(bytes.NewReader(data), "offset.gif", 0)
		if err != nil {
			t.Fatal(err)
		}
		if img.Mode() != ModeP || img.Width() != 6 || img.Height() != 4 {
			t.Fatalf("got %dx%d %s", img.Width(), img.Height(), img.Mode())
		}
		bg := uint8(max(trns, 0))
		for y := range 4 {
			for x := range 6 {
				want := bg
				if x >= 2 && x < 5 && y >= 1 && y < 3 {
					want = 1
				}
				if got := img.pix[y*6+x]; got != want {
					t.Errorf("trns %d: pixel (%d,%d) = %d, want %d", trns, x, y, got, want)
				}
			}
		}
		// The transparent index keeps its palette colour in RGB.
		if trns >= 0 {
			rgb := ResizedCropRGB(img, [4]int{0, 0, 1, 1}, 1)
			if !bytes.Equal(rgb, []byte{1, 2, 3}) {
				t.Errorf("transparent index converts to %v, want [1 2 3]", rgb)
			}
		}
	}
}

func TestGoldenDecodeFileName(t *testing.T) {
	path := golden.Path(t, "images", "chelsea.png")
	img, err := DecodeFile(path, 100)
	if err == nil || !strings.HasPrefix(err.Error(), path+": image is 451x300 = 135300 pixels, over the limit of 100") {
		t.Errorf("got %v, %v", img, err)
	}
}

// TestArithmeticJPEGRefused: arithmetic-coded JPEGs (rare; libjpeg-turbo
// reads them, image/jpeg does not) are refused with a clear error.
func TestArithmeticJPEGRefused(t *testing.T) {
	_, err := DecodeFile(pilPath("arithmetic.jpg"), 0)
	if err == nil || !strings.Contains(err.Error(), "arithmetic") {
		t.Errorf("got %v, want an error naming arithmetic coding", err)
	}
}

// FuzzDecode looks for panics in the decoders (Decode would turn a panic
// into an error, so this calls them directly).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"jpeg_420.jpg", "jpeg_prog_restart.jpg", "jpeg_410.jpg", "jpeg_cmyk.jpg",
		"jpeg_1x1.jpg", "gif_trns.gif", "gif_interlaced.gif", "p_short_plte.png", "webp_lossy_alpha.webp"} {
		data, err := os.ReadFile(pilPath(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if img, err := decodeNoRecover(data); err == nil {
			ResizeCropRGB(img, 8)
		}
	})
}
