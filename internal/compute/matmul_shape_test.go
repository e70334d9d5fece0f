package compute

import (
	"strings"
	"testing"
)

// fakeBuf is a Buffer that only makes a tensor present.
type fakeBuf struct{}

func (fakeBuf) Len() int { return 0 }

func tensor(shape ...int) Tensor { return Tensor{Buf: fakeBuf{}, Shape: shape} }

func TestMatMulDims(t *testing.T) {
	none := Tensor{}
	for _, c := range []struct {
		name            string
		out, a, b, bias Tensor
		transB          bool
		m, n, k         int
		err             string // a substring of the error; "" for none
	}{
		{"kn", tensor(2, 3), tensor(2, 4), tensor(4, 3), tensor(3), false, 2, 3, 4, ""},
		{"nk", tensor(2, 3), tensor(2, 4), tensor(3, 4), none, true, 2, 3, 4, ""},
		{"empty", tensor(0, 3), tensor(0, 4), tensor(4, 3), none, false, 0, 3, 4, ""},
		{"3-D a", tensor(2, 3), tensor(1, 2, 4), tensor(4, 3), none, false, 0, 0, 0, "want 2-D tensors, got out [2,3] a [1,2,4] b [4,3]"},
		{"inner", tensor(2, 3), tensor(2, 4), tensor(3, 4), none, false, 0, 0, 0, "inner dimensions differ: a [2,4] b [3,4] transB=false"},
		{"out", tensor(3, 2), tensor(2, 4), tensor(4, 3), none, false, 0, 0, 0, "out [3,2], want [2,3]"},
		{"bias", tensor(2, 3), tensor(2, 4), tensor(4, 3), tensor(4), false, 2, 3, 4, "bias [4], want [3]"},
	} {
		m, n, k, err := MatMulDims(c.out, c.a, c.b, c.bias, c.transB)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
		if err == nil && (m != c.m || n != c.n || k != c.k) {
			t.Errorf("%s: M,N,K = %d,%d,%d, want %d,%d,%d", c.name, m, n, k, c.m, c.n, c.k)
		}
	}
}

func TestMatMulBackwardDims(t *testing.T) {
	none := Tensor{}
	for _, c := range []struct {
		name                string
		da, db, dBias, dOut Tensor
		a, b                Tensor
		transB              bool
		err                 string
	}{
		{"all", tensor(2, 4), tensor(3, 4), tensor(3), tensor(2, 3), tensor(2, 4), tensor(3, 4), true, ""},
		{"nil gradients", none, none, none, tensor(2, 3), tensor(2, 4), tensor(4, 3), false, ""},
		{"dOut", none, none, none, tensor(2, 4), tensor(2, 4), tensor(4, 3), false, "dOut [2,4], want [2,3]"},
		{"2-D", none, none, none, tensor(6), tensor(2, 4), tensor(4, 3), false, "want 2-D tensors, got dOut [6]"},
		{"da", tensor(2, 3), none, none, tensor(2, 3), tensor(2, 4), tensor(4, 3), false, "da [2,3], want [2,4]"},
		{"db", none, tensor(3, 3), none, tensor(2, 3), tensor(2, 4), tensor(4, 3), false, "db [3,3] for b [4,3]"},
		{"dBias", none, none, tensor(4), tensor(2, 3), tensor(2, 4), tensor(4, 3), false, "dBias [4], want [3]"},
	} {
		m, n, k, err := MatMulBackwardDims(c.da, c.db, c.dBias, c.dOut, c.a, c.b, c.transB)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
		if err == nil && (m != 2 || n != 3 || k != 4) {
			t.Errorf("%s: M,N,K = %d,%d,%d, want 2,3,4", c.name, m, n, k)
		}
	}
}

// The checks run for every product of every step: they must not allocate
// when the shapes agree.
func TestMatMulDimsAllocateNothing(t *testing.T) {
	out, a, b, bias := tensor(2, 3), tensor(2, 4), tensor(3, 4), tensor(3)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, _, err := MatMulDims(out, a, b, bias, true); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := MatMulBackwardDims(a, b, bias, out, a, b, true); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}
