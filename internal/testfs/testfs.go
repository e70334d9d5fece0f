// Package testfs holds the file helpers that several packages' tests share:
// writing fixture files and trees, and decoding PNG outputs. It is imported
// by _test.go files only; every failure stops the test (t.Fatal).
package testfs

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes data to path, creating its folder if needed.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteFiles creates files (name -> content) under dir; a name is a path
// relative to dir, with "/" separating folders.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(content))
	}
}

// ReadPNG decodes the PNG file at path.
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
