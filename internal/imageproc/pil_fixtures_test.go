package imageproc

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// pilCase is one entry of testdata/pil/manifest.json, written by
// testdata/make_pil_fixtures.py with PIL 9.4.
type pilCase struct {
	File    string `json:"file"`
	Format  string `json:"format"`
	Mode    string `json:"mode"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Size    int    `json:"size"`
	Op      string `json:"op"` // center (CLIP's transform) or crop (resized_crop)
	Box     [4]int `json:"box"`
	Want    string `json:"want"`
	Decoded string `json:"decoded"` // JPEG: PIL's decoded samples, zlib
	Note    string `json:"note"`
}

func pilPath(name string) string { return filepath.Join("testdata", "pil", name) }

// TestPILFixtures runs every mode and format against PIL 9.4's results:
// exact for PNG, GIF and WebP; for JPEG exact from PIL's decoded samples
// and bounded from the file.
func TestPILFixtures(t *testing.T) {
	b, err := os.ReadFile(pilPath("manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []pilCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	modes := map[string]bool{}
	for _, c := range cases {
		name := c.Want[:len(c.Want)-len(".want.png")]
		t.Run(name, func(t *testing.T) {
			img, err := DecodeFile(pilPath(c.File), DefaultMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			modes[img.Mode()] = true
			if img.Width() != c.Width || img.Height() != c.Height || img.Mode() != c.Mode {
				t.Errorf("decoded %dx%d %s, want %dx%d %s (%s)", img.Width(), img.Height(), img.Mode(), c.Width, c.Height, c.Mode, c.Note)
			}
			want := readRGBPNG(t, pilPath(c.Want), c.Size)
			run := func(m *Image) []uint8 {
				if c.Op == "crop" {
					return ResizedCropRGB(m, c.Box, c.Size)
				}
				return ResizeCropRGB(m, c.Size)
			}
			assertBytesEqual(t, c.Op+" "+c.Note, run(img), want, c.Size)
			if c.Format != "JPEG" {
				return
			}
			data, err := os.ReadFile(pilPath(c.File))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeLibjpeg(data); err != nil {
				t.Errorf("the libjpeg-compatible decoder refused it: %v", err)
			}
			ref := pilDecoded(t, c)
			if maxD, _, _ := diffStats(img, ref); maxD != 0 {
				t.Errorf("decoded samples differ from libjpeg-turbo's by up to %d", maxD)
			}
			if m, err := decodeGoJPEG(data); err == nil {
				maxD, meanD, frac := diffStats(m, ref)
				t.Logf("image/jpeg fallback: decoded %s vs libjpeg-turbo: max |diff| %d, mean %.4f, %.1f%% differ", c.Mode, maxD, meanD, 100*frac)
			}
		})
	}
	for _, m := range []string{ModeBilevel, ModeL, ModeLA, ModeP, ModeRGB, ModeRGBA, ModeCMYK, ModeI} {
		if !modes[m] {
			t.Errorf("no fixture decodes to mode %s", m)
		}
	}
}

func pilDecoded(t *testing.T, c pilCase) *Image {
	t.Helper()
	f, err := os.Open(pilPath(c.Decoded))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := zlib.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	pix, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewImage(c.Mode, c.Width, c.Height, pix)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readRGBPNG reads an 8-bit RGB PNG as uint8 [size, size, 3].
func readRGBPNG(t *testing.T, path string, size int) []uint8 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if src.Bounds() != image.Rect(0, 0, size, size) {
		t.Fatalf("%s is %v, want %dx%d", path, src.Bounds(), size, size)
	}
	rgba := image.NewNRGBA(src.Bounds())
	draw.Draw(rgba, rgba.Rect, src, image.Point{}, draw.Src)
	out := make([]uint8, 0, size*size*3)
	for i := 0; i < len(rgba.Pix); i += 4 {
		out = append(out, rgba.Pix[i:i+3]...)
	}
	return out
}
