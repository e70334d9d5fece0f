package mnist

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/eval"
	"github.com/clip-go/clip/internal/testfs"
)

// idxBytes builds an idx file: magic, dimensions, then data.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(payload)
	return b.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	z.Write(b)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReadImages(t *testing.T) {
	pix := []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255} // 2 images of 2 x 3
	m, err := ReadImages(bytes.NewReader(idxBytes(0x803, []uint32{2, 2, 3}, pix)))
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 2 || m.Rows != 2 || m.Cols != 3 || !bytes.Equal(m.Pix, pix) {
		t.Fatalf("images %+v", m)
	}
	g := m.Gray(1)
	if g.Bounds() != image.Rect(0, 0, 3, 2) || g.GrayAt(0, 0).Y != 250 || g.GrayAt(2, 1).Y != 255 || g.GrayAt(1, 1).Y != 254 {
		t.Errorf("image 1: bounds %v, pixels %v", g.Bounds(), g.Pix)
	}

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"short header", []byte{0, 0, 8}, "header"},
		{"labels magic", idxBytes(0x801, []uint32{1, 1, 1}, []byte{0}), "magic 0x00000801"},
		{"truncated pixels", idxBytes(0x803, []uint32{2, 2, 3}, pix[:11]), "2 x 2 x 3 pixels"},
		{"zero rows", idxBytes(0x803, []uint32{1, 0, 3}, nil), "implausible shape"},
		{"huge count", idxBytes(0x803, []uint32{1 << 30, 28, 28}, nil), "implausible shape"},
	}
	for _, tc := range tests {
		if _, err := ReadImages(bytes.NewReader(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadLabels(t *testing.T) {
	l, err := ReadLabels(bytes.NewReader(idxBytes(0x801, []uint32{3}, []byte{7, 0, 9})))
	if err != nil || !reflect.DeepEqual(l, []uint8{7, 0, 9}) {
		t.Fatalf("labels %v, %v", l, err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"images magic", idxBytes(0x803, []uint32{1}, []byte{1}), "magic 0x00000803"},
		{"truncated", idxBytes(0x801, []uint32{3}, []byte{1, 2}), "3 labels"},
		{"not a digit", idxBytes(0x801, []uint32{2}, []byte{1, 10}), "label 1 is 10"},
	}
	for _, tc := range tests {
		if _, err := ReadLabels(bytes.NewReader(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCaption(t *testing.T) {
	counts := map[string]int{}
	for i := range 8000 {
		c := Caption(7, i)
		if c != Caption(7, i) {
			t.Fatal("caption not deterministic")
		}
		if !strings.Contains(c, "seven") && !strings.Contains(c, "7") {
			t.Fatalf("caption %q does not name the digit", c)
		}
		counts[c]++
	}
	if len(counts) != len(CaptionTemplates) {
		t.Errorf("%d distinct captions, want one per template (%d)", len(counts), len(CaptionTemplates))
	}
	for c, n := range counts {
		if n < 800 || n > 1200 {
			t.Errorf("caption %q used %d times of 8000: templates not spread evenly", c, n)
		}
	}
	if got := Caption(3, 0); !strings.Contains(got, "three") && !strings.Contains(got, "3") {
		t.Errorf("Caption(3, 0) = %q", got)
	}
	// The template does not depend on the label, only on the index.
	for i := range 50 {
		a := strings.NewReplacer("zero", "X", "0", "X").Replace(Caption(0, i))
		b := strings.NewReplacer("nine", "X", "9", "X").Replace(Caption(9, i))
		if a != b {
			t.Errorf("index %d: %q vs %q", i, Caption(0, i), Caption(9, i))
		}
	}
}

// tinyMNIST writes idx files for 4 training images (labels 7, 0, 7, 3;
// gzipped) and 2 test images (labels 1, 9; plain), each 2 x 3 pixels whose
// first pixel is the image's index times 10.
func tinyMNIST(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	images := func(n int) []byte {
		pix := make([]byte, n*6)
		for i := range n {
			pix[i*6] = byte(10 * i)
			pix[i*6+5] = 255
		}
		return idxBytes(0x803, []uint32{uint32(n), 2, 3}, pix)
	}
	files := map[string][]byte{
		"train-images-idx3-ubyte.gz": gzipped(t, images(4)),
		"train-labels-idx1-ubyte.gz": gzipped(t, idxBytes(0x801, []uint32{4}, []byte{7, 0, 7, 3})),
		"t10k-images-idx3-ubyte":     images(2),
		"t10k-labels-idx1-ubyte":     idxBytes(0x801, []uint32{2}, []byte{1, 9}),
	}
	for name, b := range files {
		testfs.WriteFile(t, filepath.Join(dir, name), b)
	}
	return dir
}

func TestBuild(t *testing.T) {
	src := tinyMNIST(t)
	out := filepath.Join(t.TempDir(), "data", "mnist")
	sum, err := Build(context.Background(), Options{Src: src, Out: out, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Train != 4 || sum.Test != 2 || sum.Skipped {
		t.Errorf("summary %+v", sum)
	}

	// The training table reads with internal/data, paths relative to it.
	ds, err := data.ReadTable(filepath.Join(out, "train.csv"), data.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantPaths := []string{"train/seven/00000.png", "train/zero/00001.png", "train/seven/00002.png", "train/three/00003.png"}
	labels := []uint8{7, 0, 7, 3}
	if len(ds.Samples) != 4 {
		t.Fatalf("%d samples, want 4", len(ds.Samples))
	}
	for i, s := range ds.Samples {
		if s.Path != filepath.Join(out, wantPaths[i]) || s.Caption != Caption(labels[i], i) {
			t.Errorf("sample %d: %s %q, want %s %q", i, s.Path, s.Caption, wantPaths[i], Caption(labels[i], i))
		}
		checkDigitPNG(t, s.Path, byte(10*i))
	}

	// The test split is an image folder labelled by digit names.
	f, err := eval.ReadImageFolder(filepath.Join(out, "test"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Classes, []string{"nine", "one"}) || len(f.Paths) != 2 {
		t.Errorf("test split: classes %v, paths %v", f.Classes, f.Paths)
	}
	checkDigitPNG(t, filepath.Join(out, "test", "nine", "00001.png"), 10)
	if ds, err := data.ReadTable(filepath.Join(out, "test.csv"), data.TableOptions{}); err != nil || len(ds.Samples) != 2 {
		t.Errorf("test.csv: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("temporary folders left beside the export: %d entries", len(ents))
	}

	// Idempotent: a second run does nothing.
	stamp := func() int64 {
		st, err := os.Stat(filepath.Join(out, ManifestName))
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime().UnixNano()
	}
	before := stamp()
	sum, err = Build(context.Background(), Options{Src: src, Out: out})
	if err != nil || !sum.Skipped || sum.Train != 4 || stamp() != before {
		t.Errorf("second run: %+v, %v", sum, err)
	}
	// A different export in the way is an error, not overwritten.
	if _, err := Build(context.Background(), Options{Src: src, Out: out, Limit: 2}); err == nil || !strings.Contains(err.Error(), "holds another export") {
		t.Errorf("limit changed: error %v", err)
	}
}

func TestBuildLimitAndErrors(t *testing.T) {
	src := tinyMNIST(t)
	out := filepath.Join(t.TempDir(), "small")
	sum, err := Build(context.Background(), Options{Src: src, Out: out, Limit: 2})
	if err != nil || sum.Train != 2 || sum.Test != 2 {
		t.Fatalf("limit 2: %+v, %v", sum, err)
	}
	if _, err := os.Stat(filepath.Join(out, "train", "three")); err == nil {
		t.Error("an empty class folder was left")
	}

	busy := filepath.Join(t.TempDir(), "busy")
	os.MkdirAll(busy, 0o755)
	if _, err := Build(context.Background(), Options{Src: src, Out: busy}); err == nil || !strings.Contains(err.Error(), "not a complete MNIST export") {
		t.Errorf("existing folder: error %v", err)
	}
	missing := filepath.Join(t.TempDir(), "out")
	if _, err := Build(context.Background(), Options{Src: t.TempDir(), Out: missing}); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("no idx files: error %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("output created despite an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cancelled := filepath.Join(t.TempDir(), "x", "out")
	if _, err := Build(ctx, Options{Src: src, Out: cancelled}); err == nil {
		t.Error("cancelled build succeeded")
	}
	if ents, _ := os.ReadDir(filepath.Dir(cancelled)); len(ents) != 0 {
		t.Errorf("cancelled build left %d entries", len(ents))
	}
}

// checkDigitPNG decodes a PNG and checks it is a 3 x 2 gray image with the
// given first pixel and a white last pixel.
func checkDigitPNG(t *testing.T, path string, first byte) {
	t.Helper()
	img := testfs.ReadPNG(t, path)
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds().Dx() != 3 || g.Bounds().Dy() != 2 || g.Pix[0] != first || g.Pix[5] != 255 {
		t.Errorf("%s: %T %v", path, img, img.Bounds())
	}
}
