package data

import (
	"archive/tar"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/testfs"
)

// testImage is a small RGB image whose pixels depend on seed, so that
// samples are told apart by their pixels.
func testImage(w, h, seed int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x*37 + seed*11), uint8(y*53 + seed*29), uint8((x + y + seed) * 17), 255})
		}
	}
	return m
}

func pngBytes(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h, seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h, seed), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func webpBytes(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tiny.webp"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantError checks a call's error against want, a substring it must
// contain, or no error for want == "". It reports whether an error was
// wanted: the case has nothing more to check then.
func wantError(t testing.TB, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	return true
}

// member is one tar entry; a name ending in "/" is a directory.
type member struct {
	name string
	data []byte
}

func tarBytes(t testing.TB, members []member) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(m.name, "/") {
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imageTable writes n PNG images (seed = row) and a CSV table of them in
// dir; rows listed in bad get a file that is not an image. It returns the
// table's path.
func imageTable(t testing.TB, dir string, n, size int, bad ...int) string {
	t.Helper()
	isBad := map[int]bool{}
	for _, i := range bad {
		isBad[i] = true
	}
	var csv strings.Builder
	csv.WriteString("filepath,title\n")
	for i := range n {
		name := filepath.Join("img", "r"+strconv.Itoa(i)+".png")
		data := pngBytes(t, size+i%3, size+(i*7)%5, i)
		if isBad[i] {
			data = []byte("this is not an image")
		}
		testfs.WriteFile(t, filepath.Join(dir, name), data)
		csv.WriteString(name + ",caption " + strconv.Itoa(i) + "\n")
	}
	path := filepath.Join(dir, "data.csv")
	testfs.WriteFile(t, path, []byte(csv.String()))
	return path
}
