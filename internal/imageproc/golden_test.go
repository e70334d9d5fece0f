package imageproc

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
)

// goldenEntry is one image of golden/images/index.json.
type goldenEntry struct {
	Size          [2]int `json:"size"` // width, height
	Mode          string `json:"mode"`
	Format        string `json:"format"`
	RGB224        string `json:"rgb224_u8"`
	Preprocess224 string `json:"preprocess224"`
	Decoded       string `json:"decoded_u8"`
	ResizeTo      [2]int `json:"resize224_to"`
	CropBox       [4]int `json:"center_crop224_box"`
}

func loadGolden(t *testing.T) (map[string]goldenEntry, goldenTensors) {
	t.Helper()
	b, err := os.ReadFile(golden.Path(t, "images", "index.json"))
	if err != nil {
		t.Fatalf("golden index: %v", err)
	}
	var idx map[string]goldenEntry
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("golden index: %v", err)
	}
	if len(idx) == 0 {
		t.Fatal("golden index lists no images")
	}
	return idx, golden.ReadTensors(t, golden.Path(t, "images", "preprocess.safetensors"))
}

func sortedNames(idx map[string]goldenEntry) []string {
	names := make([]string, 0, len(idx))
	for n := range idx {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Bounds, in uint8 levels of the resized result, for the image/jpeg
// fallback against libjpeg-turbo (measured on astronaut_q90.jpg: max 2,
// mean 0.0375; see the test log).
const (
	goJPEGMaxAbsDiff  = 3
	goJPEGMeanAbsDiff = 0.1
)

// checkGoJPEGFallback measures the image/jpeg fallback, which only files
// the main decoder refuses take: same mode, pixels within a few levels.
func checkGoJPEGFallback(t *testing.T, path string, ref *Image, want []uint8, size int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeGoJPEG(data)
	if err != nil {
		t.Logf("image/jpeg fallback cannot decode it: %v", err)
		return
	}
	dmax, dmean, dfrac := diffStats(m, ref)
	rmax, rmean, rfrac := byteDiff(ResizeCropRGB(m, size), want)
	t.Logf("image/jpeg fallback vs libjpeg-turbo: decoded max %d mean %.4f (%.2f%% differ); resized max %d mean %.4f (%.2f%% differ)",
		dmax, dmean, 100*dfrac, rmax, rmean, 100*rfrac)
	if rmax > goJPEGMaxAbsDiff || rmean > goJPEGMeanAbsDiff {
		t.Errorf("image/jpeg fallback differs from PIL by max %d (limit %d), mean %.4f (limit %g)", rmax, goJPEGMaxAbsDiff, rmean, goJPEGMeanAbsDiff)
	}
}

// TestGoldenImages checks every image of the golden index: the result of
// decode+resize+crop+RGB must match PIL byte for byte, and after
// normalisation bit for bit, for every format including JPEG.
func TestGoldenImages(t *testing.T) {
	idx, st := loadGolden(t)
	for _, name := range sortedNames(idx) {
		e := idx[name]
		t.Run(name, func(t *testing.T) {
			want, shape := st.u8(t, e.RGB224)
			if len(shape) != 3 || shape[0] != shape[1] || shape[2] != 3 {
				t.Fatalf("rgb224 shape %v", shape)
			}
			size := shape[0]
			wantX, _ := st.f32(t, e.Preprocess224)

			// torchvision's geometry, as the generator recorded it.
			if w, h := ResizedShape(e.Size[0], e.Size[1], size); e.ResizeTo != [2]int{} && [2]int{w, h} != e.ResizeTo {
				t.Errorf("ResizedShape = %dx%d, want %v", w, h, e.ResizeTo)
			}
			if r := CenterCropWindow(e.ResizeTo[0], e.ResizeTo[1], size); e.ResizeTo != [2]int{} && [4]int{r.Min.X, r.Min.Y, r.Max.X, r.Max.Y} != e.CropBox {
				t.Errorf("CenterCropWindow = %v, want %v", r, e.CropBox)
			}

			// Normalisation alone reproduces torch bit for bit.
			assertBitExact(t, "Normalize(rgb224_u8)", Normalize(want, size, model.OpenAIMean, model.OpenAIStd), wantX)

			img, err := DecodeFile(golden.Path(t, "images", name), DefaultMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			if img.Width() != e.Size[0] || img.Height() != e.Size[1] || img.Mode() != e.Mode {
				t.Errorf("decoded %dx%d %s, want %dx%d %s", img.Width(), img.Height(), img.Mode(), e.Size[0], e.Size[1], e.Mode)
			}
			got := ResizeCropRGB(img, size)

			assertBytesEqual(t, "ResizeCropRGB", got, want, size)
			assertBitExact(t, "Preprocess", Preprocess(img, size, model.OpenAIMean, model.OpenAIStd), wantX)
			if e.Decoded == "" || channels(e.Mode) == 0 || e.Mode == ModeP {
				return
			}
			// PIL's own decoded pixels resize to the same bytes, so the
			// check above covers decoding and resizing separately too.
			dec, dshape := st.u8(t, e.Decoded)
			ref := imageFromHWC(t, dec, dshape, e.Mode)
			assertBytesEqual(t, "ResizeCropRGB(decoded_u8)", ResizeCropRGB(ref, size), want, size)
			if maxD, _, _ := diffStats(img, ref); maxD != 0 {
				t.Errorf("decoded pixels differ from libjpeg-turbo's by up to %d", maxD)
			}
			if e.Format == "JPEG" {
				checkGoJPEGFallback(t, golden.Path(t, "images", name), ref, want, size)
			}
		})
	}
}

// imageFromHWC wraps a golden uint8 [H, W, C] (or [H, W]) array of PIL's
// decoded pixels in the given mode.
func imageFromHWC(t *testing.T, pix []uint8, shape []int, mode string) *Image {
	t.Helper()
	if len(shape) < 2 {
		t.Fatalf("decoded_u8 shape %v", shape)
	}
	m, err := NewImage(mode, shape[1], shape[0], pix)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffStats compares two 8-bit images of the same mode and size.
func diffStats(a, b *Image) (maxD int, mean float64, frac float64) {
	if a.mode != b.mode || a.width != b.width || a.height != b.height {
		return 255, 255, 1
	}
	return byteDiff(a.pix, b.pix)
}

func byteDiff(a, b []uint8) (maxD int, mean float64, frac float64) {
	sum, n := 0, 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		maxD = max(maxD, d)
		sum += d
		if d != 0 {
			n++
		}
	}
	return maxD, float64(sum) / float64(len(a)), float64(n) / float64(len(a))
}

func assertBytesEqual(t *testing.T, what string, got, want []uint8, size int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes, want %d", what, len(got), len(want))
	}
	bad := 0
	first := -1
	for i := range want {
		if got[i] != want[i] {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		maxD, mean, _ := byteDiff(got, want)
		p := first / 3
		t.Errorf("%s: %d of %d samples differ (max %d, mean %.4f); first at y=%d x=%d c=%d: got %d want %d",
			what, bad, len(want), maxD, mean, p/size, p%size, first%3, got[first], want[first])
	}
}

func assertBitExact(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: first difference at %d: got %v (%#08x) want %v (%#08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			return
		}
	}
}

// goldenTensors are the reference tensors of preprocess.safetensors.
type goldenTensors map[string]golden.Tensor

func (g goldenTensors) get(t testing.TB, name, dtype string) golden.Tensor {
	t.Helper()
	x, ok := g[name]
	if !ok || x.DType != dtype {
		t.Fatalf("golden preprocess.safetensors: no %s tensor %q", dtype, name)
	}
	return x
}

// u8 returns a U8 reference tensor and its shape.
func (g goldenTensors) u8(t testing.TB, name string) ([]uint8, []int) {
	x := g.get(t, name, "U8")
	b := make([]uint8, len(x.I32))
	for i, v := range x.I32 {
		b[i] = uint8(v)
	}
	return b, x.Shape
}

// f32 returns an F32 reference tensor and its shape.
func (g goldenTensors) f32(t testing.TB, name string) ([]float32, []int) {
	x := g.get(t, name, "F32")
	return x.F32, x.Shape
}
