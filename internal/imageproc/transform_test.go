package imageproc

import (
	"bytes"
	"image"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
)

func TestResizedShape(t *testing.T) {
	tests := []struct{ w, h, size, wantW, wantH int }{
		{451, 300, 224, 336, 224},
		{260, 400, 224, 224, 344},
		{451, 120, 224, 841, 224}, // 841.87 truncated
		{96, 72, 224, 298, 224},   // upscale
		{512, 512, 224, 224, 224},
		{224, 300, 224, 224, 300}, // short side already 224
		{1, 300, 224, 224, 67200},
		{300, 1, 224, 67200, 224},
		{640, 427, 224, 335, 224}, // 335.74
	}
	for _, tc := range tests {
		if w, h := ResizedShape(tc.w, tc.h, tc.size); w != tc.wantW || h != tc.wantH {
			t.Errorf("ResizedShape(%d, %d, %d) = %dx%d, want %dx%d", tc.w, tc.h, tc.size, w, h, tc.wantW, tc.wantH)
		}
	}
}

func TestCenterCropWindow(t *testing.T) {
	tests := []struct {
		w, h, size int
		want       image.Rectangle
	}{
		{336, 224, 224, image.Rect(56, 0, 280, 224)},
		{841, 224, 224, image.Rect(308, 0, 532, 224)}, // 308.5 -> 308 (even)
		{227, 224, 224, image.Rect(2, 0, 226, 224)},   // 1.5 -> 2
		{225, 229, 224, image.Rect(0, 2, 224, 226)},   // 0.5 -> 0, 2.5 -> 2
		{224, 224, 224, image.Rect(0, 0, 224, 224)},
		{221, 224, 224, image.Rect(-1, 0, 223, 224)}, // padded 1 left, 2 right
		{10, 300, 4, image.Rect(3, 148, 7, 152)},
		{3, 3, 8, image.Rect(-2, -2, 6, 6)},
	}
	for _, tc := range tests {
		if got := CenterCropWindow(tc.w, tc.h, tc.size); got != tc.want {
			t.Errorf("CenterCropWindow(%d, %d, %d) = %v, want %v", tc.w, tc.h, tc.size, got, tc.want)
		}
	}
}

func randomImage(mode string, w, h int, seed uint64) *Image {
	r := rand.New(rand.NewPCG(seed, 1))
	if mode == ModeI {
		v := make([]int32, w*h)
		for i := range v {
			v[i] = int32(r.IntN(600)) - 50
		}
		m, _ := NewInt(w, h, v)
		return m
	}
	pix := make([]uint8, w*h*channels(mode))
	for i := range pix {
		pix[i] = uint8(r.IntN(256))
		if mode == ModeBilevel && pix[i] >= 128 {
			pix[i] = 255
		} else if mode == ModeBilevel {
			pix[i] = 0
		}
	}
	if mode == ModeP {
		pal := make([]uint8, 30)
		for i := range pal {
			pal[i] = uint8(r.IntN(256))
		}
		m, _ := NewPaletted(w, h, pix, pal)
		return m
	}
	m, _ := NewImage(mode, w, h, pix)
	return m
}

// TestNoResizeWhenShortSideMatches: torchvision returns an image whose
// short side already equals the size unchanged, so the result is a plain
// centre crop of the source, whatever the mode.
func TestNoResizeWhenShortSideMatches(t *testing.T) {
	for _, mode := range []string{ModeL, ModeLA, ModeRGB, ModeRGBA, ModeP, ModeBilevel, ModeCMYK, ModeI} {
		img := randomImage(mode, 224, 301, 7)
		want := make([]uint8, 224*224*3)
		crop := &Image{mode: mode, width: 224, height: 224, palette: img.palette}
		ch := channels(mode)
		if mode == ModeI {
			crop.ints = img.ints[38*224 : (38+224)*224] // int(round(77/2)) = 38
		} else {
			crop.pix = img.pix[38*224*ch : (38+224)*224*ch]
		}
		toRGB(want, crop)
		if got := ResizeCropRGB(img, 224); !bytes.Equal(got, want) {
			t.Errorf("%s: 224x301 is not just cropped", mode)
		}
	}
}

// TestWindowedResizeMatchesFull: computing only the centre-crop window
// gives the same bytes as resizing the whole image and cropping after.
func TestWindowedResizeMatchesFull(t *testing.T) {
	for _, mode := range []string{ModeL, ModeLA, ModeRGB, ModeRGBA, ModeP, ModeCMYK, ModeI} {
		for _, sz := range [][2]int{{97, 41}, {40, 120}, {7, 5}, {1, 33}, {300, 299}} {
			img := randomImage(mode, sz[0], sz[1], uint64(sz[0]))
			size := 16
			w, h := ResizedShape(sz[0], sz[1], size)
			s := new(scratch)
			var full Image
			resizeWindow(&full, img, fullBox(img), w, h, image.Rect(0, 0, w, h), s)
			win := CenterCropWindow(w, h, size)
			crop := &Image{mode: mode, width: size, height: size, palette: img.palette}
			ch := channels(mode)
			for y := win.Min.Y; y < win.Max.Y; y++ {
				if mode == ModeI {
					crop.ints = append(crop.ints, full.ints[y*w+win.Min.X:y*w+win.Max.X]...)
				} else {
					crop.pix = append(crop.pix, full.pix[(y*w+win.Min.X)*ch:(y*w+win.Max.X)*ch]...)
				}
			}
			want := make([]uint8, size*size*3)
			toRGB(want, crop)
			if got := ResizeCropRGB(img, size); !bytes.Equal(got, want) {
				t.Errorf("%s %v: windowed resize differs from full resize + crop", mode, sz)
			}
		}
	}
}

func TestPanicsOnBadArguments(t *testing.T) {
	img := randomImage(ModeRGB, 10, 10, 1)
	for name, f := range map[string]func(){
		"size 0":        func() { ResizeCropRGB(img, 0) },
		"short dst":     func() { ResizeCropRGBInto(make([]uint8, 5), img, 2) },
		"empty box":     func() { ResizedCropRGB(img, [4]int{5, 5, 5, 9}, 4) },
		"normalize len": func() { Normalize(make([]uint8, 5), 2, model.OpenAIMean, model.OpenAIStd) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNewImageValidates(t *testing.T) {
	if _, err := NewImage(ModeRGB, 2, 2, make([]uint8, 11)); err == nil {
		t.Error("NewImage accepted 11 bytes for 2x2 RGB")
	}
	if _, err := NewImage(ModeP, 1, 1, []uint8{0}); err == nil {
		t.Error("NewImage accepted mode P")
	}
	if _, err := NewImage("YCbCr", 1, 1, make([]uint8, 3)); err == nil {
		t.Error("NewImage accepted mode YCbCr")
	}
	if _, err := NewPaletted(1, 1, []uint8{0}, make([]uint8, 769)); err == nil {
		t.Error("NewPaletted accepted a 769-byte palette")
	}
	if _, err := NewInt(0, 1, nil); err == nil {
		t.Error("NewInt accepted a 0x1 image")
	}
}

// TestConcurrentPreprocess: the coefficient cache and scratch pool are
// shared between goroutines; results must not depend on interleaving.
func TestConcurrentPreprocess(t *testing.T) {
	img, err := DecodeFile(golden.Path(t, "images", "rocket_rgba.png"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := Preprocess(img, 224, model.OpenAIMean, model.OpenAIStd)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]float32, 3*224*224)
			other := randomImage(ModeL, 50+g, 70, uint64(g))
			for range 5 {
				PreprocessInto(dst, img, 224, model.OpenAIMean, model.OpenAIStd)
				for i := range want {
					if dst[i] != want[i] {
						t.Errorf("goroutine %d: result differs at %d", g, i)
						return
					}
				}
				ResizeCropRGB(other, 32)
			}
		}()
	}
	wg.Wait()
}

func TestIntoVariantsDoNotAllocate(t *testing.T) {
	img := randomImage(ModeRGBA, 640, 480, 3)
	dst := make([]uint8, 224*224*3)
	x := make([]float32, 3*224*224)
	ResizeCropRGBInto(dst, img, 224)
	if n := testing.AllocsPerRun(20, func() { ResizeCropRGBInto(dst, img, 224) }); n > 0 {
		t.Errorf("ResizeCropRGBInto: %v allocations per call", n)
	}
	if n := testing.AllocsPerRun(20, func() { PreprocessInto(x, img, 224, model.OpenAIMean, model.OpenAIStd) }); n > 0 {
		t.Errorf("PreprocessInto: %v allocations per call", n)
	}
}

func benchmarkPreprocess(b *testing.B, mode string) {
	img := randomImage(mode, 640, 480, 1)
	dst := make([]float32, 3*224*224)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		PreprocessInto(dst, img, 224, model.OpenAIMean, model.OpenAIStd)
	}
}

// BenchmarkPreprocess640x480 is CLIP's transform of a decoded 640x480
// image to a 3x224x224 input (decoding excluded).
func BenchmarkPreprocess640x480(b *testing.B)     { benchmarkPreprocess(b, ModeRGB) }
func BenchmarkPreprocess640x480RGBA(b *testing.B) { benchmarkPreprocess(b, ModeRGBA) }

// BenchmarkDecodePreprocessJPEG includes decoding a 512x512 JPEG.
func BenchmarkDecodePreprocessJPEG(b *testing.B) {
	path := golden.Path(b, "images", "astronaut_q90.jpg")
	dst := make([]float32, 3*224*224)
	for b.Loop() {
		img, err := DecodeFile(path, 0)
		if err != nil {
			b.Fatal(err)
		}
		PreprocessInto(dst, img, 224, model.OpenAIMean, model.OpenAIStd)
	}
}

// TestExtremeAspectRatio: a 1x200000 image resizes to 224 x 44800000.
// PIL runs out of memory there; this computes only the centre crop, so
// memory stays small, and a constant image stays constant.
func TestExtremeAspectRatio(t *testing.T) {
	for _, mode := range []string{ModeL, ModeP, ModeI} {
		var img *Image
		switch mode {
		case ModeI:
			v := make([]int32, 200000)
			for i := range v {
				v[i] = 77
			}
			img, _ = NewInt(1, 200000, v)
		default:
			pix := bytes.Repeat([]byte{77}, 200000)
			if mode == ModeP {
				img, _ = NewPaletted(1, 200000, pix, nil)
			} else {
				img, _ = NewImage(mode, 1, 200000, pix)
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := ResizeCropRGB(img, 224)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
			t.Errorf("%s: allocated %d MB", mode, n>>20)
		}
		if !bytes.Equal(got, bytes.Repeat([]byte{77}, len(got))) {
			t.Errorf("%s: a constant image is not constant after resizing", mode)
		}
	}
}
