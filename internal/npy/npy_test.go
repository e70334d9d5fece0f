package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHeaderMatchesNumpy(t *testing.T) {
	// Expected preambles as numpy >= 1.24 np.save writes them: the dict, 21
	// digits of growth room for the first axis, spaces to 64 bytes, newline.
	tests := []struct {
		shape []int
		dict  string
		total int
	}{
		{[]int{8, 32}, "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 32), }" + strings.Repeat(" ", 20), 128},
		{[]int{0, 512}, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 512), }" + strings.Repeat(" ", 20), 128},
		{[]int{123456, 768}, "{'descr': '<f4', 'fortran_order': False, 'shape': (123456, 768), }" + strings.Repeat(" ", 15), 128},
		{[]int{3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + strings.Repeat(" ", 20), 128},
		{[]int{}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 128},
	}
	for _, tc := range tests {
		h, err := Header(tc.shape...)
		if err != nil {
			t.Fatalf("%v: %v", tc.shape, err)
		}
		if len(h) != tc.total || len(h)%64 != 0 {
			t.Errorf("%v: header is %d bytes, want %d", tc.shape, len(h), tc.total)
		}
		if !bytes.HasPrefix(h, []byte("\x93NUMPY\x01\x00")) {
			t.Errorf("%v: bad magic/version % x", tc.shape, h[:8])
		}
		if got := int(h[8]) | int(h[9])<<8; got != tc.total-10 {
			t.Errorf("%v: header length field %d, want %d", tc.shape, got, tc.total-10)
		}
		body := string(h[10:])
		if !strings.HasPrefix(body, tc.dict) || strings.TrimLeft(body[len(tc.dict):], " ") != "\n" {
			t.Errorf("%v: header %q, want %q + spaces + newline", tc.shape, body, tc.dict)
		}
	}
	// The 8x32 preamble byte for byte (length field 'v' = 118, as numpy).
	h, _ := Header(8, 32)
	if string(h[8:10]) != "v\x00" {
		t.Errorf("length bytes %q, want \"v\\x00\"", h[8:10])
	}
	if _, err := Header(-1, 2); err == nil {
		t.Error("negative dimension accepted")
	}
}

func TestWriteRead(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		data  []float32
	}{
		{"matrix", []int{2, 3}, []float32{1, -2, 3.5, 0, 1e-30, -1e30}},
		{"empty", []int{0, 4}, nil},
		{"vector", []int{2}, []float32{7, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.data, tc.shape...); err != nil {
				t.Fatal(err)
			}
			a, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, tc.shape) || len(a.Data) != len(tc.data) {
				t.Fatalf("got shape %v with %d values, want %v", a.Shape, len(a.Data), tc.shape)
			}
			for i := range tc.data {
				if a.Data[i] != tc.data[i] {
					t.Errorf("value %d: got %g want %g", i, a.Data[i], tc.data[i])
				}
			}
		})
	}
	if err := Write(&bytes.Buffer{}, []float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("Write accepted 3 values for shape [2 2]")
	}
}

func TestWriterStreamsSameBytesAsWrite(t *testing.T) {
	data := make([]float32, 5*3)
	for i := range data {
		data[i] = float32(i) * 0.25
	}
	var want bytes.Buffer
	if err := Write(&want, data, 5, 3); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range [][]float32{data[:6], data[6:6], data[6:15]} {
		if err := w.WriteRows(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteRows(data[:2]); err == nil {
		t.Error("WriteRows accepted a partial row")
	}
	if w.Rows() != 5 {
		t.Errorf("Rows() = %d, want 5", w.Rows())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("streamed file differs from Write:\n got %q\nwant %q", got[:128], want.Bytes()[:128])
	}
	if err := w.WriteRows(data[:3]); err == nil {
		t.Error("WriteRows after Close succeeded")
	}
	if _, err := NewWriter(f, 0); err == nil {
		t.Error("NewWriter accepted 0 columns")
	}
}

func TestReadErrors(t *testing.T) {
	good := func() []byte {
		var b bytes.Buffer
		_ = Write(&b, []float32{1, 2}, 1, 2)
		return b.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not npy", []byte("PK\x03\x04 hello"), "not a .npy"},
		{"short", []byte("\x93NU"), "magic"},
		{"truncated data", good()[:len(good())-1], "reading 2 values"},
		{"trailing", append(good(), 0), "trailing"},
		{"float64", bytes.Replace(good(), []byte("<f4"), []byte("<f8"), 1), "'<f4'"},
		{"fortran", bytes.Replace(good(), []byte("False"), []byte("True "), 1), "fortran_order"},
		{"version", bytes.Replace(good(), []byte("NUMPY\x01"), []byte("NUMPY\x09"), 1), "version 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.npy")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}
