package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

var le = binary.LittleEndian

// nativeLittleEndian is true on hosts that store numbers as the format does
// (every platform Go supports except a few big-endian ones).
var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Float32 reads a floating-point tensor as float32: F16 and BF16 are
// widened exactly, F64 is rounded to nearest. It returns the data and shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, e.numel)
	if err := f.ReadFloat32Into(name, out); err != nil {
		return nil, nil, err
	}
	return out, slices.Clone(e.shape), nil
}

// ReadFloat32Into decodes a floating-point tensor into dst, which must hold
// exactly its number of elements. It lets a caller place a tensor inside a
// larger buffer (for example q, k and v side by side) without a copy.
func (f *File) ReadFloat32Into(name string, dst []float32) error {
	e, err := f.lookup(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != e.numel {
		return fmt.Errorf("safetensors %s: tensor %q has %d elements, destination holds %d", f.name, name, e.numel, len(dst))
	}
	if e.dtype == F32 && nativeLittleEndian && len(dst) > 0 {
		// The file's bytes are already dst's in-memory representation: read
		// them straight into place, with no scratch buffer and no decoding.
		return f.readAt(name, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), e.begin)
	}
	var decode func(d []float32, b []byte)
	switch e.dtype {
	case F32:
		decode = func(d []float32, b []byte) {
			for i := range d {
				d[i] = math.Float32frombits(le.Uint32(b[4*i:]))
			}
		}
	case F16:
		decode = func(d []float32, b []byte) {
			for i := range d {
				d[i] = Float16ToFloat32(le.Uint16(b[2*i:]))
			}
		}
	case BF16:
		decode = func(d []float32, b []byte) {
			for i := range d {
				d[i] = BFloat16ToFloat32(le.Uint16(b[2*i:]))
			}
		}
	case F64:
		decode = func(d []float32, b []byte) {
			for i := range d {
				d[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
			}
		}
	default:
		return fmt.Errorf("safetensors %s: tensor %q is %s, not a floating-point dtype", f.name, name, e.dtype)
	}
	size := dtypeSizes[e.dtype]
	return f.chunks(name, e, func(first int, b []byte) {
		decode(dst[first:first+len(b)/size], b)
	})
}

// ints decodes an integer (or BOOL) tensor element by element through put,
// which receives each value widened to int64 (U64 values above MaxInt64 are
// reported as an error).
func (f *File) ints(name string, e entry, put func(i int, v int64) error) error {
	var get func(b []byte) (int64, bool)
	switch e.dtype {
	case I64:
		get = func(b []byte) (int64, bool) { return int64(le.Uint64(b)), true }
	case I32:
		get = func(b []byte) (int64, bool) { return int64(int32(le.Uint32(b))), true }
	case I16:
		get = func(b []byte) (int64, bool) { return int64(int16(le.Uint16(b))), true }
	case I8:
		get = func(b []byte) (int64, bool) { return int64(int8(b[0])), true }
	case U64:
		get = func(b []byte) (int64, bool) { v := le.Uint64(b); return int64(v), v <= math.MaxInt64 }
	case U32:
		get = func(b []byte) (int64, bool) { return int64(le.Uint32(b)), true }
	case U16:
		get = func(b []byte) (int64, bool) { return int64(le.Uint16(b)), true }
	case U8, BOOL:
		get = func(b []byte) (int64, bool) { return int64(b[0]), true }
	default:
		return fmt.Errorf("safetensors %s: tensor %q is %s, not an integer dtype", f.name, name, e.dtype)
	}
	size := dtypeSizes[e.dtype]
	var bad error
	err := f.chunks(name, e, func(first int, b []byte) {
		for i := 0; bad == nil && i < len(b)/size; i++ {
			v, ok := get(b[i*size:])
			if !ok {
				bad = fmt.Errorf("safetensors %s: tensor %q element %d does not fit in int64", f.name, name, first+i)
			} else if err := put(first+i, v); err != nil {
				bad = fmt.Errorf("safetensors %s: tensor %q element %d: %w", f.name, name, first+i, err)
			}
		}
	})
	if err != nil {
		return err
	}
	return bad
}

// Int64 reads any integer or BOOL tensor as int64.
func (f *File) Int64(name string) ([]int64, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int64, e.numel)
	err = f.ints(name, e, func(i int, v int64) error { out[i] = v; return nil })
	if err != nil {
		return nil, nil, err
	}
	return out, slices.Clone(e.shape), nil
}

// Int32 reads any integer or BOOL tensor as int32; a value out of int32's
// range is an error naming the element.
func (f *File) Int32(name string) ([]int32, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int32, e.numel)
	err = f.ints(name, e, func(i int, v int64) error {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return fmt.Errorf("value %d does not fit in int32", v)
		}
		out[i] = int32(v)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, slices.Clone(e.shape), nil
}

// Uint8 reads a U8 or BOOL tensor.
func (f *File) Uint8(name string) ([]uint8, []int, error) {
	e, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if e.dtype != U8 && e.dtype != BOOL {
		return nil, nil, fmt.Errorf("safetensors %s: tensor %q is %s, not U8 or BOOL", f.name, name, e.dtype)
	}
	out, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	return out, slices.Clone(e.shape), nil
}
