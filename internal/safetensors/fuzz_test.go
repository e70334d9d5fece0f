package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the reader: it must return an error or
// a File whose every tensor reads back with the size its header promised,
// and never panic or allocate beyond the input's size. The seed corpus (valid
// files of every dtype and the malformed table) runs with plain go test.
func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.safetensors")
	if err := Write(path, allDTypes(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, c := range malformed {
		f.Add(c.file)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		for _, name := range sf.Names() {
			dtype, shape, ok := sf.Info(name)
			if !ok {
				t.Fatalf("Names lists %q but Info does not know it", name)
			}
			numel := 1
			for _, d := range shape {
				numel *= d
			}
			raw, err := sf.Bytes(name)
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			if len(raw) != numel*dtypeSizes[dtype] {
				t.Fatalf("%q: %d bytes for %s %v", name, len(raw), dtype, shape)
			}
			switch dtype {
			case F64, F32, F16, BF16:
				if v, _, err := sf.Float32(name); err != nil || len(v) != numel {
					t.Fatalf("%q: Float32: %d values, %v", name, len(v), err)
				}
			default:
				sf.Int32(name) // may fail on range; must not panic
				if v, _, err := sf.Int64(name); (err != nil && dtype != U64) || (err == nil && len(v) != numel) {
					t.Fatalf("%q: Int64: %d values, %v", name, len(v), err)
				}
			}
		}
	})
}
