package safetensors

import (
	"fmt"
	"io"
	"math"
)

// encoder returns a function writing data as dtype in little-endian order
// and the number of elements data holds (-1 when it streams and the count is
// checked only while writing).
func encoder(dtype string, data any) (func(io.Writer) error, int64, error) {
	size := dtypeSizes[dtype]
	mismatch := func() (func(io.Writer) error, int64, error) {
		return nil, 0, fmt.Errorf("cannot write %T as %s", data, dtype)
	}
	switch d := data.(type) {
	case []byte:
		if len(d)%size != 0 {
			return nil, 0, fmt.Errorf("%d raw bytes are not a whole number of %s elements", len(d), dtype)
		}
		return func(w io.Writer) error { _, err := w.Write(d); return err }, int64(len(d) / size), nil
	case func(io.Writer) error:
		return d, -1, nil
	case []float32:
		switch dtype {
		case F32:
			return elems(d, 4, func(b []byte, v float32) { le.PutUint32(b, math.Float32bits(v)) }), int64(len(d)), nil
		case F16:
			return elems(d, 2, func(b []byte, v float32) { le.PutUint16(b, Float32ToFloat16(v)) }), int64(len(d)), nil
		case BF16:
			return elems(d, 2, func(b []byte, v float32) { le.PutUint16(b, Float32ToBFloat16(v)) }), int64(len(d)), nil
		case F64:
			return elems(d, 8, func(b []byte, v float32) { le.PutUint64(b, math.Float64bits(float64(v))) }), int64(len(d)), nil
		}
	case []float64:
		if dtype == F64 {
			return elems(d, 8, func(b []byte, v float64) { le.PutUint64(b, math.Float64bits(v)) }), int64(len(d)), nil
		}
	case []uint16:
		if dtype == F16 || dtype == BF16 || dtype == U16 {
			return elems(d, 2, func(b []byte, v uint16) { le.PutUint16(b, v) }), int64(len(d)), nil
		}
	case []int64:
		if dtype == I64 {
			return elems(d, 8, func(b []byte, v int64) { le.PutUint64(b, uint64(v)) }), int64(len(d)), nil
		}
	case []int32:
		if dtype == I32 {
			return elems(d, 4, func(b []byte, v int32) { le.PutUint32(b, uint32(v)) }), int64(len(d)), nil
		}
	case []int16:
		if dtype == I16 {
			return elems(d, 2, func(b []byte, v int16) { le.PutUint16(b, uint16(v)) }), int64(len(d)), nil
		}
	case []int8:
		if dtype == I8 {
			return elems(d, 1, func(b []byte, v int8) { b[0] = byte(v) }), int64(len(d)), nil
		}
	case []uint64:
		if dtype == U64 {
			return elems(d, 8, func(b []byte, v uint64) { le.PutUint64(b, v) }), int64(len(d)), nil
		}
	case []uint32:
		if dtype == U32 {
			return elems(d, 4, func(b []byte, v uint32) { le.PutUint32(b, v) }), int64(len(d)), nil
		}
	case []bool:
		if dtype == BOOL {
			return elems(d, 1, func(b []byte, v bool) {
				b[0] = 0
				if v {
					b[0] = 1
				}
			}), int64(len(d)), nil
		}
	}
	return mismatch()
}

// elems returns a writer of xs through a bounded scratch buffer, so that
// encoding a large tensor never holds a second full copy of it.
func elems[T any](xs []T, size int, put func(b []byte, v T)) func(io.Writer) error {
	return func(w io.Writer) error {
		buf := make([]byte, min(chunkBytes, size*len(xs)))
		for len(xs) > 0 {
			n := min(len(xs), len(buf)/size)
			for i, v := range xs[:n] {
				put(buf[i*size:], v)
			}
			if _, err := w.Write(buf[:n*size]); err != nil {
				return err
			}
			xs = xs[n:]
		}
		return nil
	}
}
