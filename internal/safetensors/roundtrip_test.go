package safetensors

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
)

// allDTypes holds one tensor of every dtype, with awkward values.
func allDTypes() []Tensor {
	return []Tensor{
		{"f64", F64, []int{2, 2}, []float64{1.5, -2, math.Inf(1), 1e-300}},
		{"f32", F32, []int{3}, []float32{1, float32(math.Inf(-1)), -0.25}},
		{"f32 from f16", F16, []int{2, 2}, []float32{1, 65504, 0x1p-24, -3}},
		{"f16 raw", F16, []int{2}, []uint16{0x3c00, 0x0001}},
		{"bf16", BF16, []int{3}, []float32{1, -2.5, 3e38}},
		{"bf16 raw", BF16, []int{1}, []uint16{0x3f80}},
		{"f64 from f32", F64, []int{1}, []float32{0.1}},
		{"i64", I64, []int{2}, []int64{math.MinInt64, math.MaxInt64}},
		{"i32", I32, []int{2, 1}, []int32{-7, 49407}},
		{"i16", I16, []int{2}, []int16{-300, 300}},
		{"i8", I8, []int{2}, []int8{-128, 127}},
		{"u64", U64, []int{1}, []uint64{12}},
		{"u32", U32, []int{1}, []uint32{math.MaxUint32}},
		{"u16", U16, []int{1}, []uint16{65535}},
		{"u8", U8, []int{3}, []uint8{0, 128, 255}},
		{"bool", BOOL, []int{2}, []bool{true, false}},
		{"scalar", F32, nil, []float32{2.6592}},
		{"empty", F32, []int{0, 5}, []float32{}},
		{"raw i32", I32, []int{1}, []byte{1, 0, 0, 0}},
	}
}

func writeTemp(t *testing.T, tensors []Tensor, meta map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := Write(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return path
}

func openTemp(t *testing.T, path string) *File {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestRoundTripEveryDType(t *testing.T) {
	meta := map[string]string{"format": "pt", "note": `quotes " and \ survive`}
	f := openTemp(t, writeTemp(t, allDTypes(), meta))
	if !reflect.DeepEqual(f.Metadata(), meta) {
		t.Errorf("metadata %v, want %v", f.Metadata(), meta)
	}
	var names []string
	for _, tn := range allDTypes() {
		names = append(names, tn.Name)
		dtype, shape, ok := f.Info(tn.Name)
		want := tn.Shape
		if want == nil {
			want = []int{}
		}
		if !ok || dtype != tn.DType || !reflect.DeepEqual(shape, want) {
			t.Errorf("%s: Info = %s %v %v, want %s %v", tn.Name, dtype, shape, ok, tn.DType, want)
		}
	}
	slices.Sort(names)
	if !reflect.DeepEqual(f.Names(), names) {
		t.Errorf("Names = %v, want %v", f.Names(), names)
	}

	floats := map[string][]float32{
		"f64":          {1.5, -2, float32(math.Inf(1)), 0}, // 1e-300 underflows in float32
		"f32":          {1, float32(math.Inf(-1)), -0.25},
		"f32 from f16": {1, 65504, 0x1p-24, -3},
		"f16 raw":      {1, 0x1p-24},
		"bf16":         {1, -2.5, BFloat16ToFloat32(Float32ToBFloat16(3e38))},
		"bf16 raw":     {1},
		"f64 from f32": {0.1},
		"scalar":       {2.6592},
		"empty":        {},
	}
	for name, want := range floats {
		got, _, err := f.Float32(name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Float32(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	ints := map[string][]int64{
		"i64": {math.MinInt64, math.MaxInt64}, "i32": {-7, 49407}, "i16": {-300, 300}, "i8": {-128, 127},
		"u64": {12}, "u32": {math.MaxUint32}, "u16": {65535}, "u8": {0, 128, 255}, "bool": {1, 0}, "raw i32": {1},
	}
	for name, want := range ints {
		got, _, err := f.Int64(name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Int64(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if got, shape, err := f.Int32("i32"); err != nil || !reflect.DeepEqual(got, []int32{-7, 49407}) || !reflect.DeepEqual(shape, []int{2, 1}) {
		t.Errorf("Int32(i32) = %v %v %v", got, shape, err)
	}
	if got, _, err := f.Int32("i8"); err != nil || !reflect.DeepEqual(got, []int32{-128, 127}) {
		t.Errorf("Int32(i8) = %v %v", got, err)
	}
	if got, _, err := f.Uint8("u8"); err != nil || !reflect.DeepEqual(got, []uint8{0, 128, 255}) {
		t.Errorf("Uint8(u8) = %v %v", got, err)
	}
	if got, _, err := f.Uint8("bool"); err != nil || !reflect.DeepEqual(got, []uint8{1, 0}) {
		t.Errorf("Uint8(bool) = %v %v", got, err)
	}
	if b, err := f.Bytes("f16 raw"); err != nil || !bytes.Equal(b, []byte{0x00, 0x3c, 0x01, 0x00}) {
		t.Errorf("Bytes(f16 raw) = %x %v", b, err)
	}
}

// TestLayout checks the on-disk layout: the header is padded with spaces to
// a multiple of 8, tensors are ordered by element size then name, contiguous
// and aligned, and the bytes do not depend on the order of the input.
func TestLayout(t *testing.T) {
	path := writeTemp(t, allDTypes(), map[string]string{"format": "pt"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int(le.Uint64(b))
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not a multiple of 8", 8+n)
	}
	if hdr := string(b[8 : 8+n]); strings.TrimRight(hdr, " ") != strings.TrimSpace(hdr) || !strings.HasPrefix(hdr, `{"__metadata__":{"format":"pt"}`) {
		t.Errorf("header %q", hdr)
	}
	f := openTemp(t, path)
	type placed struct {
		name       string
		size       int
		begin, end int64
	}
	var ps []placed
	for name, e := range f.tensors {
		if e.end > e.begin { // empty tensors take no room, so have no place
			ps = append(ps, placed{name, dtypeSizes[e.dtype], e.begin, e.end})
		}
	}
	slices.SortFunc(ps, func(a, b placed) int { return cmp.Compare(a.begin, b.begin) })
	var off int64
	for i, p := range ps {
		if p.begin != off {
			t.Errorf("%s starts at %d, want %d (no gaps)", p.name, p.begin, off)
		}
		if p.begin%int64(p.size) != 0 {
			t.Errorf("%s at %d is not aligned to %d", p.name, p.begin, p.size)
		}
		if i > 0 && cmp.Or(cmp.Compare(p.size, ps[i-1].size), strings.Compare(ps[i-1].name, p.name)) > 0 {
			t.Errorf("%s follows %s: not ordered by descending size then name", p.name, ps[i-1].name)
		}
		off = p.end
	}
	if off != int64(len(b)-8-n) {
		t.Errorf("tensors end at %d, data region is %d bytes", off, len(b)-8-n)
	}

	rev := allDTypes()
	slices.Reverse(rev)
	b2, err := os.ReadFile(writeTemp(t, rev, map[string]string{"format": "pt"}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Error("the bytes depend on the order of the input tensors")
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := []Tensor{{"a", F32, []int{1}, []float32{1}}}
	if err := Write(path, old, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	failing := []Tensor{{"b", F32, []int{4}, func(w io.Writer) error {
		w.Write(make([]byte, 8))
		return errors.New("device lost")
	}}}
	err := Write(path, failing, nil)
	if err == nil || !strings.Contains(err.Error(), "device lost") || !strings.Contains(err.Error(), `"b"`) {
		t.Fatalf("Write with a failing stream: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestWriteStreaming(t *testing.T) {
	want := []float32{1, 2, 3}
	path := writeTemp(t, []Tensor{{"s", F32, []int{3}, func(w io.Writer) error {
		for _, v := range want {
			var b [4]byte
			le.PutUint32(b[:], math.Float32bits(v))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
		return nil
	}}}, nil)
	got, _, err := openTemp(t, path).Float32("s")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("streamed tensor = %v, %v", got, err)
	}
}

func TestWriteRejects(t *testing.T) {
	short := func(w io.Writer) error { _, err := w.Write(make([]byte, 4)); return err }
	long := func(w io.Writer) error { _, err := w.Write(make([]byte, 12)); return err }
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"empty name", []Tensor{{"", F32, []int{1}, []float32{1}}}, "empty name"},
		{"reserved name", []Tensor{{"__metadata__", F32, []int{1}, []float32{1}}}, "reserved"},
		{"duplicate", []Tensor{{"a", F32, []int{1}, []float32{1}}, {"a", F32, []int{1}, []float32{1}}}, `"a" appears twice`},
		{"unknown dtype", []Tensor{{"a", "F8", []int{1}, []float32{1}}}, `unsupported dtype "F8"`},
		{"negative shape", []Tensor{{"a", F32, []int{-1}, []float32{1}}}, "negative dimension"},
		{"shape mismatch", []Tensor{{"a", F32, []int{2, 2}, []float32{1}}}, "holds 4 elements, data has 1"},
		{"type mismatch", []Tensor{{"a", I32, []int{1}, []float32{1}}}, "cannot write []float32 as I32"},
		{"ragged raw bytes", []Tensor{{"a", F32, []int{1}, []byte{1, 2, 3}}}, "not a whole number"},
		{"stream too short", []Tensor{{"a", F32, []int{2}, short}}, "wrote 4 bytes, want 8"},
		{"stream too long", []Tensor{{"a", F32, []int{2}, long}}, "more than the tensor's 8 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			err := Write(path, c.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, path, c.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("a rejected write left a file")
			}
		})
	}
}

func TestAccessorErrors(t *testing.T) {
	f := openTemp(t, writeTemp(t, allDTypes(), nil))
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"missing", func() error { _, _, err := f.Float32("nope"); return err }, `no tensor "nope"`},
		{"float of int", func() error { _, _, err := f.Float32("i32"); return err }, `"i32" is I32, not a floating-point dtype`},
		{"int of float", func() error { _, _, err := f.Int64("f32"); return err }, `"f32" is F32, not an integer dtype`},
		{"int32 overflow", func() error { _, _, err := f.Int32("i64"); return err }, `"i64" element 0: value -9223372036854775808 does not fit in int32`},
		{"uint8 of i8", func() error { _, _, err := f.Uint8("i8"); return err }, `"i8" is I8, not U8 or BOOL`},
		{"wrong destination", func() error { return f.ReadFloat32Into("f32", make([]float32, 2)) }, "has 3 elements, destination holds 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f.Path()) {
				t.Errorf("error %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}

// TestTruncatedAfterOpen reads from data shorter than the size it claimed:
// the header validates, reading a tensor reports an error.
func TestTruncatedAfterOpen(t *testing.T) {
	b, err := os.ReadFile(writeTemp(t, []Tensor{{"a", F32, []int{1000}, make([]float32, 1000)}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewReader(bytes.NewReader(b[:len(b)-10]), int64(len(b)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Float32("a"); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("reading a truncated tensor: %v", err)
	}
	if _, err := f.Bytes("a"); err == nil {
		t.Error("Bytes of a truncated tensor succeeded")
	}
}

// TestGoldenFile reads a file written by the Python reference tools.
func TestGoldenFile(t *testing.T) {
	f := openTemp(t, golden.Path(t, "tiny-vit", "golden.safetensors"))
	tokens, shape, err := f.Int32("tokens")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int{8, 77}) || tokens[0] != 49406 {
		t.Errorf("tokens shape %v, first id %d", shape, tokens[0])
	}
	px, shape, err := f.Float32("pixels")
	if err != nil || !reflect.DeepEqual(shape, []int{8, 3, 32, 32}) || len(px) != 8*3*32*32 {
		t.Errorf("pixels: %v %v", shape, err)
	}
	// Rewriting everything must give back the reference bytes: same layout
	// rule (element size, then name), same header and padding.
	var ts []Tensor
	for _, name := range f.Names() {
		dtype, shape, _ := f.Info(name)
		raw, err := f.Bytes(name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, Tensor{name, dtype, shape, raw})
	}
	want, _ := os.ReadFile(f.Path())
	got, _ := os.ReadFile(writeTemp(t, ts, f.Metadata()))
	if !bytes.Equal(got, want) {
		t.Error("rewriting the reference file does not reproduce its bytes")
	}
}

// TestFloat32PortableDecode runs the F32 decoder that big-endian hosts use
// (little-endian hosts read F32 bytes straight into place).
func TestFloat32PortableDecode(t *testing.T) {
	want := make([]float32, 3*chunkBytes/4+5) // several chunks and a tail
	for i := range want {
		want[i] = float32(i) * -0.5
	}
	f := openTemp(t, writeTemp(t, []Tensor{{"big", F32, []int{len(want)}, want}}, nil))
	defer func(v bool) { nativeLittleEndian = v }(nativeLittleEndian)
	for _, native := range []bool{true, false} {
		nativeLittleEndian = native
		got, _, err := f.Float32("big")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("native=%v: %v, equal %v", native, err, slices.Equal(got, want))
		}
	}
}
