package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build assembles a file from a header (padded with spaces) and data bytes.
func build(header string, data []byte) []byte {
	for (8+len(header))%8 != 0 {
		header += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// withLength is a file whose header-length field claims n bytes.
func withLength(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

// malformed lists broken files and what the error must mention.
var malformed = []struct {
	name string
	file []byte
	want string
}{
	{"empty file", nil, "0 bytes, too short"},
	{"seven bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "7 bytes, too short"},
	{"header longer than file", withLength(100, "{}"), "header length 100 runs past the end of the 10-byte file"},
	{"header length absurd", withLength(1<<62, "{}"), "exceeds the"},
	{"header length all ones", withLength(^uint64(0), "{}"), "exceeds the"},
	{"empty header", withLength(0, ""), "not a JSON object"},
	{"non-JSON header", build("hello, world", nil), "not a JSON object"},
	{"JSON array header", build("[1,2]", nil), "not a JSON object"},
	{"truncated JSON", build(`{"a":{"dtype":"F32"`, nil), `tensor "a"`},
	{"trailing garbage", build(`{} {}`, nil), "unexpected data after"},
	{"entry not an object", build(`{"a":3}`, nil), `tensor "a": entry is not a JSON object`},
	{"missing dtype", build(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": missing dtype`},
	{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": missing shape`},
	{"null shape", build(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": missing shape`},
	{"missing offsets", build(`{"a":{"dtype":"F32","shape":[1]}}`, make([]byte, 4)), `tensor "a": missing data_offsets`},
	{"three offsets", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 8)), "must hold 2 numbers"},
	{"fractional shape", build(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": field "shape": invalid value (number 1.5)`},
	{"string dtype expected", build(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": field "dtype": invalid value (number)`},
	{"unknown dtype", build(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), `tensor "w": unsupported dtype "Q4"`},
	{"negative shape", build(`{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w": negative dimension`},
	{"overflowing shape", build(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w": shape [4294967296 4294967296 4] is too large`},
	{"huge dimension", build(`{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "w": field "shape": invalid value (number 99999999999999999999)`},
	{"offsets past the end", build(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 8)), `tensor "w": data_offsets [0, 16] run past the end of the data (8 bytes)`},
	{"begin after end", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, make([]byte, 8)), `tensor "w": data_offsets [8, 4] begin after end`},
	{"negative offset", build(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, make([]byte, 8)), `tensor "w": negative data_offsets`},
	{"size not matching shape", build(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "w": F32 shape [3] needs 12 bytes but data_offsets [0, 8] span 8`},
	{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), `tensor "b" [4, 8] overlaps tensor "a" [0, 8]`},
	{"duplicate key", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), `key "a" appears twice`},
	{"metadata not strings", build(`{"__metadata__":{"n":1}}`, nil), "__metadata__ must map strings to strings"},
}

func TestOpenRejectsMalformed(t *testing.T) {
	for _, c := range malformed {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("opened without error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant one naming the file and containing %q", err, c.want)
			}
		})
	}
}

func TestOpenAcceptsEdgeCases(t *testing.T) {
	cases := map[string][]byte{
		"no tensors":          build(`{}`, nil),
		"metadata only":       build(`{"__metadata__":{"a":"b"}}`, nil),
		"unknown entry field": build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":true}}`, []byte{7}),
		"empty tensors share": build(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"scalar":              build(`{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ok.safetensors")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.safetensors")
	if _, err := Open(path); !os.IsNotExist(err) {
		t.Errorf("Open of a missing file: %v", err)
	}
}
