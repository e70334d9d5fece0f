package safetensors

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloat16Known(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		name string
		f    float32
		h    uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"one third rounds down", 1.0 / 3, 0x3555},
		{"largest finite", 65504, 0x7bff},
		{"rounds down to largest finite", 65519, 0x7bff},
		{"tie rounds to inf", 65520, 0x7c00},
		{"overflow", 1e6, 0x7c00},
		{"inf", inf, 0x7c00},
		{"minus inf", -inf, 0xfc00},
		{"smallest normal", 0x1p-14, 0x0400},
		{"largest subnormal", 0x3ffp-24, 0x03ff},
		{"smallest subnormal", 0x1p-24, 0x0001},
		{"minus smallest subnormal", -0x1p-24, 0x8001},
		{"half smallest subnormal ties to zero", 0x1p-25, 0x0000},
		{"above half smallest subnormal", 0x1.2p-25, 0x0001},
		{"1.5 smallest subnormal ties to even", 0x3p-25, 0x0002},
		{"subnormal tie rounds up into normal", 0x7ffp-25, 0x0400},
		{"far below subnormals", 1e-30, 0x0000},
		{"tie to even down", 1 + 0x1p-11, 0x3c00},
		{"tie to even up", 1 + 0x3p-11, 0x3c02},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Float32ToFloat16(c.f); got != c.h {
				t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", c.f, got, c.h)
			}
		})
	}
	nan := Float32ToFloat16(float32(math.NaN()))
	if nan&0x7c00 != 0x7c00 || nan&0x3ff == 0 {
		t.Errorf("Float32ToFloat16(NaN) = %#04x, not a NaN", nan)
	}
	if !math.IsNaN(float64(Float16ToFloat32(0x7e00))) || !math.IsNaN(float64(Float16ToFloat32(0xfc01))) {
		t.Error("half NaN bits do not decode to NaN")
	}
}

// TestFloat16AllValues widens every half value and narrows it back: the
// round trip must be the identity (NaNs stay NaN with their quiet payload).
func TestFloat16AllValues(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := Float16ToFloat32(h)
		back := Float32ToFloat16(f)
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		if isNaN {
			if !math.IsNaN(float64(f)) || back != h|0x0200 {
				t.Fatalf("NaN %#04x -> %g -> %#04x", h, f, back)
			}
			continue
		}
		if back != h {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// TestFloat16Rounding checks on random floats that the chosen half is the
// nearest one, ties going to the even mantissa.
func TestFloat16Rounding(t *testing.T) {
	checkNearest(t, "f16", Float32ToFloat16, Float16ToFloat32, 0x7c00, 65504, 44)
}

func TestBFloat16Rounding(t *testing.T) {
	checkNearest(t, "bf16", Float32ToBFloat16, BFloat16ToFloat32, 0x7f80, 3e38, 270)
}

func checkNearest(t *testing.T, name string, narrow func(float32) uint16, widen func(uint16) float32, infBits uint16, top, binades float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		// Log-uniform magnitudes from the largest finite value down past the
		// smallest subnormal.
		f := float32(math.Copysign(top*math.Exp2(-rng.Float64()*binades), rng.Float64()-0.5))
		if i%4 == 0 { // exact ties: the midpoint of two neighbours
			h := narrow(f)
			f = float32((float64(widen(h)) + float64(widen(h+1))) / 2)
			if math.IsInf(float64(widen(h+1)), 0) || h&0x7fff >= infBits {
				continue
			}
		}
		h := narrow(f)
		got := float64(widen(h))
		if math.IsInf(got, 0) {
			continue // overflow is checked by the known values
		}
		d := math.Abs(got - float64(f))
		for _, nb := range []uint16{h - 1, h + 1} {
			if nb&0x7fff > infBits || (h&0x7fff == 0 && nb == h-1) {
				continue
			}
			dn := math.Abs(float64(widen(nb)) - float64(f))
			if dn < d || (dn == d && h&1 == 1) {
				t.Fatalf("%s(%g) = %#04x (%g), but %#04x (%g) is nearer or the even tie", name, f, h, got, nb, widen(nb))
			}
		}
	}
}

func TestBFloat16Known(t *testing.T) {
	cases := []struct {
		f float32
		b uint16
	}{
		{0, 0x0000},
		{1, 0x3f80},
		{-2, 0xc000},
		{float32(math.Inf(1)), 0x7f80},
		{float32(math.Inf(-1)), 0xff80},
		{math.MaxFloat32, 0x7f80},         // above the last tie: rounds to Inf
		{math.Float32frombits(1), 0x0000}, // smallest float32 subnormal
		{math.Float32frombits(0x00010000), 0x0001},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie to even, down
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie to even, up
	}
	for _, c := range cases {
		if got := Float32ToBFloat16(c.f); got != c.b {
			t.Errorf("Float32ToBFloat16(%g) = %#04x, want %#04x", c.f, got, c.b)
		}
	}
	if b := Float32ToBFloat16(float32(math.NaN())); !math.IsNaN(float64(BFloat16ToFloat32(b))) {
		t.Errorf("Float32ToBFloat16(NaN) = %#04x, not a NaN", b)
	}
	// A NaN whose payload sits only in the low bits must not become Inf.
	if b := Float32ToBFloat16(math.Float32frombits(0x7f800001)); !math.IsNaN(float64(BFloat16ToFloat32(b))) {
		t.Errorf("low-payload NaN became %#04x", b)
	}
	for i := 0; i < 1<<16; i++ {
		b := uint16(i)
		f := BFloat16ToFloat32(b)
		if math.IsNaN(float64(f)) {
			continue
		}
		if got := Float32ToBFloat16(f); got != b {
			t.Fatalf("%#04x -> %g -> %#04x", b, f, got)
		}
	}
}
