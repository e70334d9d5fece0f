// Package npy writes and reads float32 matrices in NumPy's .npy format
// (version 1.0), byte for byte as numpy.save writes them, so numpy.load reads
// what this package writes.
//
// The header follows numpy's own layout: the dict
// "{'descr': '<f4', 'fortran_order': False, 'shape': (N, E), }", then spaces
// so that the first axis could grow to 21 digits (numpy reserves this room so
// a header can be rewritten in place when rows are appended), then spaces up
// to a multiple of 64 bytes and a newline. Writer relies on that reserved
// room to stream rows whose final count is unknown when the header is first
// written.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const (
	magic = "\x93NUMPY"
	// align is numpy's ARRAY_ALIGN: the data starts at a multiple of it.
	align = 64
	// growthDigits is numpy's GROWTH_AXIS_MAX_DIGITS.
	growthDigits = 21
	// prefixLen is the magic string, two version bytes and the uint16
	// header length of format version 1.0.
	prefixLen = len(magic) + 2 + 2
)

// Header returns the complete .npy v1.0 preamble (magic, version, length and
// padded dict) for a little-endian float32 C-order array of the given shape.
func Header(shape ...int) ([]byte, error) {
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + pyTuple(shape) + ", }"
	if len(shape) > 0 {
		dict += strings.Repeat(" ", max(0, growthDigits-len(strconv.Itoa(shape[0]))))
	}
	// numpy: hlen counts the final newline; padlen is 1..64, never 0.
	hlen := len(dict) + 1
	padlen := align - (prefixLen+hlen)%align
	total := hlen + padlen
	if total > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes does not fit format 1.0", total)
	}
	b := make([]byte, 0, prefixLen+total)
	b = append(b, magic...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(total))
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", padlen)...)
	b = append(b, '\n')
	return b, nil
}

// pyTuple formats a shape as Python's repr of a tuple: (), (3,), (3, 4).
func pyTuple(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Write writes data as a float32 array of the given shape.
func Write(w io.Writer, data []float32, shape ...int) error {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: %d values for shape %v", len(data), shape)
	}
	h, err := Header(shape...)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(h); err != nil {
		return err
	}
	if err := writeFloats(bw, data); err != nil {
		return err
	}
	return bw.Flush()
}

func writeFloats(w io.Writer, data []float32) error {
	var buf [4096]byte
	for len(data) > 0 {
		k := min(len(data), len(buf)/4)
		for i, v := range data[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// Writer streams the rows of a float32 [N, cols] matrix whose N is known only
// at the end: it writes a header for zero rows, appends rows, and Close
// rewrites the header in place with the final count.
type Writer struct {
	ws    io.WriteSeeker
	bw    *bufio.Writer
	start int64
	cols  int
	rows  int
	hlen  int
	err   error
}

// NewWriter starts a [?, cols] array at the current position of ws.
func NewWriter(ws io.WriteSeeker, cols int) (*Writer, error) {
	if cols <= 0 {
		return nil, fmt.Errorf("npy: need a positive column count, got %d", cols)
	}
	start, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	h, err := Header(0, cols)
	if err != nil {
		return nil, err
	}
	w := &Writer{ws: ws, bw: bufio.NewWriterSize(ws, 1<<16), start: start, cols: cols, hlen: len(h)}
	if _, err := w.bw.Write(h); err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return w, nil
}

// Rows is the number of rows written so far.
func (w *Writer) Rows() int { return w.rows }

// WriteRows appends whole rows (len(data) a multiple of cols).
func (w *Writer) WriteRows(data []float32) error {
	if w.err != nil {
		return w.err
	}
	if len(data)%w.cols != 0 {
		return fmt.Errorf("npy: %d values is not a whole number of %d-wide rows", len(data), w.cols)
	}
	if err := writeFloats(w.bw, data); err != nil {
		w.err = fmt.Errorf("npy: %w", err)
		return w.err
	}
	w.rows += len(data) / w.cols
	return nil
}

// Close flushes the rows and rewrites the header with the final row count,
// leaving ws positioned at the end of the data. It does not close ws.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	h, err := Header(w.rows, w.cols)
	if err != nil {
		return err
	}
	// numpy reserves room for a 21-digit first axis, so the header never
	// changes length; check anyway rather than corrupt the data.
	if len(h) != w.hlen {
		return fmt.Errorf("npy: header grew from %d to %d bytes", w.hlen, len(h))
	}
	if _, err := w.ws.Seek(w.start, io.SeekStart); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if _, err := w.ws.Write(h); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if _, err := w.ws.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	w.err = errors.New("npy: writer closed")
	return nil
}
