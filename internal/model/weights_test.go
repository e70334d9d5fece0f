package model

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
)

// countingSource is a WeightSource over host tensors that counts reads and
// can fail one.
type countingSource struct {
	HostTensors
	reads int
	fail  string // name whose read fails
}

var errRead = errors.New("read failed")

func (s *countingSource) ReadTensor(name string, dst []float32) error {
	s.reads++
	if name == s.fail {
		return errRead
	}
	return s.HostTensors.ReadTensor(name, dst)
}

// TestLoadFrom: every parameter gets its tensor, bit for bit, each read
// exactly once.
func TestLoadFrom(t *testing.T) {
	cfg := tinyConfig()
	m, err := New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{HostTensors: randomWeights(cfg, 5)}
	if err := m.LoadFrom(src); err != nil {
		t.Fatal(err)
	}
	if src.reads != len(m.Params.Specs) {
		t.Errorf("%d reads for %d tensors", src.reads, len(m.Params.Specs))
	}
	for _, s := range m.Params.Specs {
		got := make([]float32, s.Numel())
		m.Backend().Download(got, m.Params.Get(s.Name))
		for i, v := range src.HostTensors[s.Name].Data {
			if math.Float32bits(got[i]) != math.Float32bits(v) {
				t.Fatalf("%s[%d] = %g, want %g", s.Name, i, got[i], v)
			}
		}
	}
}

// TestLoadFromChecksFirst: a source that lacks a tensor or has one of the
// wrong shape fails before any tensor is read; a read error is returned as
// the source gave it.
func TestLoadFromChecksFirst(t *testing.T) {
	cfg := tinyConfig()
	m, err := New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	missing := randomWeights(cfg, 2)
	delete(missing, "ln_final.bias") // the last tensor of the table
	bad := randomWeights(cfg, 3)
	bad["ln_final.weight"] = HostTensor{Shape: []int{3}, Data: make([]float32, 3)}
	for _, c := range []struct {
		name  string
		host  HostTensors
		wants string
	}{
		{"missing", missing, `missing tensor "ln_final.bias" (shape [16])`},
		{"misshaped", bad, `tensor "ln_final.weight" has shape [3], want [16]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &countingSource{HostTensors: c.host}
			err := m.LoadFrom(src)
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("got %v, want an error containing %q", err, c.wants)
			}
			if src.reads != 0 {
				t.Errorf("%d tensors read before the error", src.reads)
			}
		})
	}
	src := &countingSource{HostTensors: randomWeights(cfg, 4), fail: "visual.proj"}
	if err := m.LoadFrom(src); !errors.Is(err, errRead) {
		t.Errorf("read error: got %v", err)
	}
}

// TestHostTensorsInconsistent: data that does not match its own shape is
// an error naming the tensor.
func TestHostTensorsInconsistent(t *testing.T) {
	cfg := tinyConfig()
	m, err := New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	host := randomWeights(cfg, 6)
	host["ln_final.weight"] = HostTensor{Shape: []int{16}, Data: make([]float32, 15)}
	err = m.LoadWeights(host)
	if err == nil || !strings.Contains(err.Error(), `tensor "ln_final.weight" has shape [16] but 15 values`) {
		t.Errorf("got %v", err)
	}
}
