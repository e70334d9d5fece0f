package golden

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"
)

// Tensor is one reference tensor, decoded to float32 or int32.
type Tensor struct {
	DType string
	Shape []int
	F32   []float32 // F32 tensors
	I32   []int32   // I32, I64 (narrowed) and U8 tensors
}

// ReadTensors decodes every tensor of a reference safetensors file. It is
// deliberately independent of internal/safetensors, so fixtures are read by
// code other than the code under test; the files are trusted.
func ReadTensors(t testing.TB, path string) map[string]Tensor {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatalf("golden: %s: %v", path, err)
	}
	body := raw[8+n:]
	out := make(map[string]Tensor, len(header))
	for name, msg := range header {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatalf("golden: %s: %s: %v", path, name, err)
		}
		b := body[e.Offsets[0]:e.Offsets[1]]
		tt := Tensor{DType: e.DType, Shape: e.Shape}
		switch e.DType {
		case "F32":
			tt.F32 = make([]float32, len(b)/4)
			for i := range tt.F32 {
				tt.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "I32":
			tt.I32 = make([]int32, len(b)/4)
			for i := range tt.I32 {
				tt.I32[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "I64":
			tt.I32 = make([]int32, len(b)/8)
			for i := range tt.I32 {
				tt.I32[i] = int32(binary.LittleEndian.Uint64(b[8*i:]))
			}
		case "U8":
			tt.I32 = make([]int32, len(b))
			for i, v := range b {
				tt.I32[i] = int32(v)
			}
		default:
			t.Fatalf("golden: %s: %s: dtype %s not used by the reference set", path, name, e.DType)
		}
		out[name] = tt
	}
	return out
}

// Rows splits an I32 tensor [N,L] into N rows.
func (t Tensor) Rows() [][]int32 {
	n := t.Shape[0]
	l := len(t.I32) / n
	rows := make([][]int32, n)
	for i := range rows {
		rows[i] = t.I32[i*l : (i+1)*l]
	}
	return rows
}
