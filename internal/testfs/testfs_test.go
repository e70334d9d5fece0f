package testfs

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFilesAndReadPNG(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	WriteFiles(t, dir, map[string]string{
		"top.txt":         "a",
		"deep/er/b.txt":   "bc",
		"deep/er/img.png": b.String(),
	})
	for name, want := range map[string]string{"top.txt": "a", "deep/er/b.txt": "bc"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	if r := ReadPNG(t, filepath.Join(dir, "deep", "er", "img.png")).Bounds(); r.Dx() != 3 || r.Dy() != 2 {
		t.Errorf("PNG bounds %v, want 3x2", r)
	}
}
