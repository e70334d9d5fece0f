package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Array is a float32 array read from a .npy file.
type Array struct {
	Shape []int
	Data  []float32
}

var (
	descrRe   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	fortranRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read reads a little-endian float32, C-order .npy array (versions 1.0 to
// 3.0). It exists for tests and tools; other dtypes are an error.
func Read(r io.Reader) (Array, error) {
	br := bufio.NewReader(r)
	pre := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(br, pre); err != nil {
		return Array{}, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:len(magic)]) != magic {
		return Array{}, fmt.Errorf("npy: not a .npy file (magic %q)", pre[:len(magic)])
	}
	var hlen int
	switch major := pre[len(magic)]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return Array{}, fmt.Errorf("npy: unsupported format version %d", major)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return Array{}, fmt.Errorf("npy: reading header: %w", err)
	}
	h := string(hdr)
	m := descrRe.FindStringSubmatch(h)
	if m == nil || m[1] != "<f4" {
		return Array{}, fmt.Errorf("npy: want dtype '<f4', header %q", strings.TrimSpace(h))
	}
	if m := fortranRe.FindStringSubmatch(h); m == nil || m[1] != "False" {
		return Array{}, fmt.Errorf("npy: want fortran_order False, header %q", strings.TrimSpace(h))
	}
	m = shapeRe.FindStringSubmatch(h)
	if m == nil {
		return Array{}, fmt.Errorf("npy: no shape in header %q", strings.TrimSpace(h))
	}
	var a Array
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return Array{}, fmt.Errorf("npy: bad shape %q", m[1])
		}
		a.Shape = append(a.Shape, d)
		n *= d
	}
	raw := make([]byte, 4*n)
	if _, err := io.ReadFull(br, raw); err != nil {
		return Array{}, fmt.Errorf("npy: reading %d values of shape %v: %w", n, a.Shape, err)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		return Array{}, fmt.Errorf("npy: trailing bytes after %d values of shape %v", n, a.Shape)
	}
	a.Data = make([]float32, n)
	for i := range a.Data {
		a.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return a, nil
}

// ReadFile is Read on a file.
func ReadFile(path string) (Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return Array{}, err
	}
	defer f.Close()
	a, err := Read(f)
	if err != nil {
		return Array{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
