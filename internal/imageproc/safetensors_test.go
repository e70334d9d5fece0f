package imageproc

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"
)

// A minimal safetensors reader for the golden files, kept in the tests so
// that this package does not depend on internal/safetensors: 8-byte
// little-endian header length, JSON header, then the tensor bytes at
// data_offsets relative to the end of the header.

type stTensor struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
	data    []byte
}

type stFile map[string]*stTensor

func readSafetensors(t testing.TB, path string) stFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden data: %v", err)
	}
	if len(b) < 8 {
		t.Fatalf("%s: too short for safetensors", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		t.Fatalf("%s: header length %d past end of file", path, n)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	body := b[8+n:]
	f := stFile{}
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var ts stTensor
		if err := json.Unmarshal(msg, &ts); err != nil {
			t.Fatalf("%s: tensor %s: %v", path, name, err)
		}
		if ts.Offsets[0] < 0 || ts.Offsets[1] > len(body) || ts.Offsets[0] > ts.Offsets[1] {
			t.Fatalf("%s: tensor %s: offsets %v outside the data", path, name, ts.Offsets)
		}
		ts.data = body[ts.Offsets[0]:ts.Offsets[1]]
		f[name] = &ts
	}
	return f
}

func (f stFile) tensor(t testing.TB, name, dtype string) *stTensor {
	t.Helper()
	ts := f[name]
	if ts == nil {
		t.Fatalf("golden tensor %s missing", name)
	}
	if ts.DType != dtype {
		t.Fatalf("golden tensor %s is %s, want %s", name, ts.DType, dtype)
	}
	return ts
}

func (f stFile) u8(t testing.TB, name string) ([]uint8, []int) {
	t.Helper()
	ts := f.tensor(t, name, "U8")
	return ts.data, ts.Shape
}

func (f stFile) f32(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	ts := f.tensor(t, name, "F32")
	v := make([]float32, len(ts.data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(ts.data[4*i:]))
	}
	return v, ts.Shape
}
