// Package safetensors reads and writes the safetensors format: an 8-byte
// little-endian header length N, N bytes of JSON header mapping tensor names
// to {dtype, shape, data_offsets} (plus optional "__metadata__" strings),
// then the little-endian tensor bytes.
//
// The reader validates the whole header before touching any tensor data, so
// a corrupt or hostile file yields an error naming the file and the tensor,
// never a panic or an allocation larger than the file. Tensor bytes are read
// on demand with ReadAt in bounded chunks, so loading a large checkpoint
// needs memory only for the decoded result.
package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
)

// File is an open safetensors file. Its methods are safe for concurrent use.
type File struct {
	name     string // for error messages
	r        io.ReaderAt
	closer   io.Closer // nil when the caller owns r
	dataAt   int64     // file offset of the data region
	tensors  map[string]entry
	names    []string
	metadata map[string]string
}

// Open opens and validates the safetensors file at path. Close releases it.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	sf, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// NewReader validates the safetensors data of the given size held by r; name
// is used in error messages. The caller keeps ownership of r.
func NewReader(r io.ReaderAt, size int64, name string) (*File, error) {
	sf := &File{name: name, r: r}
	if size < 8 {
		return nil, fmt.Errorf("safetensors %s: file is %d bytes, too short for the 8-byte header length", name, size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header length: %w", name, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > MaxHeaderSize:
		return nil, fmt.Errorf("safetensors %s: header length %d exceeds the %d-byte limit", name, n, MaxHeaderSize)
	case n > uint64(size-8):
		return nil, fmt.Errorf("safetensors %s: header length %d runs past the end of the %d-byte file", name, n, size)
	}
	hb := make([]byte, n)
	if _, err := r.ReadAt(hb, 8); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header: %w", name, err)
	}
	sf.dataAt = 8 + int64(n)
	h, err := parseHeader(hb, size-sf.dataAt)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", name, err)
	}
	sf.tensors, sf.metadata = h.tensors, h.metadata
	for name := range h.tensors {
		sf.names = append(sf.names, name)
	}
	sort.Strings(sf.names)
	return sf, nil
}

// Close closes the underlying file if Open opened it.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Path is the name the file was opened with.
func (f *File) Path() string { return f.name }

// Names lists the tensor names in sorted order.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info returns a tensor's dtype and shape (a scalar has an empty shape).
func (f *File) Info(name string) (dtype string, shape []int, ok bool) {
	e, ok := f.tensors[name]
	if !ok {
		return "", nil, false
	}
	return e.dtype, slices.Clone(e.shape), true
}

// Metadata returns a copy of the "__metadata__" strings (empty if none).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// lookup returns the entry of name or an error naming the file and tensor.
func (f *File) lookup(name string) (entry, error) {
	e, ok := f.tensors[name]
	if !ok {
		return entry{}, fmt.Errorf("safetensors %s: no tensor %q", f.name, name)
	}
	return e, nil
}

// chunkBytes bounds the scratch buffer used to decode tensor data; it is a
// multiple of every element size.
const chunkBytes = 1 << 20

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkBytes); return &b }}

// chunks reads the bytes of e in order and hands them to fn in pieces that
// hold whole elements; first is the index of the piece's first element.
func (f *File) chunks(name string, e entry, fn func(first int, b []byte)) error {
	size := int64(dtypeSizes[e.dtype])
	// One pooled chunk: a fresh buffer per tensor would leave ~90 MiB of
	// garbage over a half-precision ViT-B/32 load, which the GC (whose
	// target is twice the live parameter arena) does not collect in time.
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := (*bp)[:min(chunkBytes, e.end-e.begin)]
	for off := e.begin; off < e.end; {
		b := buf[:min(int64(len(buf)), e.end-off)]
		if err := f.readAt(name, b, off); err != nil {
			return err
		}
		fn(int((off-e.begin)/size), b)
		off += int64(len(b))
	}
	return nil
}

// readAt fills b from offset off of the data region.
func (f *File) readAt(name string, b []byte, off int64) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := f.r.ReadAt(b, f.dataAt+off); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the file shrank after it was opened
		}
		return fmt.Errorf("safetensors %s: reading tensor %q: %w", f.name, name, err)
	}
	return nil
}

// Bytes returns the raw little-endian bytes of a tensor.
func (f *File) Bytes(name string) ([]byte, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	out := make([]byte, e.end-e.begin)
	if err := f.readAt(name, out, e.begin); err != nil {
		return nil, err
	}
	return out, nil
}
